import { TradeplaneError, toProblem, type FieldError } from '../errors.js';
import { allowedRoles, listRoutes, type Contract, type RouteDefinition } from '../contract/route.js';
import type { Ids, Logger, Observer } from '../ports/index.js';
import { headerValue, isReply, type Caller, type ContractHandlers, type HttpRequest, type HttpResponse, type RequestMeta, type RouteHandler } from './types.js';
import { createRouter } from './router.js';
import { createCors, type CorsOptions } from './cors.js';
import { createSecurityHeaders } from './security-headers.js';
import { withTimeout } from './timeout.js';
import { createRequestLog, startRequest, type RequestRecord } from './request-log.js';
import { isFailedAuthentication, rateLimitSubject, type RateLimiter } from './rate-limit.js';
import { checkUserAgent } from './input-strings.js';
import { validate } from './validate.js';
import { readJsonBody, readRawBody } from './body.js';
import { checkIdempotencyKey } from './idempotency-key.js';
import { checkRequiredHeaders } from './required-headers.js';
import { JSON_TYPE, problemResponse } from './problem.js';

export type { CorsOptions } from './cors.js';

export interface DispatcherOptions<C extends Contract> {
  contract: C;
  handlers: ContractHandlers<C>;
  /** Establishes the caller for a non-public route, or throws a 401/403 `TradeplaneError`. */
  authenticate(route: RouteDefinition, request: HttpRequest): Promise<Caller>;
  ids: Ids;
  logger: Logger;
  /** Largest accepted request body in bytes (default 1 MiB); a raw-body route's `maxBytes` can lower it. */
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

/** Turns a neutral request into a neutral response. Never throws. */
export type Dispatcher = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * Builds the framework-neutral dispatcher. Every adapter calls this and nothing else, so every
 * route behaves the same on every host. The stages, in the order they run:
 *
 *  1. request id       `X-Request-Id` when well-formed, else a fresh id (request-log.ts)
 *  2. CORS preflight   `OPTIONS` is answered here and nothing else runs (cors.ts)
 *  3. timeout          503 when the rest takes longer than `requestTimeoutMs` (timeout.ts)
 *  4. match            404 unknown path, 405 known path with another method (router.ts)
 *  5. authenticate     non-public routes; before the body is read, so anonymous callers cannot make us parse anything
 *  6. rate limit       per caller when known, else per address; before anything is parsed (rate-limit.ts)
 *  7. authorise        the route's roles
 *  8. input            one `validation_failed` with every field error, in this order:
 *                      User-Agent strings (input-strings.ts), path, query, body (body.ts; strings
 *                      then schema, validate.ts), Idempotency-Key (idempotency-key.ts); a `rawBody`
 *                      route's body is only size-checked and decoded (body.ts), its declared
 *                      headers checked for presence (required-headers.ts)
 *  9. handle           the route's handler
 * 10. serialise        status, headers, JSON (or the handler's content type), optional response check
 *     on error         failed authentications counted per address (rate-limit.ts), then the problem (problem.ts)
 * 11. on every answer  security headers (security-headers.ts), CORS headers (cors.ts),
 *                      then one observation and log line (request-log.ts)
 */
export function createDispatcher<C extends Contract>(options: DispatcherOptions<C>): Dispatcher {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const handlerById = new Map<string, RouteHandler<RouteDefinition>>();
  for (const [group, routes] of Object.entries(options.contract)) {
    for (const [name, route] of Object.entries(routes)) {
      const handler = (options.handlers as Record<string, Record<string, RouteHandler<RouteDefinition>>>)[group]?.[name];
      if (!handler) throw new Error(`No handler for route ${route.id}`);
      if (route.body && route.rawBody) throw new Error(`Route ${route.id} declares both body and rawBody`);
      handlerById.set(route.id, handler);
    }
  }
  const router = createRouter(listRoutes(options.contract));
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const cors = createCors(options.cors);
  const addSecurityHeaders = createSecurityHeaders(options);
  const logRequest = createRequestLog(options);

  return async function dispatch(request) {
    const record = startRequest(request, options.ids); // 1
    if (request.method.toUpperCase() === 'OPTIONS') {
      return finish(request, record, cors.preflight(router.match('OPTIONS', request.path), request.path, headerValue(request.headers, 'origin'), record.requestId)); // 2
    }
    return finish(request, record, await withTimeout(answer(request, record), timeoutMs, record.requestId, options.logger)); // 3
  };

  /** Stage 11: what every answer gets, whichever stage produced it. */
  function finish(request: HttpRequest, record: RequestRecord, response: HttpResponse): HttpResponse {
    addSecurityHeaders(response.headers);
    cors.apply(response.headers, headerValue(request.headers, 'origin'));
    logRequest(request, record, response.status);
    return response;
  }

  /** Stages 4 to 10. */
  async function answer(request: HttpRequest, record: RequestRecord): Promise<HttpResponse> {
    const { requestId } = record;
    let rateHeaders: Record<string, string> = {};
    try {
      const { route, params } = match(request); // 4
      record.routeId = route.id;

      let principal: Caller | undefined; // 5
      if (route.auth !== 'public') {
        principal = await options.authenticate(route, request);
        record.userId = principal.userId;
      }
      if (options.rateLimiter) rateHeaders = await options.rateLimiter.check(route, rateLimitSubject(principal, request.ip)); // 6
      authorise(route, principal); // 7

      const fields: FieldError[] = []; // 8
      const userAgent = checkUserAgent(request, fields);
      const parsedParams = route.params ? validate(route.params, params, 'path', fields) : undefined;
      const parsedQuery = route.query ? validate(route.query, request.query ?? {}, 'query', fields) : undefined;
      let parsedBody: unknown;
      let rawBody: string | undefined;
      if (route.rawBody) rawBody = await readRawBody(request, Math.min(route.rawBody.maxBytes ?? bodyLimit, bodyLimit));
      else if (route.body) parsedBody = validate(route.body, await readJsonBody(request, bodyLimit), 'body', fields);
      checkRequiredHeaders(route, request, fields);
      const idempotencyKey = checkIdempotencyKey(route, request, fields);
      if (fields.length > 0) throw new TradeplaneError('validation_failed', 'The request has invalid fields', { fields });

      const meta: RequestMeta = {
        requestId,
        ip: request.ip,
        userAgent,
        basePath: request.basePath ?? '',
        headers: request.headers,
        cookieMode: request.cookieMode,
        idempotencyKey,
      };
      const handler = handlerById.get(route.id)!; // 9
      const result = await handler({ params: parsedParams, query: parsedQuery, body: parsedBody, rawBody, principal, request: meta } as never);

      return serialise(route, result, requestId, rateHeaders); // 10
    } catch (thrown) {
      let error = thrown;
      if (options.rateLimiter && isFailedAuthentication(error)) {
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

  /** Stage 4: the route for the request's method (`HEAD` as `GET`) and path. */
  function match(request: HttpRequest): { route: RouteDefinition; params: Record<string, string> } {
    const method = request.method.toUpperCase() === 'HEAD' ? 'GET' : request.method.toUpperCase();
    const found = router.match(method, request.path);
    if (found.kind === 'not_found') throw new TradeplaneError('route_not_found', `No route matches ${request.path}`);
    if (found.kind === 'method_not_allowed') {
      const allowed = found.allowed.includes('GET') ? [...found.allowed, 'HEAD'] : found.allowed;
      throw new TradeplaneError('method_not_allowed', `${method} is not allowed on ${request.path}`, {
        headers: { allow: allowed.join(', ') },
      });
    }
    return found;
  }

  /** Stage 7: a `user` or `admin` route refuses callers whose role it does not list. */
  function authorise(route: RouteDefinition, principal: Caller | undefined): void {
    if (principal && (route.auth === 'user' || route.auth === 'admin') && !allowedRoles(route).includes(principal.role)) {
      throw new TradeplaneError('forbidden', 'Your role may not perform this action');
    }
  }

  /** Stage 10: the handler's result as a response; the rate-limit headers, then the handler's own. */
  function serialise(route: RouteDefinition, result: unknown, requestId: string, rateHeaders: Record<string, string>): HttpResponse {
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
  }
}
