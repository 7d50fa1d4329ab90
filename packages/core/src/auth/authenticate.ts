import { TradeplaneError, isTradeplaneError } from '../errors.js';
import type { AuthKind } from '../contract/route.js';
import type { HttpRequest } from '../http/types.js';
import type { AuthService, Principal } from './service.js';

const BEARER = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i;

/**
 * Establishes the caller for the dispatcher from the request's credentials. 401 answers carry
 * `WWW-Authenticate` as RFC 6750 asks.
 */
export function createAuthenticator(auth: AuthService) {
  return async function authenticate(kind: Exclude<AuthKind, 'public'>, request: HttpRequest): Promise<Principal> {
    if (kind !== 'user' && kind !== 'admin') {
      // API keys and license tokens arrive with their own issues; until then no route uses them.
      throw new TradeplaneError('unauthenticated', `Authentication of kind '${kind}' is not enabled`);
    }
    const header = request.headers['authorization'];
    const value = typeof header === 'string' ? header : header?.[0];
    const token = value ? BEARER.exec(value)?.[1] : undefined;
    if (!token) {
      throw new TradeplaneError('unauthenticated', 'Send an access token as `Authorization: Bearer <token>`', {
        headers: { 'www-authenticate': 'Bearer realm="tradeplane"' },
      });
    }
    try {
      return await auth.authenticate(token);
    } catch (error) {
      if (isTradeplaneError(error) && error.code === 'invalid_token') {
        throw new TradeplaneError('invalid_token', error.detail, {
          headers: { 'www-authenticate': 'Bearer realm="tradeplane", error="invalid_token"' },
        });
      }
      throw error;
    }
  };
}
