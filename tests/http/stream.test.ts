import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import WebSocket from 'ws';
import { manualClock, silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { attachStream, tradeplaneExpress, type StreamOptions } from '@tradeplane/adapter-express';
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
async function startInstance(database: TestDatabase['database'], streamOptions: StreamOptions = {}): Promise<Instance> {
  const engine = await createEngine({ database, mode: 'test', logger: silentLogger, auth: TEST_AUTH, jobs: { enabled: false }, rateLimits: { enabled: false } });
  const app = express();
  app.use('/api/v1', tradeplaneExpress(engine));
  const server = createServer(app);
  const stream = attachStream(server, engine, { path: '/api/v1/stream', ...streamOptions });
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
  return { id: reg.body.user.id as string, token: login.body.access_token as string, refreshToken: login.body.refresh_token as string, sessionId: login.body.session_id as string, email, password };
}

/** Another sign-in of the same account: a second session. */
async function signIn(instance: Instance, account: { email: string; password: string }) {
  const login = await http(instance, 'POST', '/auth/login', { body: { email: account.email, password: account.password } });
  expect(login.status).toBe(200);
  return { token: login.body.access_token as string, refreshToken: login.body.refresh_token as string, sessionId: login.body.session_id as string };
}

/** Resolves with the close code and reason, or with 'open' when the socket is still open after `ms`. */
function closedWithin(socket: WebSocket, ms: number): Promise<{ code: number; reason: string } | 'open'> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
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

type Revocation = 'logout' | 'session delete' | 'refresh-token reuse' | 'password change' | 'admin disable' | 'role change';
const sessionOnly: Revocation[] = ['logout', 'session delete', 'refresh-token reuse'];
const wholeAccount: Revocation[] = ['password change', 'admin disable', 'role change'];

describe.each(testDatabaseKinds())('stream credentials on %s', (kind) => {
  let db: TestDatabase;
  let a: Instance;
  let adminToken: string;
  let n = 0;
  const fresh = (label: string) => user(a, `${label.replace(/\W+/g, '-')}-${kind}-${++n}`);

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    a = await startInstance(db.database, { maxConnectionsPerUser: 4 });
    const admin = await user(a, `cred-admin-${kind}`);
    await a.engine.admin.setRole(null, admin.id, 'admin');
    adminToken = (await signIn(a, admin)).token;
  });
  afterAll(async () => {
    await a.close();
    await db.cleanup();
  });

  const ticketFor = async (token: string) => {
    const res = await http(a, 'POST', '/stream/ticket', { token });
    expect(res.status).toBe(200);
    return res.body.ticket as string;
  };

  it('opens one socket per ticket: a second use is refused before upgrading', async () => {
    const alice = await fresh('once');
    const ticket = await ticketFor(alice.token);
    const first = await connect(a, { ticket, query: 'channel=balance' });
    await first.next((m) => m.type === 'subscribed');
    await expect(connect(a, { ticket })).rejects.toThrow('HTTP 401');
    // Even at once, in parallel: exactly one of many attempts gets in.
    const another = await ticketFor(alice.token);
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => connect(a, { ticket: another })));
    expect(attempts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of attempts) if (r.status === 'fulfilled') r.value.socket.close();
    first.socket.close();
  });

  it('refuses a ticket whose session has ended or whose user is disabled', async () => {
    const bob = await fresh('ticket-logout');
    const ticket = await ticketFor(bob.token);
    expect((await http(a, 'POST', '/auth/logout', { token: bob.token, body: {} })).status).toBe(204);
    await expect(connect(a, { ticket })).rejects.toThrow('HTTP 401');

    const carol = await fresh('ticket-disabled');
    const carolTicket = await ticketFor(carol.token);
    expect((await http(a, 'POST', `/admin/users/${carol.id}/disable`, { token: adminToken, body: {} })).status).toBe(200);
    await expect(connect(a, { ticket: carolTicket })).rejects.toThrow('HTTP 401');
    await expect(connect(a, { token: carol.token })).rejects.toThrow('HTTP 401');
  });

  async function revoke(how: Revocation, account: Awaited<ReturnType<typeof fresh>>): Promise<{ token?: string }> {
    switch (how) {
      case 'logout':
        expect((await http(a, 'POST', '/auth/logout', { token: account.token, body: {} })).status).toBe(204);
        return {};
      case 'session delete': {
        const other = await signIn(a, account);
        expect((await http(a, 'DELETE', `/auth/sessions/${account.sessionId}`, { token: other.token })).status).toBe(204);
        return {};
      }
      case 'refresh-token reuse': {
        const rotated = await http(a, 'POST', '/auth/refresh', { body: { refresh_token: account.refreshToken } });
        expect(rotated.status).toBe(200);
        // The old token again from elsewhere, after the successor was used: reuse ends the session.
        expect((await http(a, 'POST', '/auth/refresh', { body: { refresh_token: rotated.body.refresh_token } })).status).toBe(200);
        expect((await http(a, 'POST', '/auth/refresh', { body: { refresh_token: account.refreshToken } })).status).toBe(401);
        return {};
      }
      case 'password change': {
        const res = await http(a, 'POST', '/auth/change-password', { token: account.token, body: { current_password: account.password, new_password: `${account.password}-renewed` } });
        expect(res.status).toBe(200);
        return { token: res.body.access_token as string };
      }
      case 'admin disable':
        expect((await http(a, 'POST', `/admin/users/${account.id}/disable`, { token: adminToken, body: {} })).status).toBe(200);
        return {};
      case 'role change':
        expect((await http(a, 'PUT', `/admin/users/${account.id}/role`, { token: adminToken, body: { role: 'viewer' } })).status).toBe(200);
        return {};
    }
  }

  it.each([...sessionOnly, ...wholeAccount])('closes the revoked session’s sockets within a second after a %s', async (how) => {
    const account = await fresh(how);
    const other = await signIn(a, account);
    const byTicket = await connect(a, { ticket: await ticketFor(account.token), query: 'channel=balance' });
    const byToken = await connect(a, { token: account.token, query: 'channel=balance' });
    const otherSession = await connect(a, { token: other.token, query: 'channel=balance' });
    for (const c of [byTicket, byToken, otherSession]) await c.next((m) => m.type === 'subscribed');

    const watching = [byTicket, byToken, otherSession].map((c) => closedWithin(c.socket, 1000));
    const after = await revoke(how, account);
    const [ticketClose, tokenClose, otherClose] = await Promise.all(watching);
    expect(ticketClose).toEqual({ code: 4401, reason: 'session revoked' });
    expect(tokenClose).toEqual({ code: 4401, reason: 'session revoked' });
    if (sessionOnly.includes(how)) {
      // The account's other session keeps its socket, and its events.
      expect(otherClose).toBe('open');
      const deposit = await http(a, 'POST', '/wallet/deposit', { token: other.token, body: { amount: '1.00', currency: 'USD' }, headers: { 'idempotency-key': `after-${how.replace(/\W+/g, '-')}-${kind}` } });
      expect(deposit.status).toBe(200);
      expect(await otherSession.next((m) => m.channel === 'balance')).toMatchObject({ data: { balance: '10001.00' } });
    } else {
      expect(otherClose).toEqual({ code: 4401, reason: 'session revoked' });
    }
    // A password change hands this device a fresh session, which connects.
    if (after.token) {
      const renewed = await connect(a, { token: after.token, query: 'channel=balance' });
      await renewed.next((m) => m.type === 'subscribed');
      expect(await closedWithin(renewed.socket, 300)).toBe('open');
      renewed.socket.close();
    }
    otherSession.socket.close();
  });

  it('sends nothing more to a socket once its session is revoked', async () => {
    const erin = await fresh('silence');
    const socket = await connect(a, { token: erin.token, query: 'channel=balance&channel=notifications' });
    await socket.next((m) => m.type === 'subscribed');
    const closed = closedWithin(socket.socket, 1000);
    expect((await http(a, 'POST', `/admin/users/${erin.id}/disable`, { token: adminToken, body: {} })).status).toBe(200);
    expect(await closed).toEqual({ code: 4401, reason: 'session revoked' });
    expect(socket.messages.filter((m) => m.type === 'event')).toEqual([]);
  });

  it('caps sockets per user: the one past the cap closes with 4029', async () => {
    const frank = await fresh('cap');
    const open = [];
    for (let i = 0; i < 4; i++) {
      const c = await connect(a, { token: frank.token });
      await c.next((m) => m.type === 'ready');
      open.push(c);
    }
    const extra = new WebSocket(`ws://${a.base}/api/v1/stream`, { headers: { authorization: `Bearer ${frank.token}` } });
    expect(await closedWithin(extra, 2000)).toEqual({ code: 4029, reason: 'too many connections: at most 4 per user' });
    // Another user is not affected, and a closed socket frees its place.
    const grace = await fresh('cap-other');
    const graceSocket = await connect(a, { token: grace.token });
    await graceSocket.next((m) => m.type === 'ready');
    const gone = closedWithin(open[0]!.socket, 1000);
    open[0]!.socket.close();
    await gone;
    const again = await connect(a, { token: frank.token });
    await again.next((m) => m.type === 'ready');
    for (const c of [...open.slice(1), again, graceSocket]) c.socket.close();
  });

  it('refuses at once an upgrade on a path it does not serve', async () => {
    const gina = await fresh('path');
    const socket = new WebSocket(`ws://${a.base}/api/v1/not-the-stream`, { headers: { authorization: `Bearer ${gina.token}` } });
    const status = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => resolve('no answer in 1 s'), 1000);
      socket.once('unexpected-response', (_req, res) => (clearTimeout(timer), resolve(res.statusCode ?? 0)));
      socket.once('error', () => (clearTimeout(timer), resolve('error')));
    });
    expect(status).toBe(404);
    socket.terminate();
  });

  it('also catches, on its periodic re-check, a session ended where no announcement reaches it', async () => {
    // Another process on a SQLite file (the operator CLI), or a hand edit of the database, ends a
    // session without telling this instance; the periodic re-check finds it.
    // The re-check runs on heartbeat ticks; a tick long enough that a busy machine still answers its pings in time.
    const c = await startInstance(db.database, { heartbeatMs: 250, recheckMs: 500 });
    try {
      const jack = await fresh('unannounced');
      const socket = await connect(c, { token: jack.token, query: 'channel=balance' });
      await socket.next((m) => m.type === 'subscribed');
      expect(await closedWithin(socket.socket, 400)).toBe('open');
      await db.exec(`update users set status = 'disabled' where id = '${jack.id}'`);
      expect(await closedWithin(socket.socket, 3000)).toEqual({ code: 4401, reason: 'session revoked' });
    } finally {
      await c.close();
    }
  });

  it.runIf(kind === 'postgres')('closes within a second a socket on another instance when its session is revoked', async () => {
    const b = await startInstance(db.database);
    try {
      const hank = await fresh('remote');
      const onB = await connect(b, { ticket: await ticketFor(hank.token), query: 'channel=balance' });
      await onB.next((m) => m.type === 'subscribed');
      const closed = closedWithin(onB.socket, 1000);
      expect((await http(a, 'POST', '/auth/logout', { token: hank.token, body: {} })).status).toBe(204);
      expect(await closed).toEqual({ code: 4401, reason: 'session revoked' });
      // A ticket used on one instance is spent on the other too.
      const ivy = await fresh('remote-ticket');
      const ticket = await ticketFor(ivy.token);
      const first = await connect(a, { ticket });
      await expect(connect(b, { ticket })).rejects.toThrow('HTTP 401');
      first.socket.close();
    } finally {
      await b.close();
    }
  });
});

describe.each(testDatabaseKinds())('spent stream tickets on %s', (kind) => {
  it('are refused a second time, and swept by the purge job once expired', async () => {
    const db = await createTestDatabase(kind);
    const clock = manualClock(new Date('2026-12-01T12:00:00Z'));
    const engine = await createEngine({ database: db.database, mode: 'test', clock, logger: silentLogger, auth: TEST_AUTH, jobs: { enabled: false } });
    try {
      await engine.auth.register({ email: 'sweep@example.com', password: 'sweep-long-passphrase' });
      const login = await engine.auth.login({ email: 'sweep@example.com', password: 'sweep-long-passphrase' });
      const principal = await engine.auth.authenticate(login.accessToken);
      const { ticket } = await engine.stream.issueTicket(principal);
      await expect(engine.stream.authenticate({ ticket })).resolves.toMatchObject({ userId: principal.userId, sessionId: principal.sessionId });
      await expect(engine.stream.authenticate({ ticket })).rejects.toMatchObject({ code: 'invalid_token' });
      expect((await db.snapshot()).used_tokens).toHaveLength(1);
      clock.set(new Date(clock.now().getTime() + 31_000));
      await engine.jobs.tick();
      expect((await db.snapshot()).used_tokens).toEqual([]);
      await expect(engine.stream.authenticate({ ticket })).rejects.toMatchObject({ code: 'token_expired' });
    } finally {
      await engine.close();
      await db.cleanup();
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

describe('refused stream credentials', () => {
  it('count per address with every failed credential the address sent, and answer 429 past the limit', async () => {
    const db = await createTestDatabase('sqlite-memory');
    const engine = await createEngine({
      database: db.database,
      mode: 'test',
      logger: silentLogger,
      auth: TEST_AUTH,
      jobs: { enabled: false },
      rateLimits: { enabled: true, failedAuth: { limit: 3, windowSeconds: 60 } },
    });
    const app = express();
    app.set('trust proxy', true);
    app.use('/api/v1', tradeplaneExpress(engine));
    const server = createServer(app);
    // Behind a proxy: the address a refusal counts against is the one the proxy saw.
    const stream = attachStream(server, engine, { path: '/api/v1/stream', clientAddress: (req) => String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const upgrade = (from: string, credential: { ticket?: string; token?: string }) =>
      new Promise<{ status: number; retryAfter?: string }>((resolve) => {
        const query = credential.ticket ? `?ticket=${encodeURIComponent(credential.ticket)}` : '';
        const headers: Record<string, string> = { 'x-forwarded-for': from, ...(credential.token ? { authorization: `Bearer ${credential.token}` } : {}) };
        const socket = new WebSocket(`ws://${base}/api/v1/stream${query}`, { headers });
        socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
        socket.once('open', () => {
          socket.close();
          resolve({ status: 101 });
        });
      });
    try {
      await engine.auth.register({ email: 'streamer@example.com', password: 'streamer-passphrase' });
      const { accessToken } = await engine.auth.login({ email: 'streamer@example.com', password: 'streamer-passphrase' });
      const attacker = '198.18.7.1';
      for (let i = 0; i < 3; i++) expect((await upgrade(attacker, { ticket: `forged-ticket-${i}` })).status).toBe(401);
      const limited = await upgrade(attacker, { token: 'eyJhbGciOiJIUzI1NiJ9.e30.forged-signature' });
      expect(limited.status).toBe(429);
      expect(Number(limited.retryAfter)).toBeGreaterThan(0);
      // The same counter as the API's: a bad token there from that address is refused too.
      const api = await fetch(`http://${base}/api/v1/wallet`, { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged', 'x-forwarded-for': attacker } });
      expect(api.status).toBe(429);
      // A valid credential from that address still connects; another address is not counted with it.
      expect((await upgrade(attacker, { token: accessToken })).status).toBe(101);
      expect((await upgrade('198.18.7.2', { ticket: 'forged-ticket-x' })).status).toBe(401);
    } finally {
      await stream.close();
      await new Promise((resolve) => server.close(resolve));
      await engine.close();
      await db.cleanup();
    }
  });
});
