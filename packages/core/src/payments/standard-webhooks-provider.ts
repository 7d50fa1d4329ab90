import { z } from 'zod';
import { TradeplaneError } from '../errors.js';
import { verifyStandardWebhook } from '../webhooks/standard-webhooks.js';
import type { FundingProvider, ProviderEvent } from './provider.js';

const MINOR_UNITS = /^[1-9][0-9]{0,18}$/;
const reference = z.string().min(1).max(255);
// A JSON number only while it is a safe integer (zod's `int`): a larger one was already rounded by JSON.parse.
const minorUnits = z.union([z.string().regex(MINOR_UNITS), z.number().int().positive()]);
const currency = z.string().min(1).max(12);

/** The callbacks a Standard Webhooks gateway posts: one payment, named by the reference the deposit handed out. */
const gatewayEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('deposit.succeeded'), data: z.object({ reference, amount: minorUnits, currency }) }),
  z.object({ type: z.literal('deposit.processing'), data: z.object({ reference }) }),
  z.object({ type: z.enum(['deposit.failed', 'deposit.canceled']), data: z.object({ reference, reason: z.string().max(500).optional() }) }),
  z.object({ type: z.literal('deposit.refunded'), data: z.object({ reference, refunded_total: minorUnits, currency }) }),
  z.object({
    type: z.literal('deposit.disputed'),
    data: z.object({ reference, dispute_id: z.string().min(1).max(255), status: z.enum(['open', 'won', 'lost']), amount: minorUnits, currency, reason: z.string().max(500).optional() }),
  }),
]);

export interface StandardWebhooksProviderOptions {
  /** The provider's name: its webhook is `POST /webhooks/<name>`. */
  name: string;
  /** The endpoint secret(s), `whsec_<base64>`; several while rotating. */
  secret: string | readonly string[];
  /** Accepted clock distance of a callback's timestamp, in seconds (default 300). */
  toleranceSeconds?: number;
  now?: () => Date;
}

/**
 * A payment gateway that posts Standard Webhooks callbacks (bank transfers, crypto gateways):
 * a deposit hands the payer a reference (the deposit's id) to quote; the gateway then posts
 * `{ "type": "deposit.succeeded", "data": { "reference", "amount", "currency" } }` with `amount`
 * in minor units (an integer, or a string of digits), or `deposit.processing` /
 * `deposit.failed` / `deposit.canceled` (with a `reason`). Money going back is reported as state:
 * `deposit.refunded` with `refunded_total` (everything refunded on the payment so far) and
 * `deposit.disputed` with `dispute_id`, `status` (`open` | `won` | `lost`), `amount` and `reason`.
 * Other types are ignored.
 */
export function standardWebhooksProvider(options: StandardWebhooksProviderOptions): FundingProvider {
  return {
    name: options.name,
    async createDeposit({ depositId }) {
      return { providerReference: depositId, instructions: { reference: depositId } };
    },
    async verifyEvent({ headers, rawBody }): Promise<ProviderEvent> {
      const { id, payload } = verifyStandardWebhook({ secret: options.secret, headers, rawBody, now: options.now?.(), toleranceSeconds: options.toleranceSeconds });
      const type = (payload as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && !type.startsWith('deposit.')) return { id, type: 'ignored', providerType: type };
      const parsed = gatewayEvent.safeParse(payload);
      if (!parsed.success) {
        throw new TradeplaneError('validation_failed', 'The callback is signed but is not an event this provider understands', {
          fields: parsed.error.issues.slice(0, 10).map((i) => ({ in: 'body' as const, path: i.path.join('.'), code: i.code, message: i.message })),
        });
      }
      const event = parsed.data;
      switch (event.type) {
        case 'deposit.succeeded':
          return { id, type: event.type, reference: event.data.reference, amount: BigInt(event.data.amount), currency: event.data.currency.toUpperCase() };
        case 'deposit.processing':
          return { id, type: event.type, reference: event.data.reference };
        case 'deposit.refunded':
          return { id, type: event.type, reference: event.data.reference, refundedTotal: BigInt(event.data.refunded_total), currency: event.data.currency.toUpperCase() };
        case 'deposit.disputed':
          return {
            id,
            type: event.type,
            reference: event.data.reference,
            disputeId: event.data.dispute_id,
            status: event.data.status,
            amount: BigInt(event.data.amount),
            currency: event.data.currency.toUpperCase(),
            reason: event.data.reason ?? 'unspecified',
          };
        default:
          return { id, type: event.type, reference: event.data.reference, reason: event.data.reason ?? event.type };
      }
    },
  };
}
