/**
 * The same requests through every host: Express over a real socket, and the Lambda handler
 * with API Gateway v1, v2 and ALB events. Each host gets its own engine with the same clock,
 * ids and secret, so the answers must match byte for byte — status, the headers that matter
 * and bodies — except for refresh tokens, which are random.
 */
import { describe, expect, it } from 'vitest';
import { manualClock, sequentialIds, silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { openTransport, transportKinds, type Transport, type TransportKind } from '../support/transports.js';
import type { TestResponse } from '../support/server.js';

const HEADERS = ['content-type', 'content-length', 'cache-control', 'allow', 'www-authenticate', 'retry-after', 'x-request-id'];

interface Observed {
  step: string;
  status: number;
  headers: Record<string, string | null>;
  cookies: string[];
  body: string;
}

/** Replaces what is random by design (refresh tokens) and what is timing (health latency). */
function normalise(text: string): string {
  return text
    .replace(/tpr_[A-Za-z0-9_-]{43}/g, 'tpr_<random>')
    .replace(/"latency_ms":[0-9.]+/g, '"latency_ms":0')
    .replace(/"uptime_seconds":[0-9.]+/g, '"uptime_seconds":0');
}

function observe(step: string, res: TestResponse): Observed {
  return {
    step,
    status: res.status,
    headers: Object.fromEntries(HEADERS.map((h) => [h, res.headers.get(h) === null ? null : normalise(res.headers.get(h)!)])),
    cookies: res.headers.getSetCookie().map(normalise),
    body: normalise(res.text),
  };
}

async function scenario(kind: TransportKind, cookies: boolean): Promise<Observed[]> {
  const engine = await createEngine({
    database: ':memory:',
    mode: 'test',
    logger: silentLogger,
    clock: manualClock(new Date('2026-09-01T00:00:00.000Z')),
    ids: sequentialIds('id'),
    jobs: { enabled: false },
    auth: { jwtSecret: 'parity-secret-parity-secret-parity!', passwordHashing: { memoryCost: 1024, timeCost: 1 } },
  });
  const transport: Transport = await openTransport(kind, engine, { cookies });
  const seen: Observed[] = [];
  const step = async (name: string, method: string, path: string, init?: Parameters<Transport['request']>[2]) => {
    const res = await transport.request(method, path, {
      ...init,
      headers: { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'parity-test/1.0', ...init?.headers },
    });
    const observed = observe(name, res);
    if (name === 'health') observed.headers['content-length'] = null; // the latency's digits vary
    seen.push(observed);
    return res;
  };
  try {
    await step('health', 'GET', '/health');
    await step('openapi', 'GET', '/openapi.json');
    await step('register', 'POST', '/auth/register', { body: { email: 'parity@example.com', password: 'parity-long-passphrase', username: 'parity' } });
    await step('unknown field', 'POST', '/auth/register', { body: { email: 'x@example.com', password: 'parity-long-passphrase', role: 'admin' } });
    await step('malformed json', 'POST', '/auth/register', { body: '{"email":' });
    await step('wrong media type', 'POST', '/auth/register', { body: 'email=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await step('too large', 'POST', '/auth/register', { body: { email: 'big@example.com', password: 'x'.repeat(1_100_000) } });
    await step('wrong password', 'POST', '/auth/login', { body: { username: 'parity', password: 'not-it-at-all' } });
    const login = await step('login', 'POST', '/auth/login', { body: { email: 'parity@example.com', password: 'parity-long-passphrase', device_label: 'ci' } });
    const access = login.body.access_token as string;
    await step('me', 'GET', '/auth/me', { token: access });
    await step('head me', 'HEAD', '/auth/me', { token: access });
    await step('me anonymous', 'GET', '/auth/me');
    await step('me forged', 'GET', '/auth/me', { token: `${access.slice(0, -2)}xx` });
    await step('method not allowed', 'PUT', '/auth/me', { token: access });
    await step('no route', 'GET', '/nope');
    await step('admin as user', 'GET', '/admin/users?limit=5&status=pending', { token: access });
    await step('sessions', 'GET', '/auth/sessions', { token: access });
    if (cookies) {
      const jar = login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      await step('refresh without csrf', 'POST', '/auth/refresh', { headers: { cookie: jar } });
      await step('refresh with csrf', 'POST', '/auth/refresh', { headers: { cookie: jar, 'x-csrf-token': login.body.csrf_token } });
    } else {
      const refreshed = await step('refresh', 'POST', '/auth/refresh', { body: { refresh_token: login.body.refresh_token } });
      await step('refresh reuse in window', 'POST', '/auth/refresh', { body: { refresh_token: login.body.refresh_token } });
      expect(refreshed.status).toBe(200);
    }
    await step('logout', 'POST', '/auth/logout', { token: access });
    await step('me after logout', 'GET', '/auth/me', { token: access });
    return seen;
  } finally {
    await transport.close();
    await engine.close();
  }
}

describe.each([false, true])('every host answers alike (cookie mode: %s)', (cookies) => {
  it('Express, Lambda v1, Lambda v2 and ALB give identical answers', async () => {
    const results = Object.fromEntries(await Promise.all(transportKinds.map(async (kind) => [kind, await scenario(kind, cookies)] as const)));
    const reference = results.express!;
    expect(reference.map((o) => o.status)).toContain(413);
    for (const kind of transportKinds.slice(1)) {
      for (let i = 0; i < reference.length; i++) {
        expect(results[kind]![i], `${kind}: ${reference[i]!.step}`).toEqual(reference[i]);
      }
    }
    if (cookies) expect(reference.find((o) => o.step === 'login')!.cookies).toHaveLength(2);
  });
});
