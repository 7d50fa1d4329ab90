import { builtinModules } from '../modules/builtin.js';
import type { Ids, Logger } from '../ports/index.js';
import { streamChannels } from './events.js';

/** One real-time event, as a client receives it. */
export interface StreamEvent {
  /** Time-ordered (UUIDv7): a client resumes after the last id it saw. */
  id: string;
  /** `balance`, `trades`, `orders`, `signals`, `notifications`, or `ticks:<SYMBOL>`. */
  channel: string;
  /** `balance.changed`, `trade.opened`, `order.filled`, `notification.created`, `tick`, … */
  type: string;
  /** The user it belongs to; null for public channels (ticks). */
  userId: string | null;
  data: unknown;
  at: string;
}

/**
 * Carries events between instances (PostgreSQL `LISTEN/NOTIFY` in the engine). Without one,
 * events stay in the process: right for SQLite's single process.
 */
export interface EventTransport {
  publish(payload: string): Promise<void>;
  /** Largest payload `publish` accepts, in UTF-8 bytes (PostgreSQL NOTIFY: under 8000). Default 7,900. */
  readonly maxPayloadBytes?: number;
  /** Starts delivering payloads published by any instance (this one included); resolves once listening. */
  listen(onPayload: (payload: string) => void): Promise<{ close(): Promise<void> }>;
}

export type StreamListener = (event: StreamEvent) => void;

/**
 * The channels the modules declare events on (see each module's `events.ts`): users' own
 * `balance`, `trades`, `orders`, `signals`, `notifications`, and the public `ticks:<symbol>`.
 */
const declared = streamChannels(builtinModules.flatMap((m) => m.events ?? []));

/**
 * Channels beginning with `$` carry the instances' own control messages (a session revoked, so
 * its sockets close): they travel like events but are never a client's channel
 * (`isStreamChannel` refuses them) and are not kept for resuming.
 */
export const isControlChannel = (channel: string) => channel.startsWith('$');

/** Whether `channel` is one a client may subscribe to: a declared channel, or an instance of a declared pattern (`ticks:<symbol>`). */
export const isStreamChannel = (channel: string) => declared.isChannel(channel);

/** The declared channels as clients name them (`balance`, …, `ticks:<symbol>`), for messages that list them. */
export const streamChannelNames: readonly string[] = declared.channels;

/**
 * The real-time hub: services publish events after their transactions commit; hosts (the
 * Express adapter's WebSocket endpoint) subscribe and forward each event to the connections
 * allowed to see it (a user's own private channels; anyone authenticated for ticks).
 *
 * Across instances, events travel through the `EventTransport`: each instance delivers its own
 * events at once and the others' as they arrive (its own echoes are dropped by origin). Events
 * leave in batches: one payload carries every event published since the last one left (as many
 * as fit the transport's payload limit), and one payload is in flight at a time, in order. Under
 * load that turns a NOTIFY per event — a round trip and a turn at PostgreSQL's global
 * notification lock each — into a NOTIFY per burst. A
 * window of recent events (`resumeWindow`, default 5 minutes and at most `resumeLimit` events)
 * lets a reconnecting client resume after the last id it saw; further back, it reloads state
 * through the HTTP API.
 */
export interface StreamHub {
  publish(event: Omit<StreamEvent, 'id' | 'at'>): void;
  subscribe(listener: StreamListener): () => void;
  /** Recent events after `lastEventId` on these channels, for this user, oldest first; `undefined` when the id has left the window (resume impossible). */
  since(lastEventId: string, channels: readonly string[], userId: string): StreamEvent[] | undefined;
  /** Joins the other instances (when a transport is configured). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createStreamHub(deps: { ids: Ids; logger: Logger; now: () => Date; transport?: EventTransport; resumeWindowMs?: number; resumeLimit?: number }): StreamHub {
  const { ids, logger, transport } = deps;
  const origin = ids.next();
  const windowMs = deps.resumeWindowMs ?? 5 * 60_000;
  const limit = deps.resumeLimit ?? 10_000;
  const listeners = new Set<StreamListener>();
  const recent: StreamEvent[] = [];
  let connection: { close(): Promise<void> } | undefined;
  // Ids before this one are not known here: older than the window, or from before this process.
  let horizon = origin;

  function deliver(event: StreamEvent): void {
    if (!isControlChannel(event.channel)) {
      recent.push(event);
      const oldest = deps.now().getTime() - windowMs;
      while (recent.length > limit || (recent.length > 0 && Date.parse(recent[0]!.at) < oldest)) horizon = recent.shift()!.id;
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.warn({ event: 'stream.listener_failed', error: error instanceof Error ? error.message : String(error) }, 'A stream listener failed');
      }
    }
  }

  const maxBytes = transport?.maxPayloadBytes ?? 7900;
  const envelope = (events: string) => `{"origin":${JSON.stringify(origin)},"events":[${events}]}`;
  const envelopeBytes = Buffer.byteLength(envelope(''));
  /** How every payload this instance sends begins: `{"origin":"<its id>",`. */
  const ownPayload = envelope('').slice(0, -'"events":[]}'.length);
  /** Serialised events waiting to leave, oldest first. */
  const outbox: { json: string; bytes: number }[] = [];
  let sending: Promise<void> | undefined;

  /** Sends the outbox, a payload at a time, each with as many events as fit (comma-separated); then stops. */
  async function drain(): Promise<void> {
    // Events published in this same turn of the event loop join the first payload.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (outbox.length > 0) {
      const batch = [outbox.shift()!];
      let size = envelopeBytes + batch[0]!.bytes;
      while (outbox.length > 0 && size + 1 + outbox[0]!.bytes <= maxBytes) {
        size += 1 + outbox[0]!.bytes;
        batch.push(outbox.shift()!);
      }
      try {
        await transport!.publish(envelope(batch.map((e) => e.json).join(',')));
      } catch (error) {
        logger.warn(
          { event: 'stream.publish_failed', events: batch.length, error: error instanceof Error ? error.message : String(error) },
          'Events did not reach the other instances',
        );
      }
    }
  }
  function send(): void {
    if (sending || outbox.length === 0) return;
    // An event published between the last payload and this callback starts the next drain.
    sending = drain().finally(() => {
      sending = undefined;
      send();
    });
  }

  return {
    publish(partial) {
      const event: StreamEvent = { ...partial, id: ids.next(), at: deps.now().toISOString() };
      deliver(event);
      if (transport) {
        const json = JSON.stringify(event);
        outbox.push({ json, bytes: Buffer.byteLength(json) });
        send();
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    since(lastEventId, channels, userId) {
      if (lastEventId < horizon) return undefined;
      return recent.filter((e) => e.id > lastEventId && channels.includes(e.channel) && (e.userId === null || e.userId === userId)).sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async start() {
      if (!transport || connection) return;
      connection = await transport.listen((payload) => {
        // This instance's own payloads come back too (LISTEN hears every NOTIFY): known by their
        // opening (both payload shapes begin with the origin), dropped without parsing up to 8 KB.
        if (payload.startsWith(ownPayload)) return;
        try {
          // `event` is a single event (instances before batching); `events` a batch.
          const message = JSON.parse(payload) as { event?: StreamEvent; events?: StreamEvent[] };
          for (const event of message.events ?? (message.event ? [message.event] : [])) deliver(event);
        } catch {
          logger.warn({ event: 'stream.bad_payload' }, 'An unreadable event arrived from another instance');
        }
      });
    },
    async stop() {
      // Events already published still leave before the connection closes.
      while (sending) await sending;
      await connection?.close();
      connection = undefined;
    },
  };
}
