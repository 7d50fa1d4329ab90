import type { ApiKeyScope } from '../contract/scopes.js';
import type { Role } from './storage.js';

/**
 * Who is calling, as authentication establishes it and the dispatcher hands it to handlers.
 * Declared once here, beside the other ports, so that the auth and copy modules that produce
 * these and the HTTP layer that carries them share one definition and neither imports the other.
 */

/** Who is calling, when the credential is an access token. */
export interface SessionPrincipal {
  via: 'session';
  userId: string;
  role: Role;
  /** The refresh-token family (session) the access token was issued for. */
  sessionId: string;
  /** The access token's id and expiry, so logout can deny-list it. */
  tokenId: string;
  tokenExpiresAt: Date;
}

/** Who is calling, when the credential is an API key. */
export interface ApiKeyPrincipal {
  via: 'apiKey';
  userId: string;
  role: Role;
  apiKeyId: string;
  scopes: ApiKeyScope[];
}

/** Who is calling: a signed-in session or an API key (the caller of `user`, `admin` and API-key routes). */
export type Principal = SessionPrincipal | ApiKeyPrincipal;

/** A copy terminal presenting a subscription's license token. */
export interface LicensePrincipal {
  via: 'license';
  userId: string;
  role: 'user';
  subscriptionId: string;
}

/** Any authenticated caller. */
export type Caller = Principal | LicensePrincipal;
