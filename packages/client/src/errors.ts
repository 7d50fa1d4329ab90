import type { ErrorCode, Problem } from './generated.js';

export type FieldError = NonNullable<Problem['errors']>[number];

/**
 * Any non-2xx answer. `code` is the server's stable error code (typed per operation where the
 * contract lists them), `fieldErrors` the per-field problems of a 422.
 */
export class TradeplaneApiError<Code extends string = ErrorCode> extends Error {
  readonly status: number;
  readonly code: Code;
  readonly detail: string;
  readonly fieldErrors: FieldError[];
  readonly requestId: string | undefined;
  /** Seconds the server asked to wait (429 / 503), if it said. */
  readonly retryAfter: number | undefined;
  readonly problem: Problem | undefined;

  constructor(init: { status: number; code: Code; detail: string; fieldErrors?: FieldError[]; requestId?: string; retryAfter?: number; problem?: Problem }) {
    super(`${init.status} ${init.code}: ${init.detail}`);
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.fieldErrors = init.fieldErrors ?? [];
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.problem = init.problem;
  }
}

export class AuthenticationError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}
export class PermissionDeniedError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}
export class NotFoundError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}
export class ConflictError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}
export class ValidationError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}
export class RateLimitError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}
export class ServerError<C extends string = ErrorCode> extends TradeplaneApiError<C> {}

/** No answer at all: the network failed (or the server closed the connection). */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/** No answer within the timeout. */
export class TimeoutError extends ConnectionError {
  constructor(ms: number) {
    super(`No response within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export function errorFor(status: number, init: ConstructorParameters<typeof TradeplaneApiError<ErrorCode>>[0]): TradeplaneApiError {
  if (status === 401) return new AuthenticationError<ErrorCode>(init);
  if (status === 403) return new PermissionDeniedError<ErrorCode>(init);
  if (status === 404) return new NotFoundError<ErrorCode>(init);
  if (status === 409) return new ConflictError<ErrorCode>(init);
  if (status === 400 || status === 422) return new ValidationError<ErrorCode>(init);
  if (status === 429) return new RateLimitError<ErrorCode>(init);
  if (status >= 500) return new ServerError<ErrorCode>(init);
  return new TradeplaneApiError<ErrorCode>(init);
}
