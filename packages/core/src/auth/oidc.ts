import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { TradeplaneError } from '../errors.js';
import { normalizeEmail } from './email.js';
import type { OidcProviderOptions } from './options.js';

/** What a verified ID token says about its subject. */
export interface VerifiedIdentity {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

export interface OidcVerifier {
  verify(input: { provider: string; idToken: string; nonce?: string; now: Date }): Promise<VerifiedIdentity>;
  provider(id: string): OidcProviderOptions | undefined;
}

/**
 * Verifies OpenID Connect ID tokens (seeds 001/002: Google sign-in) with jose: signature
 * against the provider's JWKS (fetched and cached by `createRemoteJWKSet`, or given locally),
 * `iss`, `aud`, `exp`/`nbf` with 30 s of clock skew, the provider's algorithms, and `nonce`
 * when the client sends the one it used.
 */
export function createOidcVerifier(providers: OidcProviderOptions[]): OidcVerifier {
  const byId = new Map<string, { options: OidcProviderOptions; keys: JWTVerifyGetKey }>();
  for (const options of providers) {
    if (byId.has(options.id)) throw new TypeError(`OIDC provider '${options.id}' is configured twice`);
    let keys: JWTVerifyGetKey;
    if (options.jwks) keys = createLocalJWKSet(options.jwks as JSONWebKeySet);
    else if (options.jwksUri) keys = createRemoteJWKSet(new URL(options.jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    else throw new TypeError(`OIDC provider '${options.id}' needs jwksUri or jwks`);
    byId.set(options.id, { options, keys });
  }
  return {
    provider: (id) => byId.get(id)?.options,
    async verify({ provider, idToken, nonce, now }) {
      const entry = byId.get(provider);
      if (!entry) {
        throw new TradeplaneError('validation_failed', 'Unknown identity provider', {
          fields: [{ in: 'body', path: 'provider', code: 'unknown_provider', message: 'is not a configured identity provider' }],
        });
      }
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(idToken, entry.keys, {
          issuer: entry.options.issuer,
          audience: entry.options.audience,
          algorithms: entry.options.algorithms,
          currentDate: now,
          clockTolerance: 30,
          requiredClaims: ['sub', 'exp', 'iat'],
        }));
      } catch {
        throw new TradeplaneError('invalid_token', 'The ID token is invalid, expired or not for this application');
      }
      if (nonce !== undefined && payload.nonce !== nonce) {
        throw new TradeplaneError('invalid_token', 'The ID token’s nonce does not match');
      }
      const email = typeof payload.email === 'string' ? normalizeEmail(payload.email) : null;
      return {
        provider,
        subject: String(payload.sub),
        email,
        // Some providers send the string "true".
        emailVerified: payload.email_verified === true || payload.email_verified === 'true',
      };
    },
  };
}
