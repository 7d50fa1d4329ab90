import { TradeplaneError } from '../errors.js';
import { commonPasswords } from './common-passwords.js';
import type { AuthOptions } from './options.js';

let common: Set<string> | undefined;
/** Parsed on first use: most processes never set a password. */
function commonSet(): Set<string> {
  return (common ??= new Set(commonPasswords.split('\n')));
}

/**
 * ASVS 5.0 password rules: a length range and a blocklist, no composition rules. Throws
 * `validation_failed` with a field error on `field` so clients can show it by the input.
 */
export function createPasswordPolicy(policy: AuthOptions['passwordPolicy']) {
  const extra = new Set(policy.blocklist.map((w) => w.toLowerCase()));
  return function checkPassword(password: string, context: { field: string; email?: string; username?: string | null }): void {
    const reject = (code: string, message: string) => {
      throw new TradeplaneError('validation_failed', 'The password was refused', {
        fields: [{ in: 'body', path: context.field, code, message }],
      });
    };
    if ([...password].length < policy.minLength) reject('too_short', `must be at least ${policy.minLength} characters`);
    const lower = password.toLowerCase();
    const identity = [context.email, context.email?.split('@')[0], context.username].filter((v): v is string => !!v);
    if (identity.some((value) => value.toLowerCase() === lower)) reject('matches_identity', 'must not be your email or username');
    if (extra.has(lower) || (policy.rejectCommon && commonSet().has(lower))) {
      reject('too_common', 'is one of the most commonly used passwords; choose another');
    }
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
