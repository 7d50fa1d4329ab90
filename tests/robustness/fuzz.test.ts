import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { z } from 'zod';
import { listRoutes, silentLogger, type RouteDefinition } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { createTestDatabase, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { TEST_AUTH } from '../support/server.js';

/**
 * Contract-driven fuzzing (issue 9, first part): for every route the contract declares, at least
 * 200 requests that its schemas reject — wrong types, missing and unknown fields, huge strings,
 * boundary and negative numbers, malformed JSON, invalid UTF-8, the wrong content type, path ids
 * that are not ids — must each answer 4xx problem+json without a stack trace, and leave the
 * database exactly as it was. Generated from the zod schemas, so a new route is covered without
 * a new test. Seeds are printed on failure (`FUZZ_SEED=<n>` replays a run).
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const PER_ROUTE = Number(process.env.FUZZ_PER_ROUTE ?? 200);

const shapeOf = (schema: z.ZodType | undefined): Record<string, z.ZodType> => {
  const s = schema as unknown as { shape?: Record<string, z.ZodType>; def?: { shape?: Record<string, z.ZodType> } } | undefined;
  return s?.shape ?? s?.def?.shape ?? {};
};

/** Values of every JSON type, and the awkward ones: huge, negative, fractional, overlong money. */
const junk = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  fc.constantFrom('9'.repeat(400), '-0.01', '-1', '1e309', '0.0000000000000000001', '99999999999999999999999.99', 'NaN', ' ', '', '\u0000', '𝟘𝟙', 'x'.repeat(10_000), -1, 0, 2 ** 53, -(2 ** 63), 1e308),
);

type Case = { why: string; method: string; path: string; query: Record<string, string>; body: string | Uint8Array | undefined; contentType: string };

/** Requests the route's schemas reject (each checked against them before it is sent). */
function invalidCases(route: RouteDefinition, validParams: Record<string, string>): fc.Arbitrary<Case> {
  const bodyKeys = Object.keys(shapeOf(route.body));
  const queryKeys = Object.keys(shapeOf(route.query));
  const paramKeys = Object.keys(shapeOf(route.params));
  const fill = (params: Record<string, string>) => route.path.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? 'x'));
  const base = { method: route.method, query: {} as Record<string, string>, contentType: 'application/json' };
  const options: fc.Arbitrary<Case>[] = [];
  if (route.body) {
    const objectBody = fc
      .record({ known: fc.subarray(bodyKeys).chain((keys) => fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), junk)))), extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), junk, { maxKeys: 2 }) })
      .map(({ known, extra }) => ({ ...extra, ...Object.fromEntries(known) }))
      .filter((b) => !route.body!.safeParse(b).success);
    options.push(
      objectBody.map((b) => ({ ...base, why: 'fields of the wrong type, missing or unknown', path: fill(validParams), body: JSON.stringify(b) })),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{', '{"a":', '[1,', 'null', '[]', '"x"', '{"__proto__":{"x":1}}', 'true')).filter((t) => {
        // An empty body is no body (the dispatcher's rule): invalid only where a body is required.
        if (t === '') return !route.body!.safeParse(undefined).success;
        try {
          return !route.body!.safeParse(JSON.parse(t)).success;
        } catch {
          return true;
        }
      }).map((t) => ({ ...base, why: 'malformed or non-object JSON', path: fill(validParams), body: t })),
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => ({ ...base, why: 'invalid UTF-8', path: fill(validParams), body: Uint8Array.from([0x7b, 0xff, 0xfe, ...bytes]) })),
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data').map((ct) => ({ ...base, why: 'wrong content type', path: fill(validParams), body: '{"a":1}', contentType: ct })),
    );
  }
  if (queryKeys.length > 0) {
    options.push(
      fc
        .dictionary(fc.constantFrom(...queryKeys), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('-1', '0', '1e9', '99999999999999', 'true1', 'x'.repeat(300), '2026-13-45T00:00:00Z')), { minKeys: 1, maxKeys: 3 })
        .filter((q) => !route.query!.safeParse(q).success)
        .map((q) => ({ ...base, why: 'query of the wrong type', path: fill(validParams), query: q, body: route.body ? '{}' : undefined })),
    );
  }
  if (paramKeys.length > 0) {
    // Ids that are not ids: overlong, traversal, control and odd characters — whatever the params schema refuses.
    options.push(
      fc
        // (Never empty: `/accounts/` is another route, the list.)
        .oneof(fc.string({ minLength: 65, maxLength: 200 }), fc.constantFrom('..', '\u0000', '💥', ' ', 'a/b', 'x'.repeat(65)), fc.string({ minLength: 1, maxLength: 12 }))
        .map((id) => Object.fromEntries(paramKeys.map((k) => [k, id])))
        .filter((params) => !route.params!.safeParse(params).success)
        .map((params) => ({ ...base, why: 'a path id that is not an id', path: fill(params), body: route.body ? '{}' : undefined })),
    );
  }
  // Every route, inputs or not: methods it does not serve, and paths beneath it that do not exist.
  const served = new Set(allRoutes.filter((r) => r.path === route.path).map((r) => r.method));
  const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !served.has(m) && !(m === 'GET' && served.has('GET')));
  if (others.length > 0) options.push(fc.constantFrom(...others).map((method) => ({ ...base, method, why: 'a method the path does not serve', path: fill(validParams), body: undefined })));
  options.push(fc.string({ minLength: 1, maxLength: 40 }).map((tail) => ({ ...base, why: 'a path beneath it that does not exist', path: `${fill(validParams)}/${encodeURIComponent(tail)}/nope`, body: undefined })));
  return fc.oneof(...options);
}

const allRoutes: RouteDefinition[] = [];

describe('contract-driven fuzzing (SQLite)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let token: string;
  let license: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite-memory');
    engine = await createEngine({ database: db.database, mode: 'test', logger: silentLogger, auth: TEST_AUTH, jobs: { enabled: false }, rateLimits: { enabled: false } });
    const admin = await engine.auth.register({ email: 'fuzz-admin@example.com', password: 'fuzz-admin-passphrase' });
    await engine.admin.setRole(null, admin.id, 'admin');
    token = (await engine.auth.login({ email: 'fuzz-admin@example.com', password: 'fuzz-admin-passphrase' })).accessToken;
    const other = await engine.auth.register({ email: 'fuzz-master@example.com', password: 'fuzz-master-passphrase' });
    const master = await engine.copy.becomeMaster(other.id, { displayName: 'Fuzzed' });
    license = (await engine.copy.subscribe(admin.id, { masterId: master.id, copyMode: 'fixed', stake: '1.00' })).licenseToken;
  });
  afterAll(async () => {
    await engine.close();
    await db.cleanup();
  });

  it(`answers ${PER_ROUTE} invalid requests per route with 4xx problem+json and changes nothing (seed ${SEED})`, async () => {
    const routes = listRoutes(engine.contract).filter((r) => r.id !== 'system.metrics');
    allRoutes.push(...listRoutes(engine.contract));
    let sent = 0;
    for (const [index, route] of routes.entries()) {
      const before = JSON.stringify(await db.snapshot());
      const cases = fc.sample(invalidCases(route, {}), { seed: SEED + index, numRuns: PER_ROUTE });
      for (const c of cases) {
        const headers: Record<string, string> = { 'content-type': c.contentType, 'idempotency-key': `fuzz-${sent}` };
        if (route.auth === 'license') headers.authorization = `License ${license}`;
        else if (route.auth !== 'public') headers.authorization = `Bearer ${token}`;
        const res = await engine.handle({ method: c.method, path: c.path, headers, query: c.query, body: c.body, ip: '127.0.0.1' });
        sent += 1;
        const context = `${route.id} (${c.why}; FUZZ_SEED=${SEED}) → ${res.status} ${res.body?.slice(0, 200)}`;
        expect(res.status, context).toBeGreaterThanOrEqual(400);
        expect(res.status, context).toBeLessThan(500);
        expect(String(res.headers['content-type']), context).toMatch(/^application\/problem\+json/);
        const problem = JSON.parse(res.body!) as Record<string, unknown>;
        expect(Object.keys(problem), context).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
        expect(res.body, context).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);
      }
      expect(JSON.stringify(await db.snapshot()), `${route.id} changed the database (FUZZ_SEED=${SEED})`).toBe(before);
    }
    expect((await engine.wallets.verifyLedger()).ok).toBe(true);
    expect(sent).toBeGreaterThanOrEqual(routes.length * PER_ROUTE);
    console.info(`fuzzed ${routes.length} routes with ${sent} invalid requests (FUZZ_SEED=${SEED})`);
  }, 600_000);
});
