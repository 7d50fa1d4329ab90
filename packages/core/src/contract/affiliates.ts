import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';

export const affiliateRoutes = {
  code: defineRoute({
    id: 'affiliates.code',
    method: 'GET',
    path: '/users/affiliate/code',
    summary: 'Your affiliate code (created on first request): new users sign up with it as `referral_code`',
    tags: ['affiliates'],
    auth: 'user',
    scope: 'account:read',
    response: z.object({ code: z.string().meta({ description: 'e.g. `K7QM-4XRT`; case and the dash do not matter' }), created_at: timestamp }),
    errors: [],
  }),
  stats: defineRoute({
    id: 'affiliates.stats',
    method: 'GET',
    path: '/users/affiliate/stats',
    summary: 'The users you referred and the commission you earned from them',
    tags: ['affiliates'],
    auth: 'user',
    scope: 'account:read',
    response: z.object({
      code: z.string().nullable(),
      referred_users: z.number().int(),
      active_users: z.number().int().meta({ description: 'Referred users whose account is active' }),
      commission_earned: z.array(z.object({ currency: z.string(), amount: z.string() })),
    }),
    errors: [],
  }),
};
