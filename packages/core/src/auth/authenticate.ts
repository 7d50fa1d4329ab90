import { TradeplaneError, isTradeplaneError } from '../errors.js';
import type { RouteDefinition } from '../contract/route.js';
import { headerValue, type HttpRequest } from '../http/types.js';
import type { AuthService, Principal } from './service.js';
import type { ApiKeyService } from './api-keys.js';
import type { LicensePrincipal } from '../ports/principals.js';

const BEARER = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i;
const CHALLENGE = 'Bearer realm="tradeplane"';
const LICENSE = /^License\s+(\S+)\s*$/i;

/**
 * Establishes the caller for the dispatcher: an `Authorization: Bearer` access token, or — on
 * routes that name a `scope` — an `X-API-Key` holding that scope. 401 answers carry
 * `WWW-Authenticate` as RFC 6750 asks; a key without the scope gets 403 `insufficient_scope`.
 */
export function createAuthenticator(auth: AuthService, apiKeys: ApiKeyService, licenses?: (token: string) => Promise<LicensePrincipal>) {
  return async function authenticate(route: RouteDefinition, request: HttpRequest): Promise<Principal | LicensePrincipal> {
    if (route.auth === 'license') {
      // Trading terminals: `Authorization: License <token>`, the subscription's license token.
      const token = LICENSE.exec(headerValue(request.headers, 'authorization') ?? '')?.[1];
      if (!token || !licenses) {
        throw new TradeplaneError('unauthenticated', 'Send the subscription’s license token as `Authorization: License <token>`', { headers: { 'www-authenticate': 'License realm="tradeplane"' } });
      }
      return licenses(token);
    }
    const apiKey = headerValue(request.headers, 'x-api-key');
    if (apiKey !== undefined && headerValue(request.headers, 'authorization') === undefined) {
      if (!route.scope) {
        throw new TradeplaneError('unauthenticated', 'This route needs an access token; API keys are not accepted here', {
          headers: { 'www-authenticate': CHALLENGE },
        });
      }
      return apiKeys.authenticate(apiKey.trim(), route.scope);
    }
    const value = headerValue(request.headers, 'authorization');
    const token = value ? BEARER.exec(value)?.[1] : undefined;
    if (!token) {
      throw new TradeplaneError('unauthenticated', 'Send an access token as `Authorization: Bearer <token>`', {
        headers: { 'www-authenticate': CHALLENGE },
      });
    }
    try {
      return await auth.authenticate(token);
    } catch (error) {
      if (isTradeplaneError(error) && (error.code === 'invalid_token' || error.code === 'token_expired')) {
        throw new TradeplaneError(error.code, error.detail, {
          headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` },
        });
      }
      throw error;
    }
  };
}
