import { reply } from '../http/types.js';
import { isReplayed, REPLAYED_HEADER } from './idempotency.js';

/**
 * The wire form of an idempotent route's result, with `Idempotency-Replayed: true` when the
 * result was replayed from an earlier request with the same Idempotency-Key.
 */
export function withReplayHeader<T extends object, W>(result: T, toWire: (value: T) => W) {
  return isReplayed(result) ? reply(toWire(result), { headers: { [REPLAYED_HEADER]: 'true' } }) : toWire(result);
}
