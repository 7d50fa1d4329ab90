import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinModules, createAsyncApiDocument, manualClock, type StreamEvent } from '@tradeplane/core';
import { defineStrategy } from '@tradeplane/core/signals';
import { eventTypes, findEventDefinition } from '../../packages/core/src/stream/events.js';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { signUp, signUpAdmin, type SignedIn } from '../support/auth.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Every event the services publish in a run through the product — sign-up, deposit, bars, a
 * trade opened and closed, an order placed and cancelled, a bot's signal, an admin's action — is
 * checked against the declaration of its module: its channel and type are declared, its `data`
 * parses as the declared schema with nothing left over, and the frame a client receives matches
 * the AsyncAPI document's message.
 */

const MINUTE = 60_000;
const T0 = Date.parse('2026-05-04T10:00:00.000Z');
const events = builtinModules.flatMap((m) => m.events ?? []);
const asyncapi = createAsyncApiDocument(events, { version: '0.0.0' });

const threshold = defineStrategy({
  name: 'threshold',
  description: 'Buys above one level and sells below another',
  params: z.object({ above: z.number().positive(), below: z.number().positive() }),
  create: ({ above, below }) => ({
    name: 'threshold',
    onCandle: (c) => (c.close > above ? { side: 'BUY', confidence: 1, reason: 'above' } : c.close < below ? { side: 'SELL', confidence: 1, reason: 'below' } : null),
  }),
});

/** The AsyncAPI payload of each declared event, compiled once, its `$ref`s resolved within the document. */
const ajv = new Ajv({ strict: false, validateFormats: false });
const frameValidators = new Map(
  Object.values(asyncapi.components.messages).map((m) => [m.name as string, ajv.compile({ ...(m.payload as object), components: { schemas: asyncapi.components.schemas } })]),
);

describe.each(testDatabaseKinds())('published stream events on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date(T0));
  let minute = 0;
  const seen: StreamEvent[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 24 * 3600 }, trading: { strategies: [threshold] } });
    unsubscribe = server.engine.stream.subscribe((e) => {
      // `$`-channels carry the instances' own control messages, never a client's.
      if (!e.channel.startsWith('$')) seen.push(e);
    });
    admin = await signUpAdmin(server);
  });
  afterAll(async () => {
    unsubscribe();
    await server.close();
  });

  const post = (path: string, user: SignedIn, body?: unknown) => server.request('POST', path, { token: user.access, body, headers: { 'Idempotency-Key': randomUUID() } });
  async function bar(symbol: string, price: number) {
    const candle = { symbol, interval: '1m', open_time: new Date(T0 + minute * MINUTE).toISOString(), open: price, high: price, low: price, close: price, volume: 1 };
    minute += 1;
    clock.set(new Date(T0 + minute * MINUTE));
    const res = await server.request('POST', '/market/candles', { token: admin.access, body: { candles: [candle] } });
    expect(res.status, res.text).toBe(200);
  }
  async function until(types: string[]) {
    for (let i = 0; i < 100 && !types.every((t) => seen.some((e) => e.type === t)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('publishes only declared events, each with its declared data', async () => {
    const alice = await signUp(server);
    expect((await post('/wallet/deposit', alice, { amount: '12.50', currency: 'USD' })).status).toBe(200);
    await bar('EVTUSD', 100);
    const opened = await post('/trades/execute', alice, { symbol: 'EVTUSD', side: 'BUY', stake: '10.00' });
    expect(opened.status, opened.text).toBe(201);
    expect((await post(`/trades/${opened.body.id}/close`, alice)).status).toBe(200);
    const limit = await post('/orders', alice, { symbol: 'EVTUSD', side: 'BUY', type: 'limit', price: 50, stake: '5.00' });
    expect(limit.status, limit.text).toBe(201);
    expect((await server.request('DELETE', `/orders/${limit.body.id}`, { token: alice.access })).status).toBe(200);
    const bot = await post('/strategies', alice, {
      name: 'levels',
      symbol: 'EVTUSD',
      interval: '1m',
      strategies: [{ name: 'threshold', params: { above: 105, below: 95 } }],
      consensus: { min_votes: 1 },
      stake: '10.00',
    });
    expect(bot.status, bot.text).toBe(201);
    await bar('EVTUSD', 106);
    // An admin's action on a user notifies that user.
    await server.engine.admin.setRole(null, alice.id, 'viewer');

    const expected = ['balance.changed', 'notification.created', 'tick', 'order.filled', 'order.pending', 'order.cancelled', 'trade.opened', 'trade.closed', 'signal.created'];
    await until(expected);
    expect([...new Set(seen.map((e) => e.type))].sort()).toEqual(expect.arrayContaining(expected.sort()));

    for (const event of seen) {
      const definition = findEventDefinition(events, event);
      expect(definition, `${event.type} on ${event.channel} is declared`).toBeDefined();
      // As a client receives it: JSON on the wire.
      const wire = JSON.parse(JSON.stringify(event.data)) as unknown;
      const parsed = definition!.data.safeParse(wire);
      expect(parsed.error?.issues ?? [], `${event.type}: data as declared`).toEqual([]);
      // zod drops keys it does not know: a field the declaration lacks shows up here.
      expect(parsed.data, `${event.type}: no undeclared field`).toEqual(wire);
      expect(event.userId === null, `${event.type}: audience`).toBe(definition!.audience === 'public');
      const frame = { type: 'event', id: event.id, channel: event.channel, event: event.type, data: wire, at: event.at };
      const validate = frameValidators.get(definition!.type)!;
      expect(validate(frame) ? [] : validate.errors, `${event.type}: AsyncAPI payload`).toEqual([]);
    }
  });
});

describe('event declarations', () => {
  it('refuse an undeclared type or channel', () => {
    expect(findEventDefinition(events, { channel: 'orders', type: 'order.filled' })?.type).toBe('order.<status>');
    expect(findEventDefinition(events, { channel: 'orders', type: 'order.expired' })).toBeUndefined();
    expect(findEventDefinition(events, { channel: 'trades', type: 'order.filled' })).toBeUndefined();
    expect(findEventDefinition(events, { channel: 'ticks:EVTUSD', type: 'tick' })?.audience).toBe('public');
    expect(findEventDefinition(events, { channel: 'ticks:evt usd', type: 'tick' })).toBeUndefined();
    expect(events.flatMap(eventTypes).sort()).toEqual([
      'balance.changed',
      'notification.created',
      'order.cancelled',
      'order.filled',
      'order.pending',
      'order.rejected',
      'plan.changed',
      'signal.created',
      'tick',
      'trade.closed',
      'trade.opened',
    ]);
  });
});
