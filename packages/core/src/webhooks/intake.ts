import type { AuditLog } from '../audit/audit-log.js';
import { TradeplaneError } from '../errors.js';
import type { Clock, Logger } from '../ports/index.js';
import type { Repositories, Storage } from '../ports/storage.js';
import type { ProviderWebhook } from '../payments/provider.js';

/** A verified provider event as the intake records it. */
export interface RecordedAs {
  type: string;
  /** The provider's object the event is about, when it names one. */
  objectId: string | null;
  /** An event type tradeplane does not act on: recorded, logged, answered 200. */
  ignored: boolean;
}

/**
 * One provider callback, taken in the order every money-moving webhook needs: the signature
 * first (a bad or stale one is audited as `webhook.rejected` and nothing else is written), then
 * the event recorded by `(provider, event id)` in the transaction that acts on it, so a
 * redelivery — concurrent or hours later — answers `duplicate: true` and changes nothing, and an
 * event whose action throws is not recorded and is acted on when the provider retries.
 */
export async function takeProviderEvent<E extends { id: string }>(
  deps: { storage: Storage; audit: AuditLog; clock: Clock; logger: Logger },
  input: {
    name: string;
    /** The provider's verification; undefined when no provider has this name (404). */
    verify: ((webhook: ProviderWebhook) => Promise<E>) | undefined;
    /** The audit target type of a rejected callback (`provider`, `billing_provider`). */
    targetType: string;
    webhook: ProviderWebhook;
    describe: (event: E) => RecordedAs;
    act: (tx: Repositories, event: E) => Promise<void>;
  },
): Promise<{ duplicate: boolean }> {
  const { storage, audit, clock, logger } = deps;
  if (!input.verify) throw new TradeplaneError('not_found', `No ${input.targetType.replace('_', ' ')} ${input.name}`);
  let event: E;
  try {
    event = await input.verify(input.webhook);
  } catch (error) {
    if (error instanceof TradeplaneError && (error.code === 'invalid_signature' || error.code === 'stale_webhook')) {
      await storage.transaction((tx) => audit.recordIn(tx, { actorId: null, action: 'webhook.rejected', targetType: input.targetType, targetId: input.name, details: { code: error.code } }));
    }
    throw error;
  }
  const recorded = input.describe(event);
  return storage.transaction(async (tx) => {
    const fresh = await tx.providerEvents.insert({ provider: input.name, eventId: event.id, type: recorded.type, objectId: recorded.objectId, receivedAt: clock.now() });
    if (!fresh) return { duplicate: true };
    if (recorded.ignored) logger.info({ event: 'webhook.ignored', provider: input.name, type: recorded.type, eventId: event.id }, 'A provider event tradeplane does not act on');
    else await input.act(tx, event);
    return { duplicate: false };
  });
}
