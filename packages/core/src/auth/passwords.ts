import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` of @node-rs/argon2 (a const enum, which isolated modules cannot read). */
const ARGON2ID = 2;

/**
 * Argon2id parameters. Defaults follow OWASP's minimum for argon2id
 * (m = 19 MiB, t = 2, p = 1); raise them if your hardware allows.
 */
export interface PasswordHashingOptions {
  /** Memory in KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const defaultPasswordHashing: PasswordHashingOptions = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Never throws for a malformed stored hash: answers false. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /**
   * Spends the same time as a real verification. Called when the account does not exist so
   * that response time does not reveal which emails are registered.
   */
  verifyDummy(password: string): Promise<void>;
  /** True when a stored hash was made with other parameters (or algorithm) than the current ones. */
  needsRehash(storedHash: string): boolean;
}

export function argon2idHasher(options: PasswordHashingOptions = defaultPasswordHashing): PasswordHasher {
  // Only argon2's own parameters: the options object may carry more (the hashing limits).
  const params = { algorithm: ARGON2ID, memoryCost: options.memoryCost, timeCost: options.timeCost, parallelism: options.parallelism };
  // Computed up front so that even the first unknown-email login costs one verification, not
  // a hash plus a verification.
  const dummy = hash('tradeplane-dummy-password', params);
  dummy.catch(() => {});
  return {
    hash: (password) => hash(password, params),
    verify: async (storedHash, password) => {
      try {
        return await verify(storedHash, password);
      } catch {
        return false;
      }
    },
    verifyDummy: async (password) => {
      await verify(await dummy, password).catch(() => false);
    },
    needsRehash: (storedHash) => {
      // PHC string: $argon2id$v=19$m=19456,t=2,p=1$salt$hash
      const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash);
      if (!match) return true;
      return Number(match[1]) !== options.memoryCost || Number(match[2]) !== options.timeCost || Number(match[3]) !== options.parallelism;
    },
  };
}
