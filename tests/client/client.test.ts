/**
 * The generated client against real hosts: an Express server on a socket and the Lambda
 * handler (through a fetch shim that turns each request into an API Gateway v2 event).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { manualClock, silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';
import { tradeplaneLambda } from '@tradeplane/adapter-lambda';
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  TimeoutError,
  TradeplaneApiError,
  ValidationError,
  createClient,
  type ClientOptions,
} from '@tradeplane/client';

/** A fetch that invokes the Lambda handler in-process instead of going over the network. */
function lambdaFetch(engine: Engine): typeof fetch {
  const handler = tradeplaneLambda(engine, { basePath: '/api/v1' });
  return async (input, init = {}) => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const { cookie, ...rest } = headers;
    init.signal?.throwIfAborted();
    const result = (await handler({
      version: '2.0',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: rest,
      ...(cookie ? { cookies: cookie.split(/;\s*/) } : {}),
      body: typeof init.body === 'string' ? init.body : undefined,
      isBase64Encoded: false,
      requestContext: { requestId: 'shim', stage: '$default', http: { method: init.method ?? 'GET', path: url.pathname, sourceIp: '127.0.0.1' } },
    })) as { statusCode: number; headers: Record<string, string>; cookies?: string[]; body?: string };
    const responseHeaders = new Headers(result.headers);
    for (const c of result.cookies ?? []) responseHeaders.append('set-cookie', c);
    return new Response(result.statusCode === 204 ? null : (result.body ?? null), { status: result.statusCode, headers: responseHeaders });
  };
}

describe.each(['express', 'lambda'] as const)('client against %s', (host) => {
  let engine: Engine;
  let server: Server | undefined;
  let options: ClientOptions;
  const clock = manualClock(new Date());

  beforeAll(async () => {
    engine = await createEngine({
      database: ':memory:',
      mode: 'test',
      logger: silentLogger,
      clock,
      auth: { jwtSecret: 'client-secret-client-secret-client!', passwordHashing: { memoryCost: 1024, timeCost: 1 }, loginThrottle: false },
      // Dozens of sign-ups from one address under a frozen clock: the rate limits are tested elsewhere.
      rateLimits: { enabled: false },
    });
    if (host === 'express') {
      const app = express();
      app.use('/api/v1', tradeplaneExpress(engine));
      server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      options = { baseUrl: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/v1` };
    } else {
      options = { baseUrl: 'https://lambda.example/api/v1', fetch: lambdaFetch(engine) };
    }
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await engine?.close();
  });

  it('register → login → me → sessions → API keys → refresh → logout, typed end to end', async () => {
    const api = createClient(options);
    const { user } = await api.auth.register({ email: 'client@example.com', password: 'client-long-passphrase', username: 'client' });
    expect(user.status).toBe('active');
    const login = await api.auth.login({ username: 'client', password: 'client-long-passphrase' });
    expect((await api.tokens.get()).accessToken).toBe(login.access_token); // stored by the client
    const me = await api.auth.me();
    expect(me.email).toBe('client@example.com');
    const { sessions } = await api.auth.sessions();
    expect(sessions.filter((s) => s.current)).toHaveLength(1);

    const created = await api.apiKeys.create({ name: 'script', scopes: ['account:read'] });
    const keyOnly = createClient({ ...options, apiKey: created.key });
    expect((await keyOnly.auth.me()).id).toBe(user.id);
    await api.apiKeys.revoke({ id: created.api_key.id });
    await expect(keyOnly.auth.me()).rejects.toBeInstanceOf(AuthenticationError);

    const before = (await api.tokens.get()).refreshToken;
    await api.auth.refresh({ refresh_token: before });
    expect((await api.tokens.get()).refreshToken).not.toBe(before);
    await api.auth.logout();
    expect(await api.tokens.get()).toEqual({});
    await expect(api.auth.me()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('moves money once when a deposit’s response is lost and the client retries with the same Idempotency-Key', async () => {
    const api = createClient(options);
    await api.auth.register({ email: 'money@example.com', password: 'money-long-passphrase' });
    await api.auth.login({ email: 'money@example.com', password: 'money-long-passphrase' });
    const wallet = await api.wallet.get();
    expect(wallet).toMatchObject({ kind: 'demo', balance: '10000.00' });

    // The first attempt reaches the server, but its answer never comes back.
    const sent: string[] = [];
    const realFetch = options.fetch ?? fetch;
    let lose = true;
    const lossy = createClient({
      ...options,
      tokenStore: api.tokens,
      fetch: async (input, init) => {
        sent.push(new Headers(init?.headers).get('idempotency-key') ?? '');
        const response = await realFetch(input, init);
        if (lose) {
          lose = false;
          throw new TypeError('fetch failed: connection reset');
        }
        return response;
      },
    });
    const movement = await lossy.wallet.deposit({ amount: '25.00', currency: 'USD' });
    expect(movement.account.balance).toBe('10025.00');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^[\x21-\x7e]{8,}$/);
    expect(sent[1]).toBe(sent[0]);
    expect((await api.wallet.get()).balance).toBe('10025.00');
    const { transactions } = await api.wallet.transactions({ kind: 'deposit' });
    expect(transactions).toHaveLength(1);
    await expect(api.wallet.withdraw({ amount: '20000.00', currency: 'USD' })).rejects.toMatchObject({ status: 409, code: 'insufficient_funds' });
  });

  it('throws typed errors carrying code, detail, field errors and request id', async () => {
    const api = createClient(options);
    const invalid = await api.auth.register({ email: 'not-an-email', password: 'short' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toBeInstanceOf(TradeplaneApiError);
    expect((invalid as ValidationError).fieldErrors.map((f) => f.path).sort()).toEqual(['email', 'password']);
    expect((invalid as ValidationError).requestId).toBeTruthy();
    await api.auth.register({ email: 'twice@example.com', password: 'twice-long-passphrase' });
    await expect(api.auth.register({ email: 'twice@example.com', password: 'twice-long-passphrase' })).rejects.toMatchObject({
      constructor: ConflictError,
      code: 'email_taken',
    });
    await api.auth.login({ email: 'twice@example.com', password: 'twice-long-passphrase' });
    await expect(api.auth.revokeSession({ id: 'no-such-session' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refreshes once on token_expired and retries, sharing the refresh between concurrent calls', async () => {
    const refreshes: string[] = [];
    const api = createClient({ ...options, onRequest: (r) => void (r.operation === 'auth.refresh' && refreshes.push(r.url)) });
    await api.auth.register({ email: 'expiry@example.com', password: 'expiry-long-passphrase' });
    await api.auth.login({ email: 'expiry@example.com', password: 'expiry-long-passphrase' });
    const stale = (await api.tokens.get()).accessToken;
    clock.advance(16 * 60_000); // the access token expired; the refresh token did not
    const [a, b, c] = await Promise.all([api.auth.me(), api.auth.sessions(), api.auth.me()]);
    expect(a.email).toBe('expiry@example.com');
    expect(b.sessions).toHaveLength(1);
    expect(c.id).toBe(a.id);
    expect(refreshes).toHaveLength(1);
    expect((await api.tokens.get()).accessToken).not.toBe(stale);
  });

  it('retries with the token a refresh already finished left, instead of refreshing again', async () => {
    const refreshes: string[] = [];
    const inner = options.fetch ?? fetch;
    let release!: () => void;
    const retried = new Promise<void>((resolve) => (release = resolve));
    let refreshAnswered = false;
    let expired = 0;
    const api = createClient({
      ...options,
      // The second call's token_expired answer arrives only once the first call, its refresh
      // over, sends its retry.
      fetch: async (input, init) => {
        const isRefresh = String(input).endsWith('/auth/refresh');
        if (refreshAnswered && !isRefresh) release();
        const response = await inner(input, init);
        if (isRefresh) refreshAnswered = true;
        else if (response.status === 401 && ++expired === 2) await retried;
        return response;
      },
      onRequest: (r) => void (r.operation === 'auth.refresh' && refreshes.push(r.url)),
    });
    await api.auth.register({ email: 'late-expiry@example.com', password: 'late-expiry-long-passphrase' });
    await api.auth.login({ email: 'late-expiry@example.com', password: 'late-expiry-long-passphrase' });
    clock.advance(16 * 60_000);
    const [a, b] = await Promise.all([api.auth.me(), api.auth.me()]);
    expect([a.email, b.email]).toEqual(['late-expiry@example.com', 'late-expiry@example.com']);
    expect(refreshes).toHaveLength(1);
  });

  it('pages through cursor lists with <name>All', async () => {
    const admin = createClient(options);
    await admin.auth.register({ email: 'pager@example.com', password: 'pager-long-passphrase' });
    const [account] = await engine.admin.listUsers({ search: 'pager@', limit: 1 });
    await engine.admin.setRole(null, account!.id, 'admin');
    await admin.auth.login({ email: 'pager@example.com', password: 'pager-long-passphrase' });
    const emails: string[] = [];
    for await (const user of admin.admin.listUsersAll({ limit: 2 })) emails.push(user.email);
    const all = await engine.admin.listUsers({ limit: 100 });
    expect(emails).toEqual(all.map((u) => u.email));
    expect(emails.length).toBeGreaterThan(2);
  });
});

describe('client reliability', () => {
  const ok = () => new Response(JSON.stringify({ status: 'ok', version: 'x', uptime_seconds: 1, db_status: { state: 'ok', dialect: 'sqlite' } }), { status: 200 });

  it('retries idempotent requests on network errors and 5xx, beneath the hooks', async () => {
    let calls = 0;
    let hooks = 0;
    const api = createClient({
      baseUrl: 'http://unused.example',
      fetch: async () => {
        calls++;
        if (calls === 1) throw new TypeError('fetch failed');
        if (calls === 2) return new Response('{"code":"service_unavailable","detail":"busy"}', { status: 503, headers: { 'retry-after': '0' } });
        return ok();
      },
      onRequest: () => void hooks++,
    });
    expect((await api.system.health()).status).toBe('ok');
    expect(calls).toBe(3);
    expect(hooks).toBe(1);
  });

  it('does not retry a non-idempotent request', async () => {
    let calls = 0;
    const api = createClient({ baseUrl: 'http://unused.example', fetch: async () => (calls++, Promise.reject(new TypeError('fetch failed'))) });
    await expect(api.auth.login({ email: 'a@example.com', password: 'x' })).rejects.toBeInstanceOf(ConnectionError);
    expect(calls).toBe(1);
  });

  it('times out, and honours the caller’s abort signal', async () => {
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true }));
    const api = createClient({ baseUrl: 'http://unused.example', fetch: hang, retries: 0 });
    await expect(api.system.health(undefined, { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const pending = api.system.health(undefined, { signal: controller.signal });
    controller.abort(new Error('user cancelled'));
    await expect(pending).rejects.toThrow('user cancelled');
  });
});
