/**
 * @tradeplane/client — a typed client for a tradeplane API, generated from its contract.
 * Zero runtime dependencies; works in Node ≥ 20 and browsers (global `fetch`).
 *
 * Amounts travel as decimal strings ("100.50") and times as ISO 8601 strings, exactly as on the
 * wire: the client never turns money into floats.
 */
export { createClient, memoryTokenStore } from './client.js';
export type { Api, ClientOptions, CallOptions, TokenStore, Tokens, RequestInfo } from './client.js';
export {
  TradeplaneApiError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  ValidationError,
  RateLimitError,
  ServerError,
  ConnectionError,
  TimeoutError,
} from './errors.js';
export type { FieldError } from './errors.js';
export type * from './generated.js';
export { operations, groups } from './generated.js';
