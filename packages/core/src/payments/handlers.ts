import type { depositRoutes, webhookRoutes } from '../contract/payments.js';
import type { ContractHandlers } from '../http/types.js';
import type { Deposit, PaymentService } from './service.js';

const depositToWire = (d: Deposit) => ({
  id: d.id,
  account_id: d.accountId,
  provider: d.provider,
  provider_reference: d.providerReference,
  amount: d.amount,
  currency: d.currency,
  status: d.status,
  entry_id: d.entryId,
  failure_reason: d.failureReason,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

export function paymentHandlers(payments: PaymentService): ContractHandlers<{ deposits: typeof depositRoutes; webhooks: typeof webhookRoutes }> {
  return {
    deposits: {
      create: async ({ principal, body }) => {
        const { deposit, payment } = await payments.requestDeposit(principal.userId, { accountId: body.account_id, amount: body.amount, currency: body.currency, provider: body.provider });
        return {
          deposit: depositToWire(deposit),
          payment: { client_secret: payment.clientSecret, redirect_url: payment.redirectUrl, instructions: payment.instructions },
        };
      },
      list: async ({ principal, query }) => {
        const page = await payments.deposits(principal.userId, { status: query.status, cursor: query.cursor, limit: query.limit });
        return { deposits: page.deposits.map(depositToWire), next_cursor: page.nextCursor };
      },
      get: async ({ principal, params }) => depositToWire(await payments.deposit(principal.userId, params.id)),
    },
    webhooks: {
      receive: async ({ params, rawBody, request }) => {
        const { duplicate } = await payments.receiveWebhook(params.provider, { headers: request.headers, rawBody });
        return { received: true as const, duplicate };
      },
    },
  };
}
