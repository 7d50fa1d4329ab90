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
 * it); `reference` names the payment; money is in minor units of `currency`.
 */
export type ProviderEvent =
  | { id: string; type: 'deposit.succeeded'; reference: string; amount: bigint; currency: string }
  | { id: string; type: 'deposit.processing'; reference: string }
  | { id: string; type: 'deposit.failed' | 'deposit.canceled'; reference: string; reason: string }
  /** An event this provider sends that tradeplane does not act on (it is answered 200 and logged). */
  | { id: string; type: 'ignored'; providerType: string };

/**
 * A payment provider real money enters through. Its events are believed only once
 * `verifyEvent` has checked their signature; money moves only on `deposit.succeeded`.
 */
export interface FundingProvider {
  /** The `{provider}` of `POST /webhooks/{provider}` and the name deposits record. */
  readonly name: string;
  createDeposit(request: DepositIntentRequest): Promise<DepositIntent>;
  /** Verifies a callback's signature and timestamp, then reads it; throws `invalid_signature` / `stale_webhook`. */
  verifyEvent(webhook: ProviderWebhook): Promise<ProviderEvent>;
}
