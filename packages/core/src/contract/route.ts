import type { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import type { Role } from '../ports/storage.js';
import type { ApiKeyScope } from './scopes.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route:
 * - `public`: anyone;
 * - `user`: a signed-in user (access token), limited further by `roles`; if the route names a
 *   `scope`, an `X-API-Key` holding that scope is accepted too;
 * - `admin`: a signed-in user with role `admin` (access tokens only);
 * - `license`: a subscription's license token, used by trading terminals (copy-trading issue).
 */
export type AuthKind = 'public' | 'user' | 'admin' | 'license';

/** Rate-limit buckets, declared per route; limits themselves are engine configuration. */
/**
 * Which request budget a route draws on (limits per group are configured on the engine):
 * `auth` for credential routes, `trading` for trades, orders and positions, `market` for market
 * data, `default` for the rest, `none` for probes and documents.
 */
export type RateLimitGroup = 'auth' | 'trading' | 'market' | 'default' | 'none';

/**
 * A route whose handler needs the body exactly as it was sent: signed callbacks (payment
 * providers, Standard Webhooks) whose signature covers the bytes, which a parse and
 * re-serialisation would change. The dispatcher neither parses nor validates such a body: it
 * checks its size, decodes it from UTF-8 once and hands the handler `rawBody: string`. The
 * handler verifies the signature (e.g. `verifyStandardWebhook`) before it trusts anything.
 * Such routes are `auth: 'public'` (the signature is their authentication) and declare the
 * errors their verification answers with (`invalid_signature`, `stale_webhook`).
 */
export interface RawBodyOption {
  /** Largest accepted body in bytes; can only lower the dispatcher's `bodyLimit` (the default). */
  readonly maxBytes?: number;
  /** The payload's shape, for the OpenAPI document only: nothing validates the body against it. */
  readonly schema?: z.ZodType;
  /**
   * Headers the sender must include, lower-case (its signature headers, e.g.
   * `STANDARD_WEBHOOK_HEADERS`): documented as required, and a request missing one is refused
   * with `validation_failed` before the handler runs.
   */
  readonly headers?: readonly string[];
}

/**
 * One HTTP route, declared once. The dispatcher, the adapters, the OpenAPI document and the
 * generated client all derive from these declarations; nothing else lists routes.
 */
export interface RouteDefinition {
  /** Stable operation id, `group.name`: the OpenAPI `operationId` and the client method. */
  readonly id: string;
  readonly method: HttpMethod;
  /** Path relative to the mount point, with `{name}` parameters: `/subscriptions/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly auth: AuthKind;
  /**
   * For `user` routes: the roles allowed. Defaults to every role for GET and to
   * `user` + `admin` otherwise, so a `viewer` is read-only unless a route says so.
   */
  readonly roles?: readonly Role[];
  /** For `user` routes: the API-key scope that also grants access. Without it, keys are refused. */
  readonly scope?: ApiKeyScope;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Take the body unparsed, as sent (signed webhooks); excludes `body`. See {@link RawBodyOption}. */
  readonly rawBody?: RawBodyOption;
  /** Schema of the success body as it travels on the wire (strings for money and dates). */
  readonly response: z.ZodType;
  /** The success body's media type when it is not JSON (`/metrics`: Prometheus text); the handler replies with the same `contentType`. */
  readonly responseType?: string;
  readonly successStatus?: 200 | 201 | 202 | 204;
  /**
   * Non-problem answers besides the success one, by status: e.g. `/health` answers 503 with
   * its report, not a problem body. Handlers return them with `reply(body, { status })`.
   */
  readonly otherResponses?: Readonly<Record<number, { readonly description: string; readonly schema: z.ZodType }>>;
  /** Domain errors this route may answer with, beyond the ones every route of its kind has. */
  readonly errors: readonly ErrorCode[];
  /** True when a retried request has no further effect (money routes take an Idempotency-Key). */
  readonly idempotent?: boolean;
  readonly rateLimit?: RateLimitGroup;
}

/** Declares a route, keeping its literal types for inference. */
export function defineRoute<const R extends RouteDefinition>(route: R): R {
  return route;
}

/** A contract is a set of named route groups: `{ auth: { login: route, … }, … }`. */
export type Contract = Record<string, Record<string, RouteDefinition>>;

/**
 * A route's rate-limit group: its own `rateLimit`, else by path, as `defaultRateLimits` splits them
 * (`/trades`, `/orders`, `/positions` → `trading`; `/market` → `market`), else `default`.
 */
export function rateLimitGroup(route: RouteDefinition): RateLimitGroup {
  if (route.rateLimit) return route.rateLimit;
  if (/^\/(trades|orders|positions)(\/|$)/.test(route.path)) return 'trading';
  if (/^\/market(\/|$)/.test(route.path)) return 'market';
  return 'default';
}

/** The roles that may call a `user` route. */
export function allowedRoles(route: RouteDefinition): readonly Role[] {
  if (route.auth === 'admin') return ['admin'];
  if (route.roles) return route.roles;
  return route.method === 'GET' ? ['user', 'viewer', 'admin'] : ['user', 'admin'];
}

/**
 * Every error code a route can answer with: its declared domain errors plus the ones the
 * dispatcher itself produces for routes of its shape. The OpenAPI document, the client's
 * typed errors and the robustness tests read this, so they cannot disagree.
 */
export function routeErrors(route: RouteDefinition): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors);
  if (route.auth !== 'public') codes.add('unauthenticated');
  if (route.auth === 'user' || route.auth === 'admin') {
    codes.add('invalid_token');
    codes.add('token_expired');
  }
  if (route.auth === 'admin' || (route.auth === 'user' && allowedRoles(route).length < 3)) codes.add('forbidden');
  if (route.scope) codes.add('insufficient_scope');
  if (route.params || route.query || route.body || route.rawBody?.headers?.length) codes.add('validation_failed');
  if (route.body) {
    codes.add('malformed_json');
    codes.add('payload_too_large');
    codes.add('unsupported_media_type');
  }
  if (route.rawBody) {
    codes.add('bad_request'); // a body that is not UTF-8
    codes.add('raw_body_unavailable');
    codes.add('payload_too_large');
  }
  if (rateLimitGroup(route) !== 'none') codes.add('rate_limited');
  codes.add('internal_error');
  return [...codes];
}

/** Flattens a contract into its routes, in declaration order. */
export function listRoutes(contract: Contract): RouteDefinition[] {
  return Object.values(contract).flatMap((group) => Object.values(group));
}
