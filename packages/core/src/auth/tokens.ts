import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { TradeplaneError, isTradeplaneError } from '../errors.js';
import type { Role } from '../ports/storage.js';

/** The claims of a tradeplane access token beyond the registered ones. */
export interface AccessTokenClaims {
  sub: string;
  jti: string;
  role: Role;
  /** The user's token_version when the token was issued. */
  tv: number;
  /** Session id: the refresh-token family this access token belongs to. */
  sid: string;
  iat: number;
  exp: number;
}

export interface AccessTokenSigner {
  sign(claims: Omit<AccessTokenClaims, 'iat' | 'exp'>, issuedAt: Date, ttlSeconds: number): Promise<string>;
  /** Verifies signature, algorithm, issuer, audience and lifetime; throws `invalid_token`. */
  verify(token: string, now: Date): Promise<AccessTokenClaims>;
}

const ALGORITHM = 'HS256';
/** Tolerated difference between the clocks of instances, in seconds. */
const CLOCK_SKEW_SECONDS = 30;

/** HS256 signer. The algorithm is pinned on verify, so `alg: none` or a swapped algorithm fails. */
export function hs256Signer(secret: string, issuer: string, audience: string): AccessTokenSigner {
  // Imported once: handing jose raw bytes makes it import the key on every call (~50 µs each).
  const imported = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  return {
    async sign(claims, issuedAt, ttlSeconds) {
      const iat = Math.floor(issuedAt.getTime() / 1000);
      return new SignJWT({ role: claims.role, tv: claims.tv, sid: claims.sid })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(claims.sub)
        .setJti(claims.jti)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(await imported);
    },
    async verify(token, now) {
      try {
        const { payload } = await jwtVerify(token, await imported, {
          algorithms: [ALGORITHM],
          issuer,
          audience,
          currentDate: now,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        });
        const { sub, jti, role, tv, sid, iat, exp } = payload as Record<string, unknown>;
        if (
          typeof sub !== 'string' ||
          typeof jti !== 'string' ||
          typeof sid !== 'string' ||
          typeof tv !== 'number' ||
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
        return { sub, jti, role, tv, sid, iat, exp };
      } catch (error) {
        if (isTradeplaneError(error)) throw error;
        const expired = error instanceof joseErrors.JWTExpired;
        throw new TradeplaneError('invalid_token', expired ? 'The access token has expired' : 'The access token is invalid');
      }
    },
  };
}

/** An opaque bearer secret: 256 bits of randomness, base64url. */
export function generateOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Bearer secrets are stored as SHA-256: high-entropy tokens need no slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
