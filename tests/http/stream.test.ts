import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import WebSocket from 'ws';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { attachStream, tradeplaneExpress } from '@tradeplane/adapter-express';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { TEST_AUTH } from '../support/server.js';
import { requestAt, type RequestInit } from '../support/transports.js';

interface Instance {
  engine: Engine;
  server: Server;
  base: string;
  close(): Promise<void>;
}

/** An engine behind Express with the stream attached, on an ephemeral loopback port. */
async function startInstance(database: TestDatabase['database']): Promise<Instance> {
  const engine = await createEngine({ database, mode: 'test', logger: silentLogger, auth: TEST_AUTH, jobs: { enabled: false }, rateLimits: { enabled: false } });
  const app = express();
  app.use('/api/v1', tradeplaneExpress(engine));
  const server = createServer(app);
  const stream = attachStream(server, engine, { path: '/api/v1/stream' });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    engine,
    server,
    base,
    async close() {
      await stream.close();
      await new Promise((resolve) => server.close(resolve));
      await engine.close();
    },
  };
}

/** A stream client that keeps every message. */
async function connect(instance: Instance, auth: { token?: string; ticket?: string; query?: string }): Promise<{ socket: WebSocket; messages: Record<string, unknown>[]; next(pred: (m: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>> }> {
  const query = [auth.ticket ? `ticket=${encodeURIComponent(auth.ticket)}` : '', auth.query ?? ''].filter(Boolean).join('&');
  const socket = new WebSocket(`ws://${instance.base}/api/v1/stream${query ? `?${query}` : ''}`, { headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {} });
  const messages: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  socket.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as Record<string, unknown>;
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    next(pred, ms = 5000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message in ${ms} ms; got ${messages.length}, the last: ${JSON.stringify(messages.at(-1)).slice(0, 300)}`)), ms);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

const http = (instance: Instance, method: string, path: string, init?: RequestInit) => requestAt(instance.base, method, path, init);

async function user(instance: Instance, name: string) {
  const email = `${name}@example.com`;
  const password = `${name}-long-passphrase`;
  const reg = await http(instance, 'POST', '/auth/register', { body: { email, password } });
  const login = await http(instance, 'POST', '/auth/login', { body: { email, password } });
  return { id: reg.body.user.id as string, token: login.body.access_token as string };
}

describe.each(testDatabaseKinds())('real-time stream on %s', (kind) => {
  let db: TestDatabase;
  let a: Instance;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    a = await startInstance(db.database);
  });
  afterAll(async () => {
    await a.close();
    await db.cleanup();
  });

  it('delivers a user’s own balance and notification events, and nobody else’s', async () => {
    const alice = await user(a, `alice-${kind}`);
    const bob = await user(a, `bob-${kind}`);
    const aliceStream = await connect(a, { token: alice.token });
    const bobStream = await connect(a, { token: bob.token });
    aliceStream.socket.send(JSON.stringify({ type: 'subscribe', channels: ['balance', 'notifications'] }));
    bobStream.socket.send(JSON.stringify({ type: 'subscribe', channels: ['balance', 'notifications'] }));
    await aliceStream.next((m) => m.type === 'subscribed');
    await bobStream.next((m) => m.type === 'subscribed');

    expect((await http(a, 'POST', '/wallet/deposit', { token: alice.token, body: { amount: '12.50', currency: 'USD' }, headers: { 'idempotency-key': `s-${kind}` } })).status).toBe(200);
    const balance = await aliceStream.next((m) => m.channel === 'balance');
    expect(balance).toMatchObject({ type: 'event', event: 'balance.changed', data: { currency: 'USD', balance: '10012.50', available: '10012.50', kind: 'deposit' } });
    const note = await aliceStream.next((m) => m.channel === 'notifications');
    expect(note).toMatchObject({ event: 'notification.created', data: { type: 'wallet.deposit', title: 'Deposit of 12.50 USD' } });
    // Bob subscribed to the same channels and hears nothing of Alice's.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bobStream.messages.filter((m) => m.type === 'event')).toEqual([]);

    // ws_clients counts the subscriptions.
    const metrics = await fetch(`http://${a.base}/api/v1/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^ws_clients\{channel="balance"\} 2$/m);
    aliceStream.socket.close();
    bobStream.socket.close();
  });

  it('admits browsers by ticket, refuses bad credentials before upgrading, and serves ticks to anyone signed in', async () => {
    const carol = await user(a, `carol-${kind}`);
    const { body } = await http(a, 'POST', '/stream/ticket', { token: carol.token });
    expect(body).toMatchObject({ ticket: expect.any(String), expires_at: expect.any(String) });
    const viaTicket = await connect(a, { ticket: body.ticket, query: 'channel=ticks:STRMUSD' });
    await viaTicket.next((m) => m.type === 'subscribed');
    await expect(connect(a, { ticket: `${body.ticket}x` })).rejects.toThrow('HTTP 401');
    await expect(connect(a, { token: 'not-a-token' })).rejects.toThrow('HTTP 401');
    await expect(connect(a, {})).rejects.toThrow('HTTP 401');

    const admin = await user(a, `admin-${kind}`);
    await a.engine.admin.setRole(null, admin.id, 'admin');
    const adminToken = (await http(a, 'POST', '/auth/login', { body: { email: `admin-${kind}@example.com`, password: `admin-${kind}-long-passphrase` } })).body.access_token;
    const candle = { symbol: 'STRMUSD', interval: '1m', open_time: '2026-09-01T00:00:00.000Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 };
    expect((await http(a, 'POST', '/market/candles', { token: adminToken, body: { candles: [candle] } })).status).toBe(200);
    expect(await viaTicket.next((m) => m.channel === 'ticks:STRMUSD')).toMatchObject({ event: 'tick', data: { symbol: 'STRMUSD', close: 1.5 } });
    viaTicket.socket.send(JSON.stringify({ type: 'subscribe', channels: ['balance', 'ticks:not valid'] }));
    expect(await viaTicket.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_channels' });
    viaTicket.socket.close();
  });

  it('resumes after the last event a client saw', async () => {
    const dave = await user(a, `dave-${kind}`);
    const first = await connect(a, { token: dave.token, query: 'channel=balance' });
    await first.next((m) => m.type === 'subscribed');
    await http(a, 'POST', '/wallet/deposit', { token: dave.token, body: { amount: '1.00', currency: 'USD' }, headers: { 'idempotency-key': `r1-${kind}` } });
    const seen = await first.next((m) => m.channel === 'balance');
    first.socket.close();
    await http(a, 'POST', '/wallet/deposit', { token: dave.token, body: { amount: '2.00', currency: 'USD' }, headers: { 'idempotency-key': `r2-${kind}` } });
    await http(a, 'POST', '/wallet/withdraw', { token: dave.token, body: { amount: '0.50', currency: 'USD' }, headers: { 'idempotency-key': `r3-${kind}` } });
    const again = await connect(a, { token: dave.token });
    again.socket.send(JSON.stringify({ type: 'subscribe', channels: ['balance'], last_event_id: seen.id }));
    const subscribed = await again.next((m) => m.type === 'subscribed');
    expect(subscribed.resumed).toBe(2);
    const replayed = again.messages.filter((m) => m.type === 'event').map((m) => (m.data as { balance: string }).balance);
    expect(replayed).toEqual(['10003.00', '10002.50']);
    again.socket.close();
  });

  it.runIf(kind === 'postgres')('carries events to a client connected to another instance', async () => {
    const b = await startInstance(db.database);
    try {
      const erin = await user(a, `erin-${kind}`);
      const onB = await connect(b, { token: erin.token, query: 'channel=balance' });
      await onB.next((m) => m.type === 'subscribed');
      expect((await http(a, 'POST', '/wallet/deposit', { token: erin.token, body: { amount: '7.00', currency: 'USD' }, headers: { 'idempotency-key': `x-${kind}` } })).status).toBe(200);
      expect(await onB.next((m) => m.channel === 'balance')).toMatchObject({ data: { balance: '10007.00', kind: 'deposit' } });
      onB.socket.close();
    } finally {
      await b.close();
    }
  });
});

describe('stream backpressure', () => {
  it('closes a client that stops reading with 4008, and keeps serving the others', async () => {
    const db = await createTestDatabase('sqlite-memory');
    const engine = await createEngine({ database: db.database, mode: 'test', logger: silentLogger, auth: TEST_AUTH, jobs: { enabled: false }, rateLimits: { enabled: false } });
    const app = express();
    app.use('/api/v1', tradeplaneExpress(engine));
    const server = createServer(app);
    const stream = attachStream(server, engine, { maxBufferedBytes: 256 * 1024 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const instance: Instance = { engine, server, base: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: async () => undefined };
    try {
      const slow = await user(instance, 'slow-reader');
      const fast = await user(instance, 'fast-reader');
      const slowClient = await connect(instance, { token: slow.token, query: 'channel=ticks:BIGUSD' });
      const fastClient = await connect(instance, { token: fast.token, query: 'channel=ticks:BIGUSD' });
      await slowClient.next((m) => m.type === 'subscribed');
      await fastClient.next((m) => m.type === 'subscribed');
      const closed = new Promise<number>((resolve) => slowClient.socket.once('close', (code) => resolve(code)));
      // The slow client stops reading from its socket; then ~16 MB of ticks go out.
      (slowClient.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      // In batches with a turn of the event loop between them, so a reading client keeps up.
      const padding = 'x'.repeat(1024);
      for (let batch = 0; batch < 320; batch++) {
        for (let i = batch * 50; i < (batch + 1) * 50; i++) engine.stream.publish({ channel: 'ticks:BIGUSD', type: 'tick', userId: null, data: { i, padding } });
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      (slowClient.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await closed).toBe(4008);
      // The reading client got every event, in order.
      await fastClient.next((m) => (m.data as { i?: number } | undefined)?.i === 15_999, 20_000);
      const seen = fastClient.messages.filter((m) => m.type === 'event').map((m) => (m.data as { i: number }).i);
      expect(seen).toEqual(Array.from({ length: 16_000 }, (_, i) => i));
      fastClient.socket.close();
    } finally {
      await stream.close();
      await new Promise((resolve) => server.close(resolve));
      await engine.close();
      await db.cleanup();
    }
  }, 60_000);
});
