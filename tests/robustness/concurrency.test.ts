import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { TEST_AUTH } from '../support/server.js';

/**
 * Mixed concurrent load (issue 9): 50 clients for 20 seconds on loopback — deposits,
 * withdrawals, transfers between two users, trades opened and closed, and the same
 * idempotent request sent twice at once — then the invariants: no 5xx, no negative balance,
 * money conserved (the ledger verifies and the account balances add up to what was
 * acknowledged), and no idempotent request took effect twice.
 */
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 50);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);

describe.each(testDatabaseKinds().filter((k) => k !== 'sqlite-memory'))('mixed concurrent load on %s', (kind) => {
  let db: TestDatabase;
  let engine: Engine;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    engine = await createEngine({ database: db.database, mode: 'test', logger: silentLogger, auth: { ...TEST_AUTH, loginThrottle: false }, jobs: { enabled: false }, rateLimits: { enabled: false }, wallets: { userTransfers: true, demo: { topUpsPerDay: false, maxBalance: false } } });
    const app = express();
    app.use(tradeplaneExpress(engine));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await engine.close();
    await db.cleanup();
  });

  it(`keeps every invariant under ${CLIENTS} clients for ${SECONDS} s`, async () => {
    const users: { id: string; token: string; account: string }[] = [];
    for (const name of ['alpha', 'beta', 'gamma']) {
      const user = await engine.auth.register({ email: `${name}-${kind}@example.com`, password: `${name}-load-passphrase` });
      const token = (await engine.auth.login({ email: `${name}-${kind}@example.com`, password: `${name}-load-passphrase` })).accessToken;
      users.push({ id: user.id, token, account: (await engine.wallets.defaultAccount(user.id)).id });
    }
    await engine.market.ingest([{ symbol: 'LOADUSD', interval: '1m', openTime: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000), open: 100, high: 100, low: 100, close: 100, volume: 1 }]);

    const statuses = new Map<number, number>();
    /** Minor units each user's demo balance should hold: only acknowledged deposits, withdrawals and transfers move it (trades are checked through the ledger). */
    let requests = 0;
    let key = 0;
    const call = async (user: (typeof users)[number], method: string, path: string, body?: unknown, idempotencyKey?: string) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      requests += 1;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
    };

    const twins: { key: string; user: (typeof users)[number]; acknowledged: boolean }[] = [];
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let n = 0; Date.now() < end; n++) {
          const user = users[(client + n) % users.length]!;
          const other = users[(client + n + 1) % users.length]!;
          const k = `load-${kind}-${client}-${n}-${key++}`;
          switch (n % 6) {
            case 0:
              await call(user, 'POST', '/wallet/deposit', { amount: '1.00', currency: 'USD' }, k);
              break;
            case 1:
              await call(user, 'POST', '/wallet/withdraw', { amount: '2.50', currency: 'USD' }, k);
              break;
            case 2:
              await call(user, 'POST', '/wallet/transfer', { to_account_id: other.account, amount: '0.75', currency: 'USD' }, k);
              break;
            case 3: {
              const opened = await call(user, 'POST', '/trades/execute', { symbol: 'LOADUSD', side: n % 12 === 3 ? 'BUY' : 'SELL', stake: '5.00' }, k);
              if (opened.status === 201) await call(user, 'POST', `/trades/${opened.body!.id}/close`);
              break;
            }
            case 4: {
              // The same money request twice at once: one effect.
              const pair = await Promise.all([call(user, 'POST', '/wallet/deposit', { amount: '0.10', currency: 'USD', reference: k }, k), call(user, 'POST', '/wallet/deposit', { amount: '0.10', currency: 'USD', reference: k }, k)]);
              twins.push({ key: k, user, acknowledged: pair.some((r) => r.status === 200) });
              break;
            }
            default:
              await call(user, 'GET', '/wallet');
          }
        }
      }),
    );

    const summary = Object.fromEntries(statuses);
    expect([...statuses.keys()].filter((s) => s >= 500), JSON.stringify(summary)).toEqual([]);
    // Refusals are the documented ones only: overdraft (409), risk (409), replays answer 200/201 too.
    expect([...statuses.keys()].every((s) => [200, 201, 409, 422].includes(s)), JSON.stringify(summary)).toBe(true);
    expect((await engine.wallets.verifyLedger()).ok).toBe(true);
    for (const user of users) {
      for (const account of await engine.wallets.listAccounts(user.id)) {
        expect(Number(account.balance), `${user.id} ${account.id}`).toBeGreaterThanOrEqual(0);
        expect(Number(account.available), `${user.id} ${account.id}`).toBeGreaterThanOrEqual(0);
      }
    }
    // Each twin pair took effect once (exactly once when either was acknowledged).
    const references = new Map<string, number>();
    for (const user of users) {
      let cursor: string | undefined;
      do {
        const page = await engine.wallets.transactions(user.id, { kind: 'deposit', limit: 200, cursor });
        for (const t of page.transactions) if (t.reference) references.set(t.reference, (references.get(t.reference) ?? 0) + 1);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    for (const twin of twins) expect(references.get(twin.key) ?? 0, twin.key).toBe(twin.acknowledged ? 1 : 0);
    expect(requests).toBeGreaterThan(CLIENTS * 5);
    console.info(`${kind}: ${requests} requests from ${CLIENTS} clients in ${SECONDS} s, statuses ${JSON.stringify(summary)}; ${twins.length} twin requests`);
  }, (SECONDS + 60) * 1000);
});
