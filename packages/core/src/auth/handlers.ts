import { TradeplaneError } from '../errors.js';
import type { authRoutes } from '../contract/auth.js';
import type { apiKeyRoutes } from '../contract/api-keys.js';
import { headerValue, reply, type ContractHandlers, type RequestMeta } from '../http/types.js';
import type { RequestContext } from '../audit/audit-log.js';
import type { ApiKeyService } from './api-keys.js';
import type { AuthService, Principal, SessionPrincipal, TokenPair, User } from './service.js';
import { REFRESH_COOKIE, clearedCookies, readCookie, sessionCookies } from './cookies.js';
import type { ApiKeyRecord } from '../ports/storage.js';

/** Domain user → wire shape (snake_case, ISO dates). */
export function userToWire(user: User) {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    role: user.role,
    status: user.status,
    referral_code: user.referralCode,
    created_at: user.createdAt.toISOString(),
  };
}

export function requestContext(meta: RequestMeta): RequestContext {
  return { ip: meta.ip, requestId: meta.requestId, userAgent: meta.userAgent };
}

/** Routes without a `scope` only ever see session principals; this makes that explicit. */
export function sessionOf(principal: Principal): SessionPrincipal {
  if (principal.via !== 'session') throw new TradeplaneError('unauthenticated', 'This route needs an access token');
  return principal;
}

/** The token pair as JSON, or — in cookie mode — with the refresh token moved into cookies. */
function tokenReply(auth: AuthService, tokens: TokenPair, meta: RequestMeta) {
  const body = {
    token_type: 'Bearer' as const,
    access_token: tokens.accessToken,
    expires_in: tokens.accessTokenExpiresIn,
    refresh_expires_in: tokens.refreshTokenExpiresIn,
    session_id: tokens.sessionId,
    user: userToWire(tokens.user),
  };
  if (!meta.cookieMode) return { ...body, refresh_token: tokens.refreshToken };
  const csrfToken = auth.csrfToken(tokens.sessionId);
  return reply(
    { ...body, csrf_token: csrfToken },
    { headers: { 'set-cookie': sessionCookies(meta, { refreshToken: tokens.refreshToken, refreshExpiresIn: tokens.refreshTokenExpiresIn, csrfToken }) } },
  );
}

function apiKeyToWire(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes as never,
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** Binds the auth routes to the auth service. Handlers only translate; the service decides. */
export function authHandlers(auth: AuthService): ContractHandlers<{ auth: typeof authRoutes }>['auth'] {
  return {
    register: async ({ body, request }) =>
      ({
        user: userToWire(
          await auth.register({ email: body.email, password: body.password, username: body.username, referralCode: body.referral_code }, requestContext(request)),
        ),
      }),
    login: async ({ body, request }) =>
      tokenReply(
        auth,
        await auth.login(
          { email: body.email, username: body.username, password: body.password, deviceLabel: body.device_label },
          requestContext(request),
        ),
        request,
      ),
    refresh: async ({ body, request }) => {
      let refreshToken = body?.refresh_token;
      let csrfToken: string | undefined;
      if (refreshToken === undefined && request.cookieMode) {
        refreshToken = readCookie(request.headers, REFRESH_COOKIE);
        // The cookie is sent by the browser on its own; the CSRF header proves the page asked.
        csrfToken = headerValue(request.headers, 'x-csrf-token') ?? '';
      }
      if (!refreshToken) {
        throw new TradeplaneError('validation_failed', 'Send the refresh token', {
          fields: [{ in: 'body', path: 'refresh_token', code: 'invalid_type', message: 'is required' }],
        });
      }
      return tokenReply(auth, await auth.refresh({ refreshToken, csrfToken }, requestContext(request)), request);
    },
    logout: async ({ principal, request }) => {
      await auth.logout(sessionOf(principal));
      return request.cookieMode ? reply(null, { headers: { 'set-cookie': clearedCookies(request) } }) : null;
    },
    me: async ({ principal }) => userToWire(await auth.getUser(principal.userId)),
    changePassword: async ({ principal, body, request }) =>
      tokenReply(
        auth,
        await auth.changePassword(sessionOf(principal), { currentPassword: body.current_password, newPassword: body.new_password }, requestContext(request)),
        request,
      ),
    sessions: async ({ principal }) => ({
      sessions: (await auth.listSessions(sessionOf(principal))).map((s) => ({
        id: s.id,
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        user_agent: s.userAgent,
        device_label: s.deviceLabel,
        ip: s.ip,
        current: s.current,
      })),
    }),
    revokeSession: async ({ principal, params, request }) => {
      await auth.revokeSession(sessionOf(principal), params.id, requestContext(request));
      return null;
    },
    oidc: async ({ body, request }) =>
      tokenReply(
        auth,
        await auth.signInWithOidc(
          { provider: body.provider, idToken: body.id_token, nonce: body.nonce, deviceLabel: body.device_label },
          requestContext(request),
        ),
        request,
      ),
  };
}

export function apiKeyHandlers(apiKeys: ApiKeyService): ContractHandlers<{ apiKeys: typeof apiKeyRoutes }>['apiKeys'] {
  return {
    create: async ({ principal, body, request }) => {
      const { apiKey, key } = await apiKeys.create(
        sessionOf(principal).userId,
        { name: body.name, scopes: body.scopes, expiresAt: body.expires_at ? new Date(body.expires_at) : undefined },
        requestContext(request),
      );
      return { api_key: apiKeyToWire(apiKey), key };
    },
    list: async ({ principal }) => ({ api_keys: (await apiKeys.list(sessionOf(principal).userId)).map(apiKeyToWire) }),
    revoke: async ({ principal, params, request }) => {
      await apiKeys.revoke(sessionOf(principal).userId, params.id, requestContext(request));
      return null;
    },
  };
}

