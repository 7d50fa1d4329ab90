import { z } from 'zod';
import { defineEvent } from '../stream/events.js';

/** The plan in force changed: a paid subscription started, lapsed or ended, or an operator set one. */
export const planChanged = defineEvent({
  channel: 'plan',
  type: 'plan.changed',
  audience: 'user',
  summary: 'Your plan changed (`GET /billing/subscription` shows its entitlements)',
  data: z.object({
    plan: z.string(),
    previous_plan: z.string(),
    status: z.enum(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled']).nullable(),
    reason: z.enum(['billing', 'operator']).meta({ description: 'A billing provider’s event, or an operator' }),
  }),
});

export const planEvents = [planChanged] as const;
