import { setTimeout as sleep } from 'node:timers/promises';
import { isTradeplaneError, type ErrorCode } from '../errors.js';

/**
 * Makes a refusal take as long as the success it stands in for. Sign-up hashes the password
 * either way, but a new account then writes its rows and commits, while a taken email only
 * reads one: without this, the refusal comes back measurably sooner (a few milliseconds,
 * more on PostgreSQL), which tells anyone timing it that the email has an account. This
 * remembers how long recent successes took and holds a refusal until as long has passed.
 *
 * Wall-clock time on purpose: what is hidden is what a client can time, not the engine's clock.
 */
export function equalTime(codes: readonly ErrorCode[], remember = 31) {
  const recent: number[] = [];
  // A timer fires late, more so on a busy machine: how late, lately, is taken off the next wait.
  let late = 0;
  const typical = () => (recent.length === 0 ? 0 : [...recent].sort((a, b) => a - b)[recent.length >> 1]!);
  return async function run<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      recent.push(performance.now() - started);
      if (recent.length > remember) recent.shift();
      return result;
    } catch (error) {
      if (isTradeplaneError(error) && codes.includes(error.code)) {
        const wait = typical() - (performance.now() - started) - late;
        if (wait > 0) {
          const before = performance.now();
          await sleep(wait);
          late += (performance.now() - before - wait - late) / 4;
        }
      }
      throw error;
    }
  };
}
