import { TradeplaneError } from '../errors.js';
import type { Logger } from '../ports/index.js';
import { problemResponse } from './problem.js';
import type { HttpResponse } from './types.js';

/**
 * The timeout stage: answers 503 (`Retry-After: 1`) when `work` takes longer than `ms`; the work
 * itself runs on (its transaction commits or rolls back alone). `ms` of 0 turns it off.
 */
export function withTimeout(work: Promise<HttpResponse>, ms: number, requestId: string, logger: Logger): Promise<HttpResponse> {
  if (ms <= 0) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<HttpResponse>((resolve) => {
    timer = setTimeout(() => {
      logger.warn({ event: 'request.timeout', requestId, timeoutMs: ms }, 'request timed out');
      resolve(problemResponse(new TradeplaneError('service_unavailable', `No answer within ${ms / 1000} s; the request may still complete`, { headers: { 'retry-after': '1' } }), requestId));
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
