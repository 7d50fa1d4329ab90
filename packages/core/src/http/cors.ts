import { TradeplaneError } from '../errors.js';
import { problemResponse } from './problem.js';
import type { RouteMatch } from './router.js';
import type { HttpResponse } from './types.js';

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), or `*` for any (then without credentials). */
  origins: readonly string[];
  /** Allow cookies and credentials (cookie mode); ignored for `*`. Default true. */
  credentials?: boolean;
  /** How long a browser may cache a preflight, in seconds (default 600). */
  maxAge?: number;
}

const CORS_REQUEST_HEADERS = 'authorization, content-type, idempotency-key, x-api-key, x-request-id, x-csrf-token';
const CORS_EXPOSED_HEADERS = 'x-request-id, idempotency-replayed, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, location';

/** The CORS stage: answers preflights and adds the CORS headers to every answer. */
export interface Cors {
  /**
   * Answers an `OPTIONS` request (nothing else runs for it): 404 for an unknown path, else 204
   * with `Allow` and, for an allowed origin, the preflight headers. `match` is the router's
   * answer for `OPTIONS` on the request's path.
   */
  preflight(match: RouteMatch, path: string, origin: string | undefined, requestId: string): HttpResponse;
  /** Adds the CORS headers for `origin` to a response's headers in place; none without CORS options or for an origin not allowed. */
  apply(headers: HttpResponse['headers'], origin: string | undefined): void;
}

export function createCors(cors: CorsOptions | undefined): Cors {
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

  return {
    preflight(match, path, origin, requestId) {
      if (match.kind === 'not_found') return problemResponse(new TradeplaneError('route_not_found', `No route matches ${path}`), requestId);
      const methods = match.kind === 'method_not_allowed' ? match.allowed : [];
      const headers: Record<string, string | string[]> = { 'x-request-id': requestId, allow: [...methods, 'OPTIONS'].join(', ') };
      if (Object.keys(corsHeaders(origin)).length > 0) {
        headers['access-control-allow-methods'] = methods.join(', ');
        headers['access-control-allow-headers'] = CORS_REQUEST_HEADERS;
        headers['access-control-max-age'] = String(cors?.maxAge ?? 600);
      }
      return { status: 204, headers, body: null };
    },
    apply(headers, origin) {
      if (!cors) return;
      const allowed = corsHeaders(origin);
      for (const name in allowed) headers[name] = allowed[name]!;
    },
  };
}
