import { z } from 'zod';
import { defineRoute } from './route.js';
import { pageQuery, timestamp } from './common.js';
import { amountSchema } from './wallets.js';

const depositStatus = z.enum(['pending', 'processing', 'succeeded', 'failed', 'canceled']);
const id = z.string().min(1).max(64);

export const depositSchema = z
  .object({
    id: z.string(),
    account_id: z.string(),
    provider: z.string(),
    provider_reference: z.string().meta({ description: 'The provider’s id for the payment (a Stripe PaymentIntent id)' }),
    amount: z.string(),
    currency: z.string(),
    status: depositStatus,
    entry_id: z.string().nullable().meta({ description: 'The ledger entry that credited the account, once succeeded' }),
    failure_reason: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Deposit' });

export const depositRoutes = {
  create: defineRoute({
    id: 'deposits.create',
    method: 'POST',
    path: '/wallet/deposits',
    summary: 'Deposit real money through a payment provider: a pending deposit, credited only when the provider confirms the payment',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: z.strictObject({
      account_id: id.optional().meta({ description: 'A real account of yours (default: your default account)' }),
      amount: amountSchema,
      currency: z.string().min(1).max(12),
      provider: z.string().min(1).max(64).optional().meta({ description: 'A configured provider (default: the first)' }),
    }),
    successStatus: 201,
    response: z.object({
      deposit: depositSchema,
      payment: z
        .object({
          client_secret: z.string().optional(),
          redirect_url: z.string().optional(),
          instructions: z.record(z.string(), z.string()).optional(),
        })
        .meta({ description: 'What the payer needs to complete the payment with the provider' }),
    }),
    errors: ['not_found', 'transfer_not_allowed', 'currency_mismatch', 'funding_provider_required'],
  }),
  list: defineRoute({
    id: 'deposits.list',
    method: 'GET',
    path: '/wallet/deposits',
    summary: 'Your deposits through payment providers, newest first',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:read',
    query: z.object({ status: depositStatus.optional(), ...pageQuery }),
    response: z.object({ deposits: z.array(depositSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  get: defineRoute({
    id: 'deposits.get',
    method: 'GET',
    path: '/wallet/deposits/{id}',
    summary: 'One of your deposits',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:read',
    params: z.strictObject({ id }),
    response: depositSchema,
    errors: ['not_found'],
  }),
} as const;

export const webhookRoutes = {
  receive: defineRoute({
    id: 'webhooks.receive',
    method: 'POST',
    path: '/webhooks/{provider}',
    summary: 'A payment provider’s signed callback (for the provider, not for clients)',
    description:
      'Verified before anything is read: a bad or stale signature is 400 and writes nothing. Each provider event is acted on once (a redelivery answers 200 with `duplicate: true`); an event about a payment not recorded yet is 409, for the provider to retry.',
    tags: ['payments'],
    auth: 'public',
    params: z.strictObject({ provider: z.string().min(1).max(64) }),
    rawBody: { maxBytes: 256 * 1024 },
    response: z.object({ received: z.literal(true), duplicate: z.boolean() }),
    errors: ['not_found', 'invalid_signature', 'stale_webhook', 'conflict', 'validation_failed'],
  }),
} as const;
