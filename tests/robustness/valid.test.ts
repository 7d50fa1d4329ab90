import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { listRoutes, routeErrors, silentLogger, type RouteDefinition } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { TEST_AUTH } from '../support/server.js';
import { validInputs } from './arbitraries.js';

/**
 * Valid-input generation (issue 9): for every route, at least 100 requests its schemas accept,
 * generated from the contract's zod schemas, must answer 2xx or one of the error codes the route
 * documents — never a 5xx, never an undocumented code. Seeds are printed (`FUZZ_SEED` replays).
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const PER_ROUTE = Number(process.env.FUZZ_VALID_PER_ROUTE ?? 100);

/** Routes whose valid requests end the caller's own session or account state: fuzzed with a throwaway user. */
const SESSION_ENDING = new Set(['auth.logout', 'auth.logoutAll', 'auth.changePassword', 'auth.revokeSession', 'auth.revokeOtherSessions']);

describe('valid requests from the contract (SQLite)', () => {
  let engine: Engine;
  let license: string;
  let admin: { id: string };

  beforeAll(async () => {
    engine = await createEngine({ database: ':memory:', mode: 'test', logger: silentLogger, auth: { ...TEST_AUTH, loginThrottle: false }, jobs: { enabled: false }, rateLimits: { enabled: false } });
    admin = await engine.auth.register({ email: 'valid-admin@example.com', password: 'valid-admin-passphrase' });
    await engine.admin.setRole(null, admin.id, 'admin');
    const other = await engine.auth.register({ email: 'valid-master@example.com', password: 'valid-master-passphrase' });
    const master = await engine.copy.becomeMaster(other.id, { displayName: 'Valid' });
    license = (await engine.copy.subscribe(admin.id, { masterId: master.id, copyMode: 'fixed', stake: '1.00' })).licenseToken;
  });
  afterAll(() => engine.close());

  async function token(route: RouteDefinition): Promise<string> {
    if (!SESSION_ENDING.has(route.id)) return (await engine.auth.login({ email: 'valid-admin@example.com', password: 'valid-admin-passphrase' })).accessToken;
    const email = `throwaway-${route.id}-${Date.now()}@example.com`;
    await engine.auth.register({ email, password: 'throwaway-passphrase' });
    return (await engine.auth.login({ email, password: 'throwaway-passphrase' })).accessToken;
  }

  it(`answers ${PER_ROUTE} valid requests per route with 2xx or a documented error (seed ${SEED})`, async () => {
    const routes = listRoutes(engine.contract).filter((r) => r.id !== 'system.metrics');
    let sent = 0;
    const outcomes = new Map<string, number>();
    for (const [index, route] of routes.entries()) {
      const documented = new Set<string>(routeErrors(route));
      const input = fc.record({
        params: route.params ? validInputs(route.params) : fc.constant({}),
        query: route.query ? validInputs(route.query) : fc.constant({}),
        body: route.body ? validInputs(route.body) : fc.constant(undefined),
      });
      const cases = fc.sample(input, { seed: SEED + index, numRuns: PER_ROUTE });
      const bearer = await token(route);
      for (const c of cases) {
        const params = c.params as Record<string, unknown>;
        const path = route.path.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(String(params[k])));
        const query = Object.fromEntries(Object.entries((c.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
        const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': `valid-${SEED}-${sent}` };
        if (route.auth === 'license') headers.authorization = `License ${license}`;
        else if (route.auth !== 'public') headers.authorization = `Bearer ${bearer}`;
        const res = await engine.handle({ method: route.method, path, headers, query, body: c.body === undefined ? undefined : JSON.stringify(c.body), ip: '198.51.100.9' });
        sent += 1;
        const context = `${route.id} (FUZZ_SEED=${SEED}) ${JSON.stringify(c).slice(0, 300)} → ${res.status} ${res.body?.slice(0, 300)}`;
        expect(res.status, context).toBeLessThan(500);
        if (res.status >= 400) {
          const code = (JSON.parse(res.body!) as { code: string }).code;
          expect(documented.has(code), `undocumented ${code}: ${context}`).toBe(true);
          outcomes.set(`${route.id} ${code}`, (outcomes.get(`${route.id} ${code}`) ?? 0) + 1);
        } else {
          outcomes.set(`${route.id} 2xx`, (outcomes.get(`${route.id} 2xx`) ?? 0) + 1);
        }
      }
    }
    expect((await engine.wallets.verifyLedger()).ok).toBe(true);
    expect(sent).toBeGreaterThanOrEqual(routes.length * PER_ROUTE);
    const succeeded = new Set([...outcomes.keys()].filter((k) => k.endsWith(' 2xx')).map((k) => k.split(' ')[0]));
    console.info(`sent ${sent} valid requests to ${routes.length} routes; ${succeeded.size} routes answered 2xx at least once (FUZZ_SEED=${SEED})`);
  }, 600_000);
});
