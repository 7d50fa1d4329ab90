/**
 * Text a database cannot hold: NUL (PostgreSQL refuses it in text) and unpaired UTF-16
 * surrogates (which JSON's `\uD800` escapes can produce). Every string a client sends — body
 * fields at any depth and object keys, query parameters, path parameters, the User-Agent that
 * sessions and the audit log keep — answers 422 naming the field, and changes nothing, on
 * every database. The per-field cases are generated from the contract, so a new route is
 * covered without a new test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { allowedRoles, listRoutes, type RouteDefinition } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\uD800b';
const LONE_LOW = '\uDC00ab';

const keysOf = (schema: z.ZodType | undefined): string[] => {
  const s = schema as unknown as { shape?: Record<string, unknown>; def?: { shape?: Record<string, unknown>; in?: { shape?: Record<string, unknown> } } } | undefined;
  return Object.keys(s?.shape ?? s?.def?.shape ?? s?.def?.in?.shape ?? {});
};

describe.each(testDatabaseKinds())('NUL and unpaired surrogates on %s', (kind) => {
  let server: TestServer;
  let user: SignedIn;
  let admin: SignedIn;
  let license: string;
  beforeAll(async () => {
    server = await startTestServer(kind);
    user = await signUp(server, 'strings-user');
    admin = await signUpAdmin(server, 'strings-admin');
    const master = await server.engine.copy.becomeMaster(user.id, { displayName: 'Strings' });
    license = (await server.engine.copy.subscribe(admin.id, { masterId: master.id, copyMode: 'fixed', stake: '1.00' })).licenseToken;
  });
  afterAll(async () => {
    await server?.close();
  });

  const credentials = (route: RouteDefinition): Record<string, string> => {
    if (route.auth === 'public') return {};
    if (route.auth === 'license') return { authorization: `License ${license}` };
    return { authorization: `Bearer ${allowedRoles(route).includes('admin') ? admin.access : user.access}` };
  };

  /** One request per route and field: that field (and only it) holds the bad text. */
  const cases = () =>
    listRoutes(server.engine.contract)
      .filter((route) => route.id !== 'system.metrics')
      .flatMap((route) => {
        const fill = (params: Record<string, string>) => route.path.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? 'x'));
        const valid = Object.fromEntries(keysOf(route.params).map((k) => [k, '00000000-0000-7000-8000-000000000000']));
        const out: { route: RouteDefinition; where: string; field: string; path: string; query?: string; body?: unknown }[] = [];
        for (const k of keysOf(route.params)) out.push({ route, where: 'path', field: k, path: fill({ ...valid, [k]: NUL }) });
        for (const k of keysOf(route.query)) out.push({ route, where: 'query', field: k, path: fill(valid), query: `?${k}=${encodeURIComponent(NUL)}` });
        for (const k of keysOf(route.body)) out.push({ route, where: 'body', field: k, path: fill(valid), body: { [k]: [LONE_HIGH, NUL, LONE_LOW][k.length % 3] } });
        return out;
      });

  it('answers 422 naming the field, for every field of every route, and changes nothing', async () => {
    const before = JSON.stringify(await server.db.snapshot());
    const all = cases();
    expect(all.length).toBeGreaterThan(100);
    for (const c of all) {
      const headers = { ...credentials(c.route), 'idempotency-key': `strings-${c.route.id}-${c.field}` };
      const res = await server.request(c.route.method, c.path + (c.query ?? ''), c.body === undefined ? { headers } : { headers, body: c.body });
      const context = `${c.route.id} ${c.where}.${c.field} → ${res.status} ${res.text.slice(0, 300)}`;
      expect(res.status, context).toBe(422);
      expect(res.body.errors, context).toContainEqual(expect.objectContaining({ in: c.where, path: c.field, code: 'invalid_characters' }));
    }
    expect(JSON.stringify(await server.db.snapshot())).toBe(before);
  });

  it.each([
    ['an API key name', 'POST', '/api-keys', { name: NUL, scopes: ['account:read'] }, 'name'],
    ['a device label', 'POST', '/auth/login', { email: 'strings-user@example.com', password: 'strings-user-long-passphrase', device_label: NUL }, 'device_label'],
    ['a display name', 'POST', '/masters', { display_name: LONE_HIGH }, 'display_name'],
    ['a deposit reference', 'POST', '/wallet/deposit', { amount: '1.00', currency: 'USD', reference: NUL }, 'reference'],
    ['a nested object key', 'POST', '/api-keys', { name: 'ok', scopes: ['account:read'], [`x${NUL}`]: 1 }, 'xa\uFFFDb'],
  ])('refuses %s that is otherwise valid', async (_name, method, path, body, field) => {
    const before = JSON.stringify(await server.db.snapshot());
    const res = await server.request(method, path, { token: admin.access, body, headers: { 'idempotency-key': `strings-${encodeURIComponent(field)}` } });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toContainEqual(expect.objectContaining({ in: 'body', path: field, code: 'invalid_characters' }));
    expect(JSON.stringify(await server.db.snapshot())).toBe(before);
  });

  it('refuses a cursor and a search term in the query, and a path id', async () => {
    const cursor = await server.request('GET', `/masters?cursor=${encodeURIComponent(NUL)}`, { token: user.access });
    expectProblem(cursor, 422, 'validation_failed');
    expect(cursor.body.errors).toContainEqual(expect.objectContaining({ in: 'query', path: 'cursor', code: 'invalid_characters' }));
    const search = await server.request('GET', `/admin/users?search=${encodeURIComponent(NUL)}`, { token: admin.access });
    expectProblem(search, 422, 'validation_failed');
    const session = await server.request('DELETE', `/auth/sessions/${encodeURIComponent(NUL)}`, { token: user.access });
    expectProblem(session, 422, 'validation_failed');
    expect(session.body.errors).toContainEqual(expect.objectContaining({ in: 'path', path: 'id', code: 'invalid_characters' }));
  });

  it('refuses a User-Agent that sessions and the audit log would keep', async () => {
    // HTTP clients will not send NUL in a header; a Lambda event can carry anything.
    const before = JSON.stringify(await server.db.snapshot());
    const res = await server.engine.handle({
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json', 'user-agent': `Mozilla${NUL}` },
      body: JSON.stringify({ email: user.email, password: user.password }),
      ip: '127.0.0.1',
    });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body!).errors).toContainEqual(expect.objectContaining({ in: 'header', path: 'User-Agent', code: 'invalid_characters' }));
    expect(JSON.stringify(await server.db.snapshot())).toBe(before);
  });

  it('still accepts paired surrogates (emoji) and other control-free Unicode', async () => {
    const res = await server.request('POST', '/api-keys', { token: user.access, body: { name: 'bot 🔑 ключ 鍵', scopes: ['account:read'] } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.api_key.name).toBe('bot 🔑 ключ 鍵');
  });
});
