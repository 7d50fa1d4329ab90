import { adminHandlers } from '../admin/handlers.js';
import { createAdminService } from '../admin/service.js';
import { defineModule } from '../modules/define.js';
import type { Repositories, UserRecord } from '../ports/storage.js';
import { createApiKeyService } from './api-keys.js';
import { apiKeyHandlers, authHandlers } from './handlers.js';
import { createAuthService } from './service.js';

/** Users, sessions, API keys and administration: who is calling, and what they may do. */
export const authModule = defineModule({
  name: 'auth',
  requires: [],
  uses: [],
  routes: ['auth', 'apiKeys', 'admin'],
  create(ctx) {
    const { storage, clock, ids, logger, audit } = ctx;
    const auth = createAuthService({
      storage,
      clock,
      ids,
      logger,
      audit,
      options: ctx.deps.auth,
      observer: ctx.observer,
      // Other modules' sign-up work (a referral, the default account) joins the user row's transaction.
      onUserCreated: (tx: Repositories, user: UserRecord) => ctx.hooks.userCreated.run(tx, user),
    });
    const apiKeys = createApiKeyService({ storage, clock, ids, audit, entitlements: ctx.entitlements });
    const admin = createAdminService({ storage, clock, audit });
    return { auth, apiKeys, admin };
  },
  handlers: ({ auth, apiKeys, admin }) => ({ auth: authHandlers(auth), apiKeys: apiKeyHandlers(apiKeys), admin: adminHandlers(admin) }),
  jobs: ({ auth }, { storage, clock }) => [
    {
      name: 'purge_expired',
      everyMs: 60 * 60_000,
      run: async () => {
        const now = clock.now();
        return {
          refreshTokens: await storage.repos.refreshTokens.purgeExpired(now),
          revokedTokens: await storage.repos.revokedTokens.purgeExpired(now),
          // Spent stream tickets (and other single-use tokens) past their expiry.
          usedTokens: await storage.repos.usedTokens.purgeExpired(now),
          signInCounters: await auth.purgeThrottleCounters(),
          idempotencyKeys: await storage.repos.idempotency.purgeExpired(now),
          // Windows are at most a day long (see the engine's `rateLimits` option).
          rateLimitCounters: await storage.repos.rateLimits.purge(new Date(now.getTime() - 86_400_000)),
        };
      },
    },
  ],
});
