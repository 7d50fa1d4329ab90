/**
 * Typed errors and the one map from error code to HTTP status.
 *
 * Services throw `TradeplaneError(code, detail, fields?)`; nothing else in the codebase knows
 * which HTTP status a code becomes. The dispatcher turns any error into an RFC 9457
 * `application/problem+json` body through {@link toProblem}.
 */

/** Every stable error code, with the HTTP status and human title it maps to. */
export const errorCatalog = {
  // 400
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  bad_request: { status: 400, title: 'Bad request' },
  invalid_signature: { status: 400, title: 'Invalid webhook signature' },
  stale_webhook: { status: 400, title: 'Webhook timestamp outside the tolerance' },
  raw_body_unavailable: { status: 400, title: 'Raw request body unavailable' },
  // 401
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_credentials: { status: 401, title: 'Invalid email or password' },
  invalid_token: { status: 401, title: 'Invalid or revoked token' },
  token_expired: { status: 401, title: 'Access token expired' },
  refresh_token_reused: { status: 401, title: 'Refresh token reuse detected' },
  // 403
  forbidden: { status: 403, title: 'Forbidden' },
  account_disabled: { status: 403, title: 'Account disabled' },
  account_pending: { status: 403, title: 'Account awaiting approval' },
  insufficient_scope: { status: 403, title: 'API key lacks the required scope' },
  csrf_failed: { status: 403, title: 'CSRF check failed' },
  funding_provider_required: { status: 403, title: 'Real money needs a funding provider or an operator' },
  plan_limit: { status: 403, title: 'Your plan does not allow this' },
  billing_provider_required: { status: 403, title: 'Paid plans need a billing provider' },
  // 404
  not_found: { status: 404, title: 'Not found' },
  route_not_found: { status: 404, title: 'No such route' },
  // 405
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  // 409
  conflict: { status: 409, title: 'Conflict' },
  email_taken: { status: 409, title: 'Email already registered' },
  username_taken: { status: 409, title: 'Username already taken' },
  insufficient_funds: { status: 409, title: 'Insufficient funds' },
  idempotency_conflict: { status: 409, title: 'Idempotency key reused with a different request' },
  account_limit_reached: { status: 409, title: 'Account limit reached' },
  already_reversed: { status: 409, title: 'Entry already reversed' },
  hold_not_pending: { status: 409, title: 'Hold is no longer pending' },
  risk_rejected: { status: 409, title: 'Refused by risk management' },
  no_market_price: { status: 409, title: 'No market price' },
  order_rejected: { status: 409, title: 'Order rejected by the broker' },
  order_not_pending: { status: 409, title: 'Order is no longer pending' },
  trade_not_open: { status: 409, title: 'Trade is not open' },
  demo_limit_reached: { status: 409, title: 'Demo limit reached' },
  withdrawal_not_pending: { status: 409, title: 'Withdrawal is no longer pending' },
  credit_not_pending: { status: 409, title: 'Credit is no longer awaiting approval' },
  second_approval_required: { status: 409, title: 'A second operator must approve this' },
  withdrawal_not_approved: { status: 409, title: 'Withdrawal is not approved for payout' },
  dispute_open: { status: 409, title: 'A payment dispute is open on the account' },
  funds_not_cleared: { status: 409, title: 'Deposited funds have not cleared yet' },
  deposit_not_refundable: { status: 409, title: 'Deposit cannot be refunded' },
  // 413 / 415
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  // 422
  validation_failed: { status: 422, title: 'Validation failed' },
  currency_mismatch: { status: 422, title: 'Currency mismatch' },
  transfer_not_allowed: { status: 422, title: 'Transfer not allowed' },
  // 429
  rate_limited: { status: 429, title: 'Too many requests' },
  // 5xx
  internal_error: { status: 500, title: 'Internal server error' },
  payout_failed: { status: 502, title: 'The payout provider refused the payout' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/** One field-level problem, e.g. `{ in: 'body', path: 'email', code: 'invalid_format', message }`. */
export interface FieldError {
  /** Which part of the request the field lives in. */
  in: 'body' | 'query' | 'path' | 'header';
  /** Dotted path inside that part (`''` for the part itself). */
  path: string;
  /** Machine-readable reason (zod's issue code, or a domain code). */
  code: string;
  message: string;
}

/** A 422 `validation_failed` listing every field problem, its detail naming each one. */
export function invalidFields(fields: FieldError[]): TradeplaneError {
  return new TradeplaneError('validation_failed', fields.map((f) => `${f.path} ${f.message}`).join('; '), { fields });
}

/** A camelCase option or field name as the wire spells it (`minConfidence` → `min_confidence`), for field-error paths. */
export const wireName = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The RFC 9457 body every non-2xx answer carries. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  /** Members a code adds (RFC 9457 extension members): `plan_limit` names `entitlement`, `limit` and `plan`. */
  [extension: string]: unknown;
}

/**
 * The one error type services throw. `code` is stable and part of the public contract;
 * `detail` is a human sentence safe to show to the caller (never a stack or SQL).
 *
 * @example
 * throw new TradeplaneError('email_taken', 'An account with this email already exists');
 */
const BRAND: unique symbol = Symbol.for('tradeplane.error');

export class TradeplaneError extends Error {
  /** Marks instances across copies of this package (ESM and CJS builds, or two versions). */
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly fields: FieldError[] | undefined;
  /** Extra response headers, e.g. `Retry-After` for `rate_limited`. */
  readonly headers: Record<string, string> | undefined;
  /** Extra members of the problem body (RFC 9457 extension members); they never replace a standard member. */
  readonly extensions: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { fields?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail ?? errorCatalog[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TradeplaneError';
    this.code = code;
    this.detail = detail ?? errorCatalog[code].title;
    this.fields = options.fields;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }
}

/**
 * True for a TradeplaneError from any copy of this package: `instanceof` fails when an ESM and a
 * CJS build (or two versions) are both loaded, and a 413 must not turn into a 500 because of it.
 */
export function isTradeplaneError(value: unknown): value is TradeplaneError {
  if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(errorCatalog, code);
}

/** The problem `type` URI for a code. A URN: stable, and not pretending to be a fetchable page. */
export function problemType(code: ErrorCode): string {
  return `urn:tradeplane:problem:${code}`;
}

/** The members RFC 9457 and tradeplane define: an extension never takes their place. */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'request_id', 'errors']);

/**
 * Turns anything thrown into a problem body. Unknown errors become a bare 500 whose detail
 * says nothing about the cause: stack traces and driver messages never reach the caller.
 */
export function toProblem(error: unknown, requestId?: string): { status: number; headers: Record<string, string>; body: ProblemDetails } {
  const known = isTradeplaneError(error) ? error : new TradeplaneError('internal_error', 'An unexpected error occurred');
  const entry = errorCatalog[known.code];
  const body: ProblemDetails = {
    type: problemType(known.code),
    title: entry.title,
    status: entry.status,
    detail: known.detail,
    code: known.code,
  };
  if (requestId) body.request_id = requestId;
  if (known.fields && known.fields.length > 0) body.errors = known.fields;
  for (const [name, value] of Object.entries(known.extensions ?? {})) if (!PROBLEM_MEMBERS.has(name)) body[name] = value;
  return { status: entry.status, headers: { ...(known.headers ?? {}) }, body };
}
