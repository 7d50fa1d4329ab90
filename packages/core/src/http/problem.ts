import { toProblem } from '../errors.js';
import type { HttpResponse } from './types.js';

export const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/**
 * An error as an RFC 9457 problem response. `extra` headers (the rate-limit ones) come first,
 * so the error's own headers and the fixed ones win.
 */
export function problemResponse(error: unknown, requestId: string, extra: Record<string, string> = {}): HttpResponse {
  const problem = toProblem(error, requestId);
  return {
    status: problem.status,
    headers: { ...extra, ...problem.headers, 'x-request-id': requestId, 'cache-control': 'no-store', 'content-type': PROBLEM_TYPE },
    body: JSON.stringify(problem.body),
  };
}
