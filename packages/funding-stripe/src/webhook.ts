import { headerValue, type ProviderWebhook, TradeplaneError } from '@tradeplane/core';
import type Stripe from 'stripe';

/**
 * Checks a delivery's `Stripe-Signature` with the SDK, then reads its event. A missing or wrong
 * signature is `invalid_signature`, a timestamp older than `toleranceSeconds` is `stale_webhook`
 * (both 400: Stripe shows them in the endpoint's delivery log and retries).
 */
export async function verifiedStripeEvent(stripe: Stripe, webhook: ProviderWebhook, secret: string, toleranceSeconds: number): Promise<Stripe.Event> {
  const signature = headerValue(webhook.headers, 'stripe-signature');
  if (!signature) throw new TradeplaneError('invalid_signature', 'The Stripe-Signature header is missing');
  try {
    return await stripe.webhooks.constructEventAsync(webhook.rawBody, signature, secret, toleranceSeconds);
  } catch (error) {
    if ((error as { type?: unknown } | null)?.type !== 'StripeSignatureVerificationError') throw error;
    // The SDK raises one error type for both; its message is the only thing that tells them apart.
    if (/tolerance zone/i.test((error as Error).message)) throw new TradeplaneError('stale_webhook', 'The Stripe-Signature timestamp is outside the tolerance', { cause: error });
    throw new TradeplaneError('invalid_signature', 'The Stripe-Signature does not match the body', { cause: error });
  }
}

/** The id of an expandable field (an id, or the expanded object). */
export const idOf = (value: string | { id: string } | null | undefined): string | null => (value == null ? null : typeof value === 'string' ? value : value.id);
