import { z } from 'zod';

const jwk = z.record(z.string(), z.unknown());

/** An asymmetric signing key. PEM strings (PKCS#8 private, SPKI public) or JWK objects. */
export const signingKeySchema = z.strictObject({
  /** Key id, sent in the token header and published in the JWKS. */
  kid: z.string().min(1).max(128),
  alg: z.enum(['EdDSA', 'ES256']),
  /** Needed by the key that signs; a retired key keeps only its public half. */
  privateKey: z.union([z.string().min(1), jwk]).optional(),
  publicKey: z.union([z.string().min(1), jwk]).optional(),
});

export const oidcProviderSchema = z.strictObject({
  /** The name clients send as `provider` (`google`). */
  id: z.string().min(1).max(64),
  /** Expected `iss`, e.g. `https://accounts.google.com`. */
  issuer: z.string().min(1),
  /** Expected `aud`: your OAuth client id(s) at the provider. */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Where the provider publishes its keys (e.g. `https://www.googleapis.com/oauth2/v3/certs`). */
  jwksUri: z.url().optional(),
  /** Or the keys themselves (tests, air-gapped setups). */
  jwks: z.object({ keys: z.array(jwk) }).optional(),
  algorithms: z.array(z.string()).min(1).default(['RS256', 'ES256', 'EdDSA']),
  /** Create an account for an unknown identity (default true); otherwise only linking/sign-in. */
  allowSignup: z.boolean().default(true),
});

/** Auth configuration, validated by `createEngine`. Durations are in seconds. */
export const authOptionsSchema = z.strictObject({
  /**
   * Server secret, at least 32 characters; required in production. Signs HS256 access tokens
   * (when no `signingKeys` are set), derives refresh-token successors and CSRF tokens.
   */
  jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Asymmetric access-token keys. The first key with a private half signs; every key verifies
   * and is published at `/.well-known/jwks.json`. To rotate: put the new key first, keep the
   * old one (public half is enough) until `accessTokenTtl` has passed, then drop it.
   */
  signingKeys: z.array(signingKeySchema).default([]),
  issuer: z.string().min(1).default('tradeplane'),
  audience: z.string().min(1).default('tradeplane'),
  accessTokenTtl: z.number().int().positive().default(15 * 60),
  refreshTokenTtl: z.number().int().positive().default(7 * 24 * 60 * 60),
  /** Absolute lifetime of a session (refresh family), however often it is refreshed. */
  sessionLifetime: z.number().int().positive().default(30 * 24 * 60 * 60),
  /**
   * A rotated refresh token presented again within this many seconds gets the same successor,
   * not a revocation — for a client whose answer was lost. Only the client that rotated it
   * (same user agent and address) is handed the successor; anyone else presenting it is treated
   * as reuse and the session is revoked. The trade-off: a client that retries from another
   * address (a phone switching networks mid-request) loses its session and signs in again; 0
   * turns the grace off, so every retry counts as reuse.
   */
  refreshReuseWindow: z.number().int().min(0).max(300).default(10),
  /**
   * A password change revokes the user's API keys along with every session (default true): a
   * key made by whoever knew the old password must not outlive it. `false` keeps them.
   */
  revokeApiKeysOnPasswordChange: z.boolean().default(true),
  passwordHashing: z
    .strictObject({
      /** KiB; OWASP's argon2id minimum is 19 MiB with t = 2, p = 1. */
      memoryCost: z.number().int().min(1024).default(19_456),
      timeCost: z.number().int().min(1).default(2),
      parallelism: z.number().int().min(1).default(1),
      /**
       * Hashes and verifications running at once (default: the cores less one and the libuv
       * thread pool less one, at least one): argon2 must not take every core, nor every pool
       * thread (token signatures are checked there too), from the requests that do not hash.
       */
      concurrency: z.number().int().min(1).optional(),
      /** Operations waiting for a turn; more answer 503 with `Retry-After` at once. */
      maxQueued: z.number().int().min(0).default(256),
      /** How long an operation may wait for a turn before it answers 503, in milliseconds. */
      maxWaitMs: z.number().int().min(0).max(60_000).default(5_000),
    })
    .prefault({}),
  passwordPolicy: z
    .strictObject({
      /** 8 to 64; passwords up to 128 characters are always accepted. */
      minLength: z.number().int().min(8).max(64).default(8),
      /** Refuse the 10,000 most common passwords (default true). */
      rejectCommon: z.boolean().default(true),
      /** More words to refuse, e.g. your product's name. Compared case-insensitively. */
      blocklist: z.array(z.string()).default([]),
    })
    .prefault({}),
  /** New accounts start `pending` until an admin approves them. */
  signupApproval: z.boolean().default(false),
  /**
   * Failed sign-ins, counted in the database (every instance sees them) four ways, so that a
   * guesser can neither lock an owner out from everywhere nor lock out everyone behind one
   * address. `false` turns throttling off.
   * - per account and address: `maxFailures` inside `windowSeconds` refuse that pair for
   *   `blockSeconds` (429 with `Retry-After`), even with the right password;
   * - per address (`address`): past its `maxFailures`, each account gets one wrong try from
   *   that address instead of `maxFailures`; right passwords still sign in;
   * - per account across addresses (`account`): after `freeFailures`, each failure makes the
   *   account wait 1, 2, 4 … up to `maxDelaySeconds` before the next try — except from an
   *   address where it signed in within `rememberAddressSeconds`;
   * - everywhere (`global`, against spraying many accounts from many addresses): past its
   *   `maxFailures` in `windowSeconds`, only remembered (account, address) pairs may try until
   *   the window ends. `false` turns this one off.
   */
  loginThrottle: z
    .union([
      z.literal(false),
      z.strictObject({
        maxFailures: z.number().int().min(1).default(5),
        windowSeconds: z.number().int().min(1).default(60),
        blockSeconds: z.number().int().min(1).default(300),
        address: z
          .strictObject({
            maxFailures: z.number().int().min(1).default(20),
            windowSeconds: z.number().int().min(1).default(60),
            blockSeconds: z.number().int().min(1).default(300),
          })
          .prefault({}),
        account: z
          .strictObject({
            freeFailures: z.number().int().min(0).default(5),
            windowSeconds: z.number().int().min(1).default(3600),
            maxDelaySeconds: z.number().int().min(1).default(60),
          })
          .prefault({}),
        global: z
          .union([
            z.literal(false),
            z.strictObject({
              maxFailures: z.number().int().min(1).default(100),
              windowSeconds: z.number().int().min(1).default(60),
            }),
          ])
          .prefault({}),
        rememberAddressSeconds: z.number().int().min(0).default(30 * 24 * 60 * 60),
      }),
    ])
    .prefault({}),
  oidc: z.strictObject({ providers: z.array(oidcProviderSchema).default([]) }).prefault({}),
});

export type AuthOptionsInput = z.input<typeof authOptionsSchema>;
export type AuthOptions = z.output<typeof authOptionsSchema> & { jwtSecret: string };
export type SigningKeyInput = z.input<typeof signingKeySchema>;
export type OidcProviderOptions = z.output<typeof oidcProviderSchema>;
