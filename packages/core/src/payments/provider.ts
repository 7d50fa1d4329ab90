import type { HttpRequest } from '../http/types.js';
import type { Currency } from '../money/currency.js';

/** What a deposit asks of its provider. */
export interface DepositIntentRequest {
  /** tradeplane's id for the deposit: the provider's idempotency key, so a retried request creates one payment. */
  depositId: string;
  userId: string;
  accountId: string;
  /** Minor units of `currency`. */
  amount: bigint;
  currency: Currency;
}

/** What the provider answers: its id for the payment, and what the payer needs to complete it. */
export interface DepositIntent {
  /** The provider's id for the payment (a PaymentIntent id); every event about it names it. */
  providerReference: string;
  /** For a client-side SDK (Stripe Elements: the PaymentIntent's client secret). */
  clientSecret?: string;
  /** A page to send the payer to (a hosted checkout). */
  redirectUrl?: string;
  /** Anything else the payer needs (a bank transfer's reference and account details). */
  instructions?: Record<string, string>;
}

/** A provider's signed callback, as the webhook route received it. */
export interface ProviderWebhook {
  headers: HttpRequest['headers'];
  /** The body exactly as sent: signatures cover these bytes. */
  rawBody: string;
}

/**
 * A provider event in tradeplane's terms. `id` is the provider's event id (a redelivery repeats
 * it); `reference` names the payment (the deposit's `providerReference`); money is in minor
 * units of `currency`.
 *
 * Events carry state, not deltas, wherever the provider's deliveries may come out of order or
 * more than once: a refund event reports the payment's refunded total so far, a dispute event
 * the dispute's current status. Applying the same state twice, or an older state after a newer
 * one, changes nothing.
 */
export type ProviderEvent =
  | { id: string; type: 'deposit.succeeded'; reference: string; amount: bigint; currency: string }
  | { id: string; type: 'deposit.processing'; reference: string }
  | { id: string; type: 'deposit.failed' | 'deposit.canceled'; reference: string; reason: string }
  /** Money returned to the payer: `refundedTotal` is everything refunded on the payment so far (Stripe's `amount_refunded`). */
  | { id: string; type: 'deposit.refunded'; reference: string; refundedTotal: bigint; currency: string }
  /**
   * A chargeback. `disputeId` keys it; `status` is its current state: `open` holds `amount`
   * on the account, `won` releases the hold, `lost` takes the amount (the provider keeps it).
   */
  | { id: string; type: 'deposit.disputed'; reference: string; disputeId: string; status: 'open' | 'won' | 'lost'; amount: bigint; currency: string; reason: string }
  /** An event this provider sends that tradeplane does not act on (it is answered 200 and logged). */
  | { id: string; type: 'ignored'; providerType: string };

/** A refund tradeplane asks for (an operator returning a deposit to the card it came from). */
export interface RefundRequest {
  /** tradeplane's id for the refund: the provider's idempotency key. */
  refundId: string;
  /** The deposit's `providerReference`. */
  reference: string;
  /** Minor units, at most what the payment charged less what was refunded already. */
  amount: bigint;
  currency: Currency;
  reason?: string;
}

/**
 * A payment provider real money enters through. Its events are believed only once
 * `verifyEvent` has checked their signature; money moves only on `deposit.succeeded` (in) and
 * `deposit.refunded` / a lost `deposit.disputed` (back out to the payer).
 */
export interface FundingProvider {
  /** The `{provider}` of `POST /webhooks/{provider}` and the name deposits record. */
  readonly name: string;
  createDeposit(request: DepositIntentRequest): Promise<DepositIntent>;
  /** Verifies a callback's signature and timestamp, then reads it; throws `invalid_signature` / `stale_webhook`. */
  verifyEvent(webhook: ProviderWebhook): Promise<ProviderEvent>;
  /**
   * Returns (part of) a deposit to where it came from. The ledger moves when the provider's
   * `deposit.refunded` event arrives, not on this call's answer. Absent when the provider
   * cannot refund through its API.
   */
  refund?(request: RefundRequest): Promise<{ providerReference: string }>;
}

/** An approved withdrawal to pay out. */
export interface PayoutRequest {
  /** The withdrawal's id: the idempotency key of every outgoing call, so a retried payout pays once. */
  withdrawalId: string;
  userId: string;
  /** Minor units of `currency`, > 0. */
  amount: bigint;
  currency: Currency;
  /** Where the money goes, as the user gave it (a connected account id, an IBAN…); the provider checks its shape. */
  destination: string;
}

/**
 * How money leaves: a provider that pays an approved withdrawal out. `pay` answers `paid` once the
 * money has left (the hold is captured), `pending` when completion comes later (an operator, or
 * an event), and throws a `TradeplaneError` `payout_failed` when the provider refused it for good
 * (the hold is released). Any other error (a timeout) leaves the withdrawal `paying`, to be
 * retried with the same idempotency key.
 */
export interface PayoutProvider {
  /** The `payout_provider` a withdrawal names; `manual` is built in. */
  readonly name: string;
  /** Checks a destination's shape when the withdrawal is requested (throw `validation_failed`). */
  validateDestination?(destination: string): void;
  pay(request: PayoutRequest): Promise<{ status: 'paid' | 'pending'; reference: string | null }>;
}
