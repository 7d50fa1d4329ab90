import type { z } from 'zod';
import { TradeplaneError, isTradeplaneError, toProblem, type FieldError } from '../errors.js';
import { allowedRoles, listRoutes, type Contract, type RouteDefinition } from '../contract/route.js';
import type { Ids, Logger, Observer } from '../ports/index.js';
import type { Principal } from '../auth/service.js';
import type { LicensePrincipal } from '../copy/service.js';
import { headerValue, isReply, type ContractHandlers, type HttpRequest, type HttpResponse, type RequestMeta, type RouteHandler } from './types.js';
import { createRouter } from './router.js';
import { IDEMPOTENCY_KEY } from '../contract/common.js';
import type { RateLimiter } from './rate-limit.js';

export interface DispatcherOptions<C extends Contract> {
  contract: C;
  handlers: ContractHandlers<C>;
  /** Establishes the caller for a non-public route, or throws a 401/403 `TradeplaneError`. */
  authenticate(route: RouteDefinition, request: HttpRequest): Promise<Principal | LicensePrincipal>;
  ids: Ids;
  logger: Logger;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Check every success body against the route's response schema (tests and development). */
  validateResponses?: boolean;
  /** Told of every answered request (metrics). */
  observer?: Observer;
  /** Log one `event: 'request'` line per request at info level (default true). */
  logRequests?: boolean;
  /** Per-group request budgets; none when omitted. */
  rateLimiter?: RateLimiter;
  /** Browser origins allowed to call the API (CORS). None: no CORS headers, preflights get none either. */
  cors?: CorsOptions;
  /** A request still unanswered after this many milliseconds gets 503 (default 30 s; 0 turns it off). */
  requestTimeoutMs?: number;
  /** Adds `Strict-Transport-Security` (only behind HTTPS). */
  hsts?: boolean;
}

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), or `*` for any (then without credentials). */
  origins: readonly string[];
  /** Allow cookies and credentials (cookie mode); ignored for `*`. Default true. */
  credentials?: boolean;
  /** How long a browser may cache a preflight, in seconds (default 600). */
  maxAge?: number;
}

/** Sent on every answer: the API serves JSON to programs, never pages to frame or sniff. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
} as const;

const CORS_REQUEST_HEADERS = 'authorization, content-type, idempotency-key, x-api-key, x-request-id, x-csrf-token';
const CORS_EXPOSED_HEADERS = 'x-request-id, idempotency-replayed, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, location';

/** Turns a neutral request into a neutral response. Never throws. */
export type Dispatcher = (request: HttpRequest) => Promise<HttpResponse>;

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the framework-neutral dispatcher: match → authenticate → authorise → validate →
 * handle → serialise. Every adapter calls this and nothing else, so every route behaves the
 * same on every host.
 */
export function createDispatcher<C extends Contract>(options: DispatcherOptions<C>): Dispatcher {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const handlerById = new Map<string, RouteHandler<RouteDefinition>>();
  for (const [group, routes] of Object.entries(options.contract)) {
    for (const [name, route] of Object.entries(routes)) {
      const handler = (options.handlers as Record<string, Record<string, RouteHandler<RouteDefinition>>>)[group]?.[name];
      if (!handler) throw new Error(`No handler for route ${route.id}`);
      handlerById.set(route.id, handler);
    }
  }
  const router = createRouter(listRoutes(options.contract));

  const logRequests = options.logRequests ?? true;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const cors = options.cors;
  const anyOrigin = cors?.origins.includes('*') ?? false;

  /** CORS headers for a request from `origin`, or none when it is not allowed. */
  function corsHeaders(origin: string | undefined): Record<string, string> {
    if (!cors || !origin || (!anyOrigin && !cors.origins.includes(origin))) return {};
    const headers: Record<string, string> = { 'access-control-allow-origin': anyOrigin ? '*' : origin, 'access-control-expose-headers': CORS_EXPOSED_HEADERS };
    if (!anyOrigin) {
      headers.vary = 'Origin';
      if (cors.credentials !== false) headers['access-control-allow-credentials'] = 'true';
    }
    return headers;
  }

  return async function dispatch(request) {
    const started = performance.now();
    const header = (name: string) => headerValue(request.headers, name);
    const suppliedId = header('x-request-id');
    const requestId = suppliedId && REQUEST_ID.test(suppliedId) ? suppliedId : options.ids.next();
    let routeId: string | null = null;
    let userId: string | null = null;
    let rateHeaders: Record<string, string> = {};
    /**
     * One observation and one log line per request: ids, route, status, latency, user and
     * address. Never headers, bodies or query strings, where tokens and passwords travel.
     */
    const finish = (response: HttpResponse): HttpResponse => {
      // Plain assignments: Object.assign and spreads of these many keys cost more than the rest of a request's bookkeeping.
      const headers = response.headers;
      for (const name in SECURITY_HEADERS) headers[name] = SECURITY_HEADERS[name as keyof typeof SECURITY_HEADERS];
      if (options.hsts) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
      if (cors) {
        const allowed = corsHeaders(header('origin'));
        for (const name in allowed) headers[name] = allowed[name]!;
      }
      const durationMs = performance.now() - started;
      const observation = { requestId, routeId, method: request.method.toUpperCase(), status: response.status, durationMs, userId, ip: request.ip };
      try {
        options.observer?.request?.(observation);
      } catch {
        // Metrics must never fail a request.
      }
      if (logRequests) {
        options.logger.info(
          { event: 'request', requestId, method: observation.method, route: routeId, status: response.status, latencyMs: Math.round(durationMs * 100) / 100, userId, ip: request.ip },
          'request',
        );
      }
      return response;
    };
    if (request.method.toUpperCase() === 'OPTIONS') return finish(preflight());
    return finish(await (timeoutMs > 0 ? withTimeout(answer(), timeoutMs, requestId) : answer()));

    /** A CORS preflight: the path's methods for an allowed origin; nothing is run. */
    function preflight(): HttpResponse {
      const match = router.match('OPTIONS', request.path);
      if (match.kind === 'not_found') return problemResponse(new TradeplaneError('route_not_found', `No route matches ${request.path}`), requestId);
      const methods = match.kind === 'method_not_allowed' ? match.allowed : [];
      const headers: Record<string, string | string[]> = { 'x-request-id': requestId, allow: [...methods, 'OPTIONS'].join(', ') };
      if (Object.keys(corsHeaders(header('origin'))).length > 0) {
        headers['access-control-allow-methods'] = methods.join(', ');
        headers['access-control-allow-headers'] = CORS_REQUEST_HEADERS;
        headers['access-control-max-age'] = String(cors?.maxAge ?? 600);
      }
      return { status: 204, headers, body: null };
    }

    async function answer(): Promise<HttpResponse> {
      try {
        const method = request.method.toUpperCase() === 'HEAD' ? 'GET' : request.method.toUpperCase();
        const match = router.match(method, request.path);
        if (match.kind === 'not_found') throw new TradeplaneError('route_not_found', `No route matches ${request.path}`);
        if (match.kind === 'method_not_allowed') {
          const allowed = match.allowed.includes('GET') ? [...match.allowed, 'HEAD'] : match.allowed;
          throw new TradeplaneError('method_not_allowed', `${method} is not allowed on ${request.path}`, {
            headers: { allow: allowed.join(', ') },
          });
        }
        const { route, params } = match;
        routeId = route.id;

        // Authenticate before reading the body: anonymous callers cannot make us parse anything.
        let principal: Principal | LicensePrincipal | undefined;
        if (route.auth !== 'public') {
          principal = await options.authenticate(route, request);
          userId = principal.userId;
        }
        // Counted per user, API key or license when known, else per address; before anything is parsed.
        if (options.rateLimiter) {
          rateHeaders = await options.rateLimiter.check(
            route,
            principal
              ? { userId: principal.userId, apiKeyId: principal.via === 'apiKey' ? principal.apiKeyId : undefined, subscriptionId: principal.via === 'license' ? principal.subscriptionId : undefined }
              : { ip: request.ip },
          );
        }
        if (principal && (route.auth === 'user' || route.auth === 'admin') && !allowedRoles(route).includes(principal.role)) {
          throw new TradeplaneError('forbidden', 'Your role may not perform this action');
        }

        const fields: FieldError[] = [];
        // Every string a client sends is checked here, whatever its schema says, so that no
        // route can forget: NUL and unpaired surrogates cannot be stored as text (PostgreSQL
        // refuses them) and mean nothing in any field.
        const userAgent = header('user-agent');
        if (userAgent !== undefined && BAD_TEXT.test(userAgent)) fields.push(badTextField('header', 'User-Agent'));
        const parsedParams = route.params ? validate(route.params, params, 'path', fields) : undefined;
        const parsedQuery = route.query ? validate(route.query, request.query ?? {}, 'query', fields) : undefined;
        let parsedBody: unknown;
        if (route.body) {
          const raw = await readJsonBody(request, bodyLimit);
          parsedBody = validate(route.body, raw, 'body', fields);
        }
        // Money routes take an Idempotency-Key: checked with the other fields, before anything runs.
        const idempotencyKey = route.idempotent ? header('idempotency-key') : undefined;
        if (route.idempotent && (idempotencyKey === undefined || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
          fields.push({
            in: 'header',
            path: 'Idempotency-Key',
            code: idempotencyKey === undefined ? 'required' : 'invalid_idempotency_key',
            message: idempotencyKey === undefined ? 'this request moves money: send a unique Idempotency-Key (a UUID)' : 'must be 1–255 printable ASCII characters',
          });
        }
        if (fields.length > 0) {
          throw new TradeplaneError('validation_failed', 'The request has invalid fields', { fields });
        }

        const meta: RequestMeta = {
          requestId,
          ip: request.ip,
          userAgent,
          basePath: request.basePath ?? '',
          headers: request.headers,
          cookieMode: request.cookieMode,
          idempotencyKey,
        };
        const handler = handlerById.get(route.id)!;
        const result = await handler({ params: parsedParams, query: parsedQuery, body: parsedBody, principal, request: meta } as never);

        const status = isReply(result) ? (result.status ?? route.successStatus ?? 200) : (route.successStatus ?? 200);
        const payload = isReply(result) ? result.body : result;
        if (options.validateResponses && status !== 204) {
          const schema = status === (route.successStatus ?? 200) ? route.response : route.otherResponses?.[status]?.schema;
          const check = schema?.safeParse(payload);
          if (!check?.success) {
            options.logger.error({ route: route.id, status, issues: check?.error.issues ?? 'undeclared status' }, 'response does not match the contract');
            throw new TradeplaneError('internal_error', 'An unexpected error occurred');
          }
        }
        const headers: Record<string, string | string[]> = { 'x-request-id': requestId, 'cache-control': 'no-store' };
        for (const name in rateHeaders) headers[name] = rateHeaders[name]!;
        if (isReply(result) && result.headers) for (const name in result.headers) headers[name] = result.headers[name]!;
        if (status === 204 || status === 304) return { status, headers, body: null };
        if (isReply(result) && result.contentType && typeof payload === 'string') {
          headers['content-type'] = result.contentType;
          return { status, headers, body: payload };
        }
        headers['content-type'] = JSON_TYPE;
        return { status, headers, body: JSON.stringify(payload) };
      } catch (thrown) {
        let error = thrown;
        // A credential that does not verify (access token, API key, license, refresh or ID
        // token) is counted against the address; past the limit the answer is 429, not 401.
        if (options.rateLimiter && isTradeplaneError(error) && error.code === 'invalid_token') {
          try {
            await options.rateLimiter.failedAuthentication(request.ip);
          } catch (limited) {
            error = limited;
          }
        }
        const problem = toProblem(error, requestId);
        if (problem.status >= 500) {
          options.logger.error({ err: error, requestId, method: request.method, path: request.path }, 'request failed');
        }
        return problemResponse(error, requestId, rateHeaders);
      }
    }
  };

  /** Answers 503 when `work` takes longer than `ms`; the work itself runs on (its transaction commits or rolls back alone). */
  function withTimeout(work: Promise<HttpResponse>, ms: number, requestId: string): Promise<HttpResponse> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<HttpResponse>((resolve) => {
      timer = setTimeout(() => {
        options.logger.warn({ event: 'request.timeout', requestId, timeoutMs: ms }, 'request timed out');
        resolve(problemResponse(new TradeplaneError('service_unavailable', `No answer within ${ms / 1000} s; the request may still complete`, { headers: { 'retry-after': '1' } }), requestId));
      }, ms);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }
}

function problemResponse(error: unknown, requestId: string, extra: Record<string, string> = {}): HttpResponse {
  const problem = toProblem(error, requestId);
  return {
    status: problem.status,
    headers: { ...extra, ...problem.headers, 'x-request-id': requestId, 'cache-control': 'no-store', 'content-type': PROBLEM_TYPE },
    body: JSON.stringify(problem.body),
  };
}

/** NUL, or a UTF-16 surrogate without its pair (which JSON's `\uD800` escapes can produce). */
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_TEXT_ALL = new RegExp(BAD_TEXT.source, 'g');

function badTextField(where: FieldError['in'], path: string): FieldError {
  return { in: where, path, code: 'invalid_characters', message: 'must not contain NUL characters or unpaired UTF-16 surrogates' };
}

/**
 * Adds a field error for every string (and object key) in `value` holding NUL or an unpaired
 * surrogate. Iterative, with paths kept as parent links and spelt out only for an error: a
 * deeply nested body costs neither stack nor quadratic copies.
 */
function checkText(value: unknown, where: FieldError['in'], fields: FieldError[]): void {
  type Node = { value: unknown; key: string; parent: Node | undefined };
  const pathOf = (node: Node | undefined, last?: string) => {
    const segments = last === undefined ? [] : [last];
    for (let n = node; n?.parent; n = n.parent) segments.push(n.key);
    return segments.reverse().map((s) => s.replace(BAD_TEXT_ALL, '\uFFFD')).join('.');
  };
  const pending: Node[] = [{ value, key: '', parent: undefined }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const current = node.value;
    if (typeof current === 'string') {
      if (BAD_TEXT.test(current)) fields.push(badTextField(where, pathOf(node)));
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push({ value: current[i], key: String(i), parent: node });
    } else if (current !== null && typeof current === 'object') {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (BAD_TEXT.test(key)) fields.push(badTextField(where, pathOf(node, key)));
        pending.push({ value: (current as Record<string, unknown>)[key], key, parent: node });
      }
    }
  }
}

function validate(schema: z.ZodType, value: unknown, where: FieldError['in'], fields: FieldError[]): unknown {
  const before = fields.length;
  checkText(value, where, fields);
  if (fields.length > before) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        fields.push({ in: where, path: [...base, key].join('.'), code: issue.code, message: 'Unknown field' });
      }
    } else {
      fields.push({ in: where, path: base.join('.'), code: issue.code, message: issue.message });
    }
  }
  return undefined;
}

/** Reads and parses a JSON body. An empty body is `undefined`, which the schema then judges. */
async function readJsonBody(request: HttpRequest, limit: number): Promise<unknown> {
  const raw = typeof request.body === 'function' ? await request.body() : request.body;
  if (raw === null || raw === undefined) return undefined;
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > limit) throw new TradeplaneError('payload_too_large', `The request body exceeds ${limit} bytes`);
  if (size === 0) return undefined;
  const contentType = headerValue(request.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(contentType)) {
    throw new TradeplaneError('unsupported_media_type', 'Send the request body as application/json');
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : utf8.decode(raw);
  } catch {
    throw new TradeplaneError('malformed_json', 'The request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TradeplaneError('malformed_json', 'The request body is not valid JSON');
  }
}
