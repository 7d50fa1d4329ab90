import { type PayoutProvider, TradeplaneError } from '@tradeplane/core';
import type Stripe from 'stripe';
import { toStripeAmount } from './currency.js';

export interface StripeConnectPayoutsOptions {
  /** A `stripe` SDK instance with the platform's secret key. */
  stripe: Stripe;
  /** The `payout_provider` withdrawals name (default `stripe_connect`). */
  name?: string;
}

const CONNECTED_ACCOUNT = /^acct_[A-Za-z0-9]{1,64}$/;

/** Stripe's answers that are a refusal, not an outage: retrying them with the same key answers the same. */
const REFUSALS = new Set(['StripeInvalidRequestError', 'StripeCardError', 'StripePermissionError']);

/** The idempotency key of a withdrawal's transfer: derived from its id alone, so every retry sends the same one. */
export const payoutIdempotencyKey = (withdrawalId: string): string => `tradeplane-payout-${withdrawalId}`;

/**
 * Pays approved withdrawals out as Stripe Connect transfers from the platform's balance to the
 * user's connected account (`acct_…`, the withdrawal's destination). A transfer is `paid` once
 * Stripe accepts it. Stripe's refusals (an invalid or disabled account, too little available
 * balance) throw `payout_failed` with Stripe's message and the hold is released; a timeout or a
 * dropped connection is rethrown as it is, and the retry (same withdrawal, same idempotency key)
 * gets the first transfer back from Stripe instead of making a second.
 */
export function stripeConnectPayouts(options: StripeConnectPayoutsOptions): PayoutProvider {
  const { stripe, name = 'stripe_connect' } = options;
  const validateDestination = (destination: string): void => {
    if (!CONNECTED_ACCOUNT.test(destination)) {
      throw new TradeplaneError('validation_failed', 'The destination must be a Stripe connected account id (acct_…)', {
        fields: [{ in: 'body', path: 'destination', code: 'invalid_destination', message: 'must be a Stripe connected account id (acct_…)' }],
      });
    }
  };
  return {
    name,
    validateDestination,
    async pay({ withdrawalId, userId, amount, currency, destination }) {
      validateDestination(destination);
      const money = toStripeAmount(amount, currency);
      try {
        const transfer = await stripe.transfers.create(
          { ...money, destination, transfer_group: withdrawalId, metadata: { tradeplane_withdrawal_id: withdrawalId, tradeplane_user_id: userId } },
          { idempotencyKey: payoutIdempotencyKey(withdrawalId) },
        );
        return { status: 'paid', reference: transfer.id };
      } catch (error) {
        if (REFUSALS.has(String((error as { type?: unknown } | null)?.type))) {
          throw new TradeplaneError('payout_failed', `Stripe refused the transfer: ${(error as Error).message}`, { cause: error });
        }
        throw error;
      }
    },
  };
}
