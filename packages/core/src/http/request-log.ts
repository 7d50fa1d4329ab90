import type { Ids, Logger, Observer } from '../ports/index.js';
import { headerValue, type HttpRequest } from './types.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the request log knows about a request: filled in by the dispatcher as it learns it. */
export interface RequestRecord {
  /** The caller's `X-Request-Id` when well-formed, else a fresh id. */
  readonly requestId: string;
  /** `performance.now()` when the request arrived. */
  readonly started: number;
  /** Set once the route is matched. */
  routeId: string | null;
  /** Set once the caller is authenticated. */
  userId: string | null;
}

/** Starts a request's record: the clock first, then the request id. */
export function startRequest(request: HttpRequest, ids: Ids): RequestRecord {
  const started = performance.now();
  const suppliedId = headerValue(request.headers, 'x-request-id');
  const requestId = suppliedId && REQUEST_ID.test(suppliedId) ? suppliedId : ids.next();
  return { requestId, started, routeId: null, userId: null };
}

/**
 * The request-log stage: one observation (metrics) and one log line per answered request: ids,
 * route, status, latency, user and address. Never headers, bodies or query strings, where
 * tokens and passwords travel. The record is read when the answer is out, so a request answered
 * by the timeout is logged with what was known by then.
 */
export function createRequestLog(options: { logger: Logger; observer?: Observer; logRequests?: boolean }): (request: HttpRequest, record: RequestRecord, status: number) => void {
  const logRequests = options.logRequests ?? true;
  return (request, record, status) => {
    const { requestId, routeId, userId } = record;
    const durationMs = performance.now() - record.started;
    const observation = { requestId, routeId, method: request.method.toUpperCase(), status, durationMs, userId, ip: request.ip };
    try {
      options.observer?.request?.(observation);
    } catch {
      // Metrics must never fail a request.
    }
    if (logRequests) {
      options.logger.info(
        { event: 'request', requestId, method: observation.method, route: routeId, status, latencyMs: Math.round(durationMs * 100) / 100, userId, ip: request.ip },
        'request',
      );
    }
  };
}
