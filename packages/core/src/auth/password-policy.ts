import { TradeplaneError } from '../errors.js';
import type { AuthOptions } from './options.js';

let common: Promise<Set<string>> | undefined;
/**
 * Loaded and parsed on first use, then kept: most processes never set a password. The list is a
 * data module of its own, imported here and nowhere else, so the build puts it in a chunk that
 * only this loads (see common-passwords.js). A failed load is not kept: the next check retries.
 */
function commonSet(): Promise<Set<string>> {
  common ??= import('./common-passwords.js')
    .then(({ default: text }) => new Set(text.split(/\r?\n/).filter((line) => line !== '')))
    .catch((error: unknown) => {
      common = undefined;
      throw error;
    });
  return common;
}

/**
 * ASVS 5.0 password rules: a length range and a blocklist, no composition rules. Throws
 * `validation_failed` with a field error on `field` so clients can show it by the input.
 */
export function createPasswordPolicy(policy: AuthOptions['passwordPolicy']) {
  const extra = new Set(policy.blocklist.map((w) => w.toLowerCase()));
  return async function checkPassword(password: string, context: { field: string; email?: string; username?: string | null }): Promise<void> {
    const reject = (code: string, message: string) => {
      throw new TradeplaneError('validation_failed', 'The password was refused', {
        fields: [{ in: 'body', path: context.field, code, message }],
      });
    };
    if ([...password].length < policy.minLength) reject('too_short', `must be at least ${policy.minLength} characters`);
    const lower = password.toLowerCase();
    const identity = [context.email, context.email?.split('@')[0], context.username].filter((v): v is string => !!v);
    if (identity.some((value) => value.toLowerCase() === lower)) reject('matches_identity', 'must not be your email or username');
    if (extra.has(lower) || (policy.rejectCommon && (await commonSet()).has(lower))) {
      reject('too_common', 'is one of the most commonly used passwords; choose another');
    }
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
