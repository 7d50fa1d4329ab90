import specs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinModules, createAsyncApiDocument, isStreamChannel } from '@tradeplane/core';
import { startTestServer, type TestServer } from '../support/server.js';

const events = builtinModules.flatMap((m) => m.events ?? []);

/** The official AsyncAPI 3.0.0 JSON Schema (draft-07), as `@asyncapi/specs` ships it: no network. */
function validate(doc: unknown): string[] {
  // The AsyncAPI schema carries its own copy of the draft-07 meta-schema (its Schema Object), which
  // would clash with Ajv's built-in one; formats (URIs) are not what is checked here.
  const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false, validateFormats: false });
  const check = ajv.compile(specs.schemas['3.0.0'] as object);
  return check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

describe('AsyncAPI document of the stream', () => {
  const doc = createAsyncApiDocument(events, { version: '1.2.3', basePath: '/api/v1' });

  it('is a valid AsyncAPI 3.0 document', () => {
    expect(validate(structuredClone(doc))).toEqual([]);
    // The validator does refuse a broken document.
    expect(validate({ ...doc, channels: { balance: { address: 5 } } }).length).toBeGreaterThan(0);
  });

  it('has a channel, a message and a receive operation per declared event, on the /stream server', () => {
    expect(doc.servers).toMatchObject({ stream: { protocol: 'wss', pathname: '/api/v1/stream' } });
    expect(Object.keys(doc.channels).sort()).toEqual(['balance', 'notifications', 'orders', 'plan', 'signals', 'ticks.symbol', 'trades']);
    expect(doc.channels['ticks.symbol']).toMatchObject({ address: 'ticks:{symbol}', parameters: { symbol: {} } });
    expect(Object.values(doc.components.messages).map((m) => m.name)).toEqual(events.map((e) => e.type));
    for (const operation of Object.values(doc.operations)) expect(operation.action).toBe('receive');
    expect(Object.keys(doc.operations)).toHaveLength(events.length);
    // The wire objects the HTTP API shares are the same named schemas.
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['BalanceChanged', 'Notification', 'Order', 'Signal', 'Tick', 'Trade']);
    const order = doc.components.messages['order.status'] as { payload: { properties: { event: { enum: string[] }; data: unknown } } };
    expect(order.payload.properties.event.enum).toEqual(['order.pending', 'order.filled', 'order.cancelled', 'order.rejected']);
    expect(order.payload.properties.data).toEqual({ $ref: '#/components/schemas/Order' });
  });

  it('declares exactly the channels a client may join', () => {
    for (const channel of ['balance', 'trades', 'orders', 'signals', 'notifications', 'ticks:BTCUSD']) expect(isStreamChannel(channel), channel).toBe(true);
    for (const channel of ['ticks:', 'ticks:btc usd', 'tick:BTCUSD', '$credentials', 'balances']) expect(isStreamChannel(channel), channel).toBe(false);
  });
});

describe('GET /asyncapi.json', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite-memory');
  });
  afterAll(() => server.close());

  it('serves the document, public, with the stream under the mount point', async () => {
    const res = await server.request('GET', '/asyncapi.json');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ asyncapi: '3.0.0', info: { version: expect.any(String) }, servers: { stream: { pathname: '/api/v1/stream' } } });
    expect(validate(res.body)).toEqual([]);
  });
});
