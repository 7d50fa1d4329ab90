import type { authRoutes } from '../contract/auth.js';
import type { ContractHandlers } from '../http/types.js';
import type { AuthService, TokenPair, User } from './service.js';

/** Domain user → wire shape (snake_case, ISO dates). */
export function userToWire(user: User) {
  return { id: user.id, email: user.email, role: user.role, status: user.status, created_at: user.createdAt.toISOString() };
}

function tokenPairToWire(tokens: TokenPair) {
  return {
    token_type: 'Bearer' as const,
    access_token: tokens.accessToken,
    expires_in: tokens.accessTokenExpiresIn,
    refresh_token: tokens.refreshToken,
    refresh_expires_in: tokens.refreshTokenExpiresIn,
    user: userToWire(tokens.user),
  };
}

/** Binds the auth routes to the auth service. Handlers only translate; the service decides. */
export function authHandlers(auth: AuthService): ContractHandlers<{ auth: typeof authRoutes }>['auth'] {
  return {
    register: async ({ body }) => ({ user: userToWire(await auth.register(body)) }),
    login: async ({ body, request }) =>
      tokenPairToWire(await auth.login({ email: body.email, password: body.password, userAgent: request.userAgent })),
    refresh: async ({ body }) => tokenPairToWire(await auth.refresh({ refreshToken: body.refresh_token })),
    logout: async ({ principal }) => {
      await auth.logout(principal);
      return null;
    },
    me: async ({ principal }) => userToWire(await auth.getUser(principal.userId)),
  };
}
