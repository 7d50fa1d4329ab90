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
    provider_reference: z.string().nullable().meta({ description: 'The provider’s id for the payment (a Stripe PaymentIntent id); null until the provider has answered' }),
    amount: z.string(),
    currency: z.string(),
    status: depositStatus,
    refunded_amount: z.string().meta({ description: 'What the provider has returned to the payer so far' }),
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
    description:
      'The deposit is recorded before the provider is asked, under the Idempotency-Key: a retry (after a timeout, or a 503 when the provider did not answer) answers the same deposit and the same payment.',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    idempotent: true,
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
    errors: ['not_found', 'transfer_not_allowed', 'currency_mismatch', 'funding_provider_required', 'idempotency_conflict', 'service_unavailable'],
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

const disputeStatus = z.enum(['open', 'won', 'lost']);
const receivableStatus = z.enum(['open', 'settled']);

export const disputeSchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    dispute_id: z.string().meta({ description: 'The provider’s id for the dispute' }),
    deposit_id: z.string(),
    user_id: z.string(),
    account_id: z.string(),
    amount: z.string(),
    currency: z.string(),
    status: disputeStatus,
    reason: z.string(),
    hold_id: z.string().nullable().meta({ description: 'The hold on the account while the dispute is open' }),
    entry_id: z.string().nullable().meta({ description: 'The chargeback entry, once lost' }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Dispute', description: 'A chargeback on a deposit: open holds the amount, won releases it, lost returns it to the payer' });

export const receivableSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    account_id: z.string(),
    amount: z.string(),
    currency: z.string(),
    status: receivableStatus,
    cause: z.enum(['refund', 'chargeback']),
    source_id: z.string().meta({ description: 'The deposit (refund) or dispute (chargeback) it came from' }),
    entry_id: z.string(),
    created_at: timestamp,
    settled_at: timestamp.nullable(),
  })
  .meta({ id: 'Receivable', description: 'Money a user owes: a provider took back a payment after the money had left the account' });

export const paymentOperationsRoutes = {
  refundDeposit: defineRoute({
    id: 'paymentOperations.refundDeposit',
    method: 'POST',
    path: '/admin/deposits/{id}/refund',
    summary: 'Return (part of) a succeeded deposit to where it came from, through its provider (audited)',
    description: 'The ledger moves when the provider’s refund event arrives. A retry with the same Idempotency-Key asks the provider for the same refund.',
    tags: ['admin', 'funding'],
    auth: 'admin',
    idempotent: true,
    params: z.strictObject({ id }),
    body: z.strictObject({
      amount: amountSchema.optional().meta({ description: 'Default: everything not refunded yet' }),
      reason: z.string().min(1).max(500),
    }),
    response: depositSchema,
    errors: ['not_found', 'deposit_not_refundable'],
  }),
  disputes: defineRoute({
    id: 'paymentOperations.disputes',
    method: 'GET',
    path: '/admin/disputes',
    summary: 'Chargebacks on deposits, newest first',
    tags: ['admin', 'funding'],
    auth: 'admin',
    query: z.object({ status: disputeStatus.optional(), ...pageQuery }),
    response: z.object({ disputes: z.array(disputeSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  receivables: defineRoute({
    id: 'paymentOperations.receivables',
    method: 'GET',
    path: '/admin/receivables',
    summary: 'What users owe after refunds and chargebacks their accounts could not cover, newest first',
    tags: ['admin', 'funding'],
    auth: 'admin',
    query: z.object({ user_id: id.optional(), status: receivableStatus.optional(), ...pageQuery }),
    response: z.object({ receivables: z.array(receivableSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  settleReceivable: defineRoute({
    id: 'paymentOperations.settleReceivable',
    method: 'POST',
    path: '/admin/receivables/{id}/settle',
    summary: 'Settle what a user owes (audited): collect it from the account, or write it off',
    description: '`collect` takes the amount from the account’s available balance (409 `insufficient_funds` until it is there); `write_off` books the loss to the platform’s adjustments account.',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: z.strictObject({ how: z.enum(['collect', 'write_off']), note: z.string().min(1).max(500) }),
    response: receivableSchema,
    errors: ['not_found', 'conflict', 'insufficient_funds'],
  }),
} as const;
