import type { affiliateRoutes } from '../contract/affiliates.js';
import type { ContractHandlers } from '../http/types.js';
import type { AffiliateService } from './service.js';

export function affiliateHandlers(affiliates: AffiliateService): ContractHandlers<{ affiliates: typeof affiliateRoutes }> {
  return {
    affiliates: {
      code: async ({ principal }) => {
        const code = await affiliates.code(principal.userId);
        return { code: code.code, created_at: code.createdAt };
      },
      stats: async ({ principal }) => {
        const s = await affiliates.stats(principal.userId);
        return { code: s.code, referred_users: s.referredUsers, active_users: s.activeUsers, commission_earned: s.commissionEarned };
      },
    },
  };
}
