import type { depositRoutes, paymentOperationsRoutes, webhookRoutes } from '../contract/payments.js';
import { requestContext } from '../auth/handlers.js';
import { reply, type ContractHandlers } from '../http/types.js';
import { REPLAYED_HEADER } from '../idempotency/idempotency.js';
import type { Deposit, Dispute, PaymentService, Receivable } from './service.js';

const depositToWire = (d: Deposit) => ({
  id: d.id,
  account_id: d.accountId,
  provider: d.provider,
  provider_reference: d.providerReference,
  amount: d.amount,
  currency: d.currency,
  status: d.status,
  refunded_amount: d.refundedAmount,
  entry_id: d.entryId,
  failure_reason: d.failureReason,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

const disputeToWire = (d: Dispute) => ({
  id: d.id,
  provider: d.provider,
  dispute_id: d.disputeId,
  deposit_id: d.depositId,
  user_id: d.userId,
  account_id: d.accountId,
  amount: d.amount,
  currency: d.currency,
  status: d.status,
  reason: d.reason,
  hold_id: d.holdId,
  entry_id: d.entryId,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

const receivableToWire = (r: Receivable) => ({
  id: r.id,
  user_id: r.userId,
  account_id: r.accountId,
  amount: r.amount,
  currency: r.currency,
  status: r.status,
  cause: r.cause,
  source_id: r.sourceId,
  entry_id: r.entryId,
  created_at: r.createdAt,
  settled_at: r.settledAt,
});

export function paymentHandlers(
  payments: PaymentService,
): ContractHandlers<{ deposits: typeof depositRoutes; webhooks: typeof webhookRoutes; paymentOperations: typeof paymentOperationsRoutes }> {
  return {
    deposits: {
      create: async ({ principal, body, request }) => {
        const { deposit, payment, replayed } = await payments.requestDeposit(principal.userId, {
          accountId: body.account_id,
          amount: body.amount,
          currency: body.currency,
          provider: body.provider,
          idempotencyKey: request.idempotencyKey!,
        });
        const wire = {
          deposit: depositToWire(deposit),
          payment: { client_secret: payment.clientSecret, redirect_url: payment.redirectUrl, instructions: payment.instructions },
        };
        return replayed ? reply(wire, { headers: { [REPLAYED_HEADER]: 'true' } }) : wire;
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
    paymentOperations: {
      refundDeposit: async ({ principal, params, body, request }) =>
        depositToWire(await payments.refundDeposit(principal.userId, params.id, { amount: body.amount, reason: body.reason, idempotencyKey: request.idempotencyKey! }, requestContext(request))),
      disputes: async ({ query }) => {
        const page = await payments.disputes({ status: query.status, cursor: query.cursor, limit: query.limit });
        return { disputes: page.disputes.map(disputeToWire), next_cursor: page.nextCursor };
      },
      settleReceivable: async ({ principal, params, body, request }) =>
        receivableToWire(await payments.settleReceivable(principal.userId, params.id, { how: body.how, note: body.note }, requestContext(request))),
      receivables: async ({ query }) => {
        const page = await payments.receivables({ userId: query.user_id, status: query.status, cursor: query.cursor, limit: query.limit });
        return { receivables: page.receivables.map(receivableToWire), next_cursor: page.nextCursor };
      },
    },
  };
}
