import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, webcrypto, type JsonWebKey, type KeyObject } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import { SignJWT, calculateJwkThumbprint, createLocalJWKSet, jwtVerify, errors as joseErrors, type JWK, type JWTVerifyGetKey } from 'jose';
import { TradeplaneError, isTradeplaneError } from '../errors.js';
import type { Role } from '../ports/storage.js';
import type { SigningKeyInput } from './options.js';

/** The claims of a tradeplane access token beyond the registered ones. */
export interface AccessTokenClaims {
  sub: string;
  jti: string;
  role: Role;
  /** The user's token_version when the token was issued. */
  token_version: number;
  /** Session id: the refresh-token family this access token belongs to. */
  sid: string;
  iat: number;
  exp: number;
}

export interface AccessTokenSigner {
  sign(claims: Omit<AccessTokenClaims, 'iat' | 'exp'>, issuedAt: Date, ttlSeconds: number): Promise<string>;
  /** Verifies signature, algorithm, issuer, audience and lifetime; throws `invalid_token` or `token_expired`. */
  verify(token: string, now: Date): Promise<AccessTokenClaims>;
  /** The public keys to publish (empty for HS256). */
  jwks(): { keys: JWK[] };
}

/** Tolerated difference between the clocks of instances, in seconds. */
const CLOCK_SKEW_SECONDS = 30;
/** Verified tokens remembered per signer (a few MB at most). */
const VERIFIED_CACHE_SIZE = 10_000;

interface KeyMaterial {
  /** What `jwtVerify` checks the signature with. */
  verifyKey: CryptoKey | KeyObject | JWTVerifyGetKey;
  algorithms: string[];
  signKey: Promise<CryptoKey> | KeyObject;
  alg: string;
  kid?: string;
}

/**
 * The access-token signer. HS256 with the server secret by default; with `signingKeys`, the
 * first key that has a private half signs (EdDSA or ES256, `kid` in the header) and every
 * configured key verifies — so tokens signed by a retired key stay valid until they expire.
 * The accepted algorithms are pinned on verify: `alg: none`, HS256-with-the-public-key and any
 * other substitution fail.
 */
export function createAccessTokenSigner(options: { secret: string; signingKeys: SigningKeyInput[]; issuer: string; audience: string }): AccessTokenSigner {
  const { issuer, audience } = options;
  const material = options.signingKeys.length > 0 ? asymmetric(options.signingKeys) : hmac(options.secret);
  const published = options.signingKeys.length > 0 ? { keys: publicJwks(options.signingKeys) } : { keys: [] };
  // Web Crypto verification runs on libuv's thread pool: ~100 µs per token. A client sends the
  // same token for its whole lifetime, and whether a given string carries a valid signature
  // never changes, so verified tokens are remembered (bounded, oldest evicted first). Expiry is
  // re-checked on every use; revocation is the database's job either way.
  const verified = new Map<string, AccessTokenClaims>();
  return {
    jwks: () => published,
    async sign(claims, issuedAt, ttlSeconds) {
      const iat = Math.floor(issuedAt.getTime() / 1000);
      return new SignJWT({ role: claims.role, token_version: claims.token_version, sid: claims.sid })
        .setProtectedHeader({ alg: material.alg, typ: 'JWT', ...(material.kid ? { kid: material.kid } : {}) })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(claims.sub)
        .setJti(claims.jti)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(await material.signKey);
    },
    async verify(token, now) {
      const known = verified.get(token);
      if (known) {
        // The same comparison jose makes for `exp`.
        if (known.exp > Math.floor(now.getTime() / 1000) - CLOCK_SKEW_SECONDS) return known;
        verified.delete(token);
        throw new TradeplaneError('token_expired', 'The access token has expired; refresh it');
      }
      try {
        const { payload } = await jwtVerify(token, material.verifyKey as Parameters<typeof jwtVerify>[1] & CryptoKey, {
          algorithms: material.algorithms,
          issuer,
          audience,
          currentDate: now,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        });
        const { sub, jti, role, token_version, sid, iat, exp } = payload as Record<string, unknown>;
        if (
          typeof sub !== 'string' ||
          typeof jti !== 'string' ||
          typeof sid !== 'string' ||
          typeof token_version !== 'number' ||
          (role !== 'user' && role !== 'viewer' && role !== 'admin') ||
          typeof iat !== 'number' ||
          typeof exp !== 'number'
        ) {
          throw new TradeplaneError('invalid_token', 'The access token is missing required claims');
        }
        // jose checks exp and nbf; a token "issued" in the future is refused too.
        if (iat > Math.floor(now.getTime() / 1000) + CLOCK_SKEW_SECONDS) {
          throw new TradeplaneError('invalid_token', 'The access token is not valid yet');
        }
        const claims: AccessTokenClaims = { sub, jti, role, token_version, sid, iat, exp };
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, claims);
        return claims;
      } catch (error) {
        if (isTradeplaneError(error)) throw error;
        // Expired is told apart from invalid so that clients know a refresh will help.
        if (error instanceof joseErrors.JWTExpired) throw new TradeplaneError('token_expired', 'The access token has expired; refresh it');
        throw new TradeplaneError('invalid_token', 'The access token is invalid');
      }
    },
  };
}

function hmac(secret: string): KeyMaterial {
  // Imported once: handing jose raw bytes makes it import the key on every call (~50 µs each).
  const key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  let resolved: CryptoKey | undefined;
  void key.then((k) => (resolved = k));
  return {
    alg: 'HS256',
    algorithms: ['HS256'],
    signKey: key,
    // jose accepts a key-resolving function; it returns the imported key without re-importing.
    verifyKey: async () => resolved ?? (await key),
  };
}

function readKey(value: string | Record<string, unknown>, kind: 'private' | 'public'): KeyObject {
  const input = typeof value === 'string' ? value : { key: value as JsonWebKey, format: 'jwk' as const };
  return kind === 'private' ? createPrivateKey(input) : createPublicKey(input);
}

function keyPair(input: SigningKeyInput): { privateKey?: KeyObject; publicKey: KeyObject } {
  const privateKey = input.privateKey ? readKey(input.privateKey, 'private') : undefined;
  const publicKey = input.publicKey ? readKey(input.publicKey, 'public') : privateKey ? createPublicKey(privateKey) : undefined;
  if (!publicKey) throw new TypeError(`Signing key '${input.kid}' needs a privateKey or a publicKey`);
  const type = publicKey.asymmetricKeyType;
  const ok = input.alg === 'EdDSA' ? type === 'ed25519' : type === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!ok) throw new TypeError(`Signing key '${input.kid}' is not a ${input.alg === 'EdDSA' ? 'Ed25519' : 'P-256'} key`);
  return { privateKey, publicKey };
}

function publicJwks(keys: SigningKeyInput[]): JWK[] {
  return keys.map((input) => ({ ...(keyPair(input).publicKey.export({ format: 'jwk' }) as JWK), kid: input.kid, alg: input.alg, use: 'sig' }));
}

function asymmetric(keys: SigningKeyInput[]): KeyMaterial {
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) throw new TypeError('Signing key ids (kid) must be unique');
  const current = keys.find((k) => k.privateKey);
  if (!current) throw new TypeError('At least one signing key needs its privateKey');
  return {
    alg: current.alg,
    kid: current.kid,
    algorithms: [...new Set(keys.map((k) => k.alg))],
    signKey: keyPair(current).privateKey!,
    verifyKey: createLocalJWKSet({ keys: publicJwks(keys) }),
  };
}

/**
 * A fresh signing key for `auth.signingKeys`, as JWKs. Store the private JWK as a secret.
 *
 * @example
 * const key = await generateSigningKey('EdDSA');
 * createEngine({ database, auth: { jwtSecret, signingKeys: [key] } });
 */
export async function generateSigningKey(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<{ kid: string; alg: 'EdDSA' | 'ES256'; privateKey: JWK; publicKey: JWK }> {
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicKey);
  return { kid, alg, privateKey: pair.privateKey.export({ format: 'jwk' }) as JWK, publicKey };
}

/** An opaque bearer secret: 256 bits of randomness, base64url. */
export function generateOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Bearer secrets are stored as SHA-256: high-entropy tokens need no slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** HMAC-SHA256 under a key derived from the server secret for one purpose, base64url. */
export function keyedDigest(secret: string, purpose: string, value: string): string {
  const key = createHmac('sha256', secret).update(`tradeplane:${purpose}`).digest();
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Compares two secrets without leaking, through timing, where they first differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
