import { describe, expect, it } from 'vitest';
import { sequentialIds, silentLogger } from '../index.js';
import { createStreamHub, isStreamChannel, type EventTransport, type StreamEvent } from './hub.js';

/** A shared bus standing in for LISTEN/NOTIFY: every payload reaches every listener, after a delay. */
function bus(maxPayloadBytes?: number) {
  const listeners = new Set<(payload: string) => void>();
  const payloads: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const transport = (): EventTransport => ({
    maxPayloadBytes,
    async publish(payload) {
      if (maxPayloadBytes !== undefined && Buffer.byteLength(payload) > maxPayloadBytes) throw new Error('payload too large');
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      payloads.push(payload);
      for (const listener of listeners) listener(payload);
    },
    async listen(onPayload) {
      listeners.add(onPayload);
      return { close: async () => void listeners.delete(onPayload) };
    },
  });
  return { transport, payloads, maxInFlight: () => maxInFlight, send: (payload: string) => listeners.forEach((l) => l(payload)) };
}

function hub(name: string, transport: EventTransport) {
  const h = createStreamHub({ ids: sequentialIds(name), logger: silentLogger, now: () => new Date('2026-11-24T12:00:00Z'), transport });
  const received: StreamEvent[] = [];
  h.subscribe((event) => received.push(event));
  return { h, received };
}

const balance = (n: number) => ({ channel: 'balance', type: 'balance.changed', userId: 'u1', data: { n } });
const settled = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('stream hub across instances', () => {
  it('sends the events of one turn in one payload, delivered in order on the other instance and once on its own', async () => {
    const b = bus();
    const a = hub('a', b.transport());
    const other = hub('b', b.transport());
    await a.h.start();
    await other.h.start();
    for (let n = 1; n <= 3; n++) a.h.publish(balance(n));
    await settled();
    expect(b.payloads).toHaveLength(1);
    expect(other.received.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    expect(a.received.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    expect(other.received.map((e) => e.id)).toEqual(a.received.map((e) => e.id));
  });

  it('splits a burst over the payload limit, one payload in flight at a time, nothing lost or reordered', async () => {
    const b = bus(400);
    const a = hub('a', b.transport());
    const other = hub('b', b.transport());
    await other.h.start();
    for (let n = 1; n <= 20; n++) a.h.publish(balance(n));
    await settled();
    await a.h.stop();
    expect(b.payloads.length).toBeGreaterThan(1);
    expect(b.payloads.every((p) => Buffer.byteLength(p) <= 400)).toBe(true);
    expect(b.maxInFlight()).toBe(1);
    expect(other.received.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('sends what was published before stop() returns', async () => {
    const b = bus();
    const a = hub('a', b.transport());
    const other = hub('b', b.transport());
    await other.h.start();
    a.h.publish(balance(1));
    await a.h.stop();
    expect(other.received).toHaveLength(1);
  });

  it('still reads the single-event payloads of instances that predate batching', async () => {
    const b = bus();
    const other = hub('b', b.transport());
    await other.h.start();
    const event: StreamEvent = { id: 'old-000001', channel: 'balance', type: 'balance.changed', userId: 'u1', data: {}, at: '2026-11-24T12:00:00.000Z' };
    b.send(JSON.stringify({ origin: 'old-instance', event }));
    expect(other.received).toEqual([event]);
  });

  it('carries control messages to every instance but never keeps them for resuming', async () => {
    const b = bus();
    const a = hub('a', b.transport());
    const other = hub('b', b.transport());
    await other.h.start();
    a.h.publish(balance(1));
    a.h.publish({ channel: '$credentials', type: 'credentials.changed', userId: null, data: { users: ['u1'], sessions: [] } });
    await settled();
    expect(other.received.map((e) => e.channel)).toEqual(['balance', '$credentials']);
    // A client resuming on every channel name, the control one included, gets the event only.
    const first = a.received[0]!.id;
    expect(a.h.since(first, ['balance', '$credentials'], 'u1')).toEqual([]);
    expect(isStreamChannel('$credentials')).toBe(false);
  });
});
