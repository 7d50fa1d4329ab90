import { type FundingProvider, type ProviderEvent, TradeplaneError } from '@tradeplane/core';
import type Stripe from 'stripe';
import { toStripeAmount } from './currency.js';
import { idOf, verifiedStripeEvent } from './webhook.js';

/** The metadata keys a deposit's PaymentIntent carries; an intent without them is not tradeplane's. */
export const DEPOSIT_METADATA = { depositId: 'tradeplane_deposit_id', userId: 'tradeplane_user_id', accountId: 'tradeplane_account_id' } as const;

export interface StripeFundingOptions {
  /** A `stripe` SDK instance with the secret key (`new Stripe(process.env.STRIPE_SECRET_KEY)`). */
  stripe: Stripe;
  /** The webhook endpoint's signing secret (`whsec_…`, from the Dashboard or `stripe listen`). */
  webhookSecret: string;
  /** The provider's name: deposits record it and its webhook is `POST /webhooks/<name>` (default `stripe`). */
  name?: string;
  /** How old a delivery's signature timestamp may be, in seconds (default 300, Stripe's own default). */
  toleranceSeconds?: number;
  /**
   * The payment method types a deposit may be paid with (`['card']`); by default the ones enabled
   * in the Dashboard (automatic payment methods).
   */
  paymentMethodTypes?: readonly string[];
}

/** The first API version in which a PaymentIntent's types are `allowed_payment_method_types`. */
const ALLOWED_TYPES_SINCE = '2026-09-30';

/** Dispute statuses in tradeplane's terms: the money is held while it is open, returned if won, gone if lost. */
function disputeStatus(status: string): 'open' | 'won' | 'lost' {
  if (status === 'lost') return 'lost';
  // `prevented`: the network stopped the dispute before it took the money.
  if (status === 'won' || status === 'warning_closed' || status === 'prevented') return 'won';
  // needs_response, under_review, warning_needs_response, warning_under_review, appeal_*, and any newer open state.
  return 'open';
}

/**
 * Stripe as a `FundingProvider`: a deposit is a PaymentIntent the payer completes with Stripe
 * Elements or a mobile SDK (its client secret), and the account is credited on the signed
 * `payment_intent.succeeded`. Refunds and disputes are reported as the payment's current state,
 * re-read from Stripe, so deliveries in any order or repeated leave the same result.
 *
 * PaymentIntents, not Checkout Sessions: the deposit (and the intent, keyed by the deposit's id)
 * exists before the payer sees any form, the embedding app keeps its own UI, and every event names
 * the one PaymentIntent id the ledger keys on.
 *
 * @example
 * const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
 * const tp = await createEngine({ payments: { providers: [stripeFunding({ stripe, webhookSecret: process.env.STRIPE_WEBHOOK_SECRET! })] } });
 */
export function stripeFunding(options: StripeFundingOptions): FundingProvider {
  const { stripe, webhookSecret, name = 'stripe', toleranceSeconds = 300, paymentMethodTypes } = options;
  if (!webhookSecret) throw new TypeError('stripeFunding: webhookSecret is required (whsec_…)');

  const typesParam = (): 'allowed_payment_method_types' | 'payment_method_types' => {
    const version = String(stripe.getApiField?.('version') ?? '');
    return version !== '' && version < ALLOWED_TYPES_SINCE ? 'payment_method_types' : 'allowed_payment_method_types';
  };

  /** The PaymentIntent a charge belongs to, if tradeplane created it (its metadata says so). */
  async function ownIntent(charge: Stripe.Charge): Promise<string | null> {
    const intent = idOf(charge.payment_intent);
    if (intent === null) return null;
    if (charge.metadata?.[DEPOSIT_METADATA.depositId]) return intent;
    const read = await stripe.paymentIntents.retrieve(intent);
    return read.metadata?.[DEPOSIT_METADATA.depositId] ? intent : null;
  }

  return {
    name,

    async createDeposit({ depositId, userId, accountId, amount, currency }) {
      const money = toStripeAmount(amount, currency);
      const params: Stripe.PaymentIntentCreateParams = {
        ...money,
        metadata: { [DEPOSIT_METADATA.depositId]: depositId, [DEPOSIT_METADATA.userId]: userId, [DEPOSIT_METADATA.accountId]: accountId },
        ...(paymentMethodTypes === undefined ? { automatic_payment_methods: { enabled: true } } : { [typesParam()]: [...paymentMethodTypes] }),
      };
      const intent = await stripe.paymentIntents.create(params, { idempotencyKey: depositId });
      if (!intent.client_secret) throw new Error(`Stripe answered PaymentIntent ${intent.id} without a client secret`);
      return { providerReference: intent.id, clientSecret: intent.client_secret };
    },

    async verifyEvent(webhook): Promise<ProviderEvent> {
      const event = await verifiedStripeEvent(stripe, webhook, webhookSecret, toleranceSeconds);
      const ignored: ProviderEvent = { id: event.id, type: 'ignored', providerType: event.type };
      switch (event.type) {
        case 'payment_intent.succeeded':
        case 'payment_intent.processing':
        case 'payment_intent.payment_failed':
        case 'payment_intent.canceled': {
          const intent = event.data.object;
          // A shared Stripe account sends every intent's events: answering 409 for one we never
          // recorded would make Stripe retry it for days.
          if (!intent.metadata?.[DEPOSIT_METADATA.depositId]) return ignored;
          const reference = intent.id;
          if (event.type === 'payment_intent.succeeded') return { id: event.id, type: 'deposit.succeeded', reference, amount: BigInt(intent.amount_received), currency: intent.currency.toUpperCase() };
          if (event.type === 'payment_intent.processing') return { id: event.id, type: 'deposit.processing', reference };
          if (event.type === 'payment_intent.canceled') return { id: event.id, type: 'deposit.canceled', reference, reason: intent.cancellation_reason ?? 'canceled' };
          const error = intent.last_payment_error;
          return { id: event.id, type: 'deposit.failed', reference, reason: error?.decline_code ?? error?.code ?? 'payment_failed' };
        }
        case 'charge.refunded': {
          // Deliveries come in any order: the charge's refunded total now, not the one in this event.
          const charge = await stripe.charges.retrieve(event.data.object.id);
          const reference = await ownIntent(charge);
          if (reference === null) return ignored;
          return { id: event.id, type: 'deposit.refunded', reference, refundedTotal: BigInt(charge.amount_refunded), currency: charge.currency.toUpperCase() };
        }
        case 'charge.dispute.created':
        case 'charge.dispute.updated':
        case 'charge.dispute.closed':
        case 'charge.dispute.funds_withdrawn':
        case 'charge.dispute.funds_reinstated': {
          // The dispute's status now: a `closed` delivered before `created` must not reopen it.
          const dispute = await stripe.disputes.retrieve(event.data.object.id);
          const chargeId = idOf(dispute.charge);
          if (chargeId === null) return ignored;
          const reference = await ownIntent(await stripe.charges.retrieve(chargeId));
          if (reference === null) return ignored;
          return {
            id: event.id,
            type: 'deposit.disputed',
            reference,
            disputeId: dispute.id,
            status: disputeStatus(dispute.status),
            amount: BigInt(dispute.amount),
            currency: dispute.currency.toUpperCase(),
            reason: dispute.reason,
          };
        }
        default:
          return ignored;
      }
    },

    async refund({ refundId, reference, amount, currency, reason }) {
      const money = toStripeAmount(amount, currency);
      const stripeReason = reason === 'duplicate' || reason === 'fraudulent' || reason === 'requested_by_customer' ? reason : undefined;
      try {
        const refund = await stripe.refunds.create(
          { payment_intent: reference, amount: money.amount, ...(stripeReason ? { reason: stripeReason } : {}), metadata: { tradeplane_refund_id: refundId } },
          { idempotencyKey: refundId },
        );
        return { providerReference: refund.id };
      } catch (error) {
        const type = (error as { type?: unknown } | null)?.type;
        // Stripe said no for good (already refunded, disputed, more than was paid): a refusal, not an outage.
        if (type === 'StripeInvalidRequestError') throw new TradeplaneError('deposit_not_refundable', `Stripe refused the refund: ${(error as Error).message}`, { cause: error });
        throw error;
      }
    },
  };
}
