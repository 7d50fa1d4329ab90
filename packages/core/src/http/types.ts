import type { z } from 'zod';
import type { Contract, RawBodyOption, RouteDefinition } from '../contract/route.js';
import type { LicensePrincipal, Principal } from '../ports/principals.js';

/**
 * The request shape adapters hand to the dispatcher. Deliberately not a WHATWG `Request`:
 * building one costs more than the rest of a dispatch, and adapters already hold these parts.
 */
export interface HttpRequest {
  method: string;
  /** Path relative to the mount point, without query string: `/auth/login`. */
  path: string;
  /** Header names lower-cased (as Node and API Gateway v2 give them). */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Parsed query; repeated keys as arrays. */
  query?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The raw body, or a function that reads it on demand (so unauthenticated or bodiless
   * requests never pay for reading it). The reader may throw `TradeplaneError('payload_too_large')`.
   */
  body?: string | Uint8Array | null | (() => Promise<string | Uint8Array | null | undefined>);
  /**
   * True when `body` is not what was received but a re-serialisation of the object a framework's
   * parser made of it (an app-level `express.json()` in front of the mount). JSON routes take it;
   * raw-body routes answer 400 `raw_body_unavailable`, since a signature covers bytes that are gone.
   */
  bodyReserialised?: boolean;
  /** Client address as the host sees it (after trusted-proxy handling). */
  ip?: string;
  /** Where the router is mounted (`/api/v1`), used for links such as OpenAPI `servers`. */
  basePath?: string;
  /** Set by an adapter running in cookie mode (browsers): see `CookieMode`. */
  cookieMode?: CookieMode;
}

/**
 * Cookie mode, an adapter option for browser clients: the refresh token travels in an
 * `HttpOnly; Secure; SameSite=Strict` cookie scoped to the auth routes instead of the JSON
 * body, and refreshing with the cookie requires the session's CSRF token in `X-CSRF-Token`.
 * Access tokens still go in `Authorization` (keep them in memory).
 */
export interface CookieMode {
  /** Add `Secure` (default true; turn off only for plain-http local development). */
  secure: boolean;
}

/** The first value of a header (names are lower-case), or undefined. */
export function headerValue(headers: HttpRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** Folds query pairs into the neutral query shape: repeated keys become arrays, nothing nested. */
export function queryFromPairs(pairs: Iterable<[string, string]>): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

/** An adapter's `cookies` option (`true` or `{ secure }`) as the neutral request's cookie mode. */
export function cookieModeFrom(option: boolean | { secure?: boolean } | undefined): CookieMode | undefined {
  if (!option) return undefined;
  return { secure: option === true ? true : (option.secure ?? true) };
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; an array for a header sent several times (`set-cookie`). */
  headers: Record<string, string | string[]>;
  /** Serialised body, or null for 204/304. */
  body: string | null;
}

export type { Caller } from '../ports/principals.js';

/** Facts about the request that handlers may need, independent of any framework. */
export interface RequestMeta {
  requestId: string;
  ip: string | undefined;
  userAgent: string | undefined;
  basePath: string;
  headers: HttpRequest['headers'];
  cookieMode: CookieMode | undefined;
  /** The `Idempotency-Key` header, checked by the dispatcher; always set on `idempotent` routes. */
  idempotencyKey: string | undefined;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: validated, typed input and the caller. */
export interface HandlerInput<R extends RouteDefinition> {
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: Out<R['body']>;
  /** A `rawBody` route's body exactly as sent, decoded from UTF-8 once; undefined on other routes. */
  rawBody: R['rawBody'] extends RawBodyOption ? string : undefined;
  principal: R['auth'] extends 'public' ? undefined : R['auth'] extends 'license' ? LicensePrincipal : Principal;
  request: RequestMeta;
}

const replyMarker: unique symbol = Symbol.for('tradeplane.reply');

/** A handler result that sets status or headers besides the body. */
export interface Reply<T> {
  readonly [replyMarker]: true;
  status?: number;
  headers?: Record<string, string | string[]>;
  /** Sends a string body as is with this content type, instead of JSON (Prometheus text). */
  contentType?: string;
  body: T;
}

/** Wraps a body with an explicit status, headers or (for a string body) content type. */
export function reply<T>(body: T, init: { status?: number; headers?: Record<string, string | string[]>; contentType?: T extends string ? string : never } = {}): Reply<T> {
  return { [replyMarker]: true, body, ...init };
}

export function isReply(value: unknown): value is Reply<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[replyMarker] === true;
}

/** The wire body a route's handler must produce (the response schema's input type). */
export type HandlerOutput<R extends RouteDefinition> = z.input<R['response']>;

export type RouteHandler<R extends RouteDefinition> = (
  input: HandlerInput<R>,
) => Promise<HandlerOutput<R> | Reply<HandlerOutput<R>>>;

/** One handler per route of a contract, grouped as the contract is. */
export type ContractHandlers<C extends Contract> = {
  [G in keyof C]: { [K in keyof C[G]]: RouteHandler<C[G][K]> };
};
