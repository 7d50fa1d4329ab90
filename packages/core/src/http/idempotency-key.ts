import type { FieldError } from '../errors.js';
import { IDEMPOTENCY_KEY } from '../contract/common.js';
import type { RouteDefinition } from '../contract/route.js';
import { headerValue, type HttpRequest } from './types.js';

/**
 * The Idempotency-Key stage: money routes (`idempotent` in the contract) take an
 * `Idempotency-Key`, checked with the other fields before anything runs. Returns the key
 * (undefined on other routes), adding a field error when it is missing or malformed.
 */
export function checkIdempotencyKey(route: RouteDefinition, request: HttpRequest, fields: FieldError[]): string | undefined {
  const idempotencyKey = route.idempotent ? headerValue(request.headers, 'idempotency-key') : undefined;
  if (route.idempotent && (idempotencyKey === undefined || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
    fields.push({
      in: 'header',
      path: 'Idempotency-Key',
      code: idempotencyKey === undefined ? 'required' : 'invalid_idempotency_key',
      message: idempotencyKey === undefined ? 'this request moves money: send a unique Idempotency-Key (a UUID)' : 'must be 1–255 printable ASCII characters',
    });
  }
  return idempotencyKey;
}
