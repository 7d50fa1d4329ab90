import { afterEach, describe, expect, it } from 'vitest';
import { TradeplaneError, type MoneyInput, type Repositories, type Storage } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { openLedger, type Ledger } from '../support/ledger.js';

let open: Ledger[] = [];
afterEach(async () => {
  await Promise.all(open.map((l) => l.close()));
  open = [];
});
async function ledger(kind: Parameters<typeof openLedger>[0], options: Parameters<typeof openLedger>[1] = {}) {
  const l = await openLedger(kind, options);
  open.push(l);
  return l;
}


/**
 * Real money in, as a funding source credits it once it has verified a payment (a user's own
 * deposit request tops up demo accounts only); keyed per user, as a user's requests are.
 */
async function fund(l: Ledger, userId: string, input: MoneyInput) {
  const accountId = input.accountId ?? (await l.tp.wallets.defaultAccount(userId)).id;
  const { amount, currency, reference, metadata } = input;
  return l.tp.wallets.funding.confirmDeposit('bank', { sourceReference: `${userId}/${input.idempotencyKey}`, accountId, amount, currency, reference, metadata });
}

/**
 * Real money out at once: a fee, the instant debit of a real account (a real withdrawal waits
 * for an operator; see tests/http/funding.test.ts). Same path, same guards as every movement.
 */
const debit = (l: Ledger, userId: string, input: MoneyInput) => l.tp.wallets.chargeFee(userId, input);

let keys = 0;
const key = () => `key-${++keys}`;

async function rejection(promise: Promise<unknown>): Promise<TradeplaneError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TradeplaneError);
  return error as TradeplaneError;
}

/**
 * Every account's postings, system accounts' included, can be laid end to end from zero to the
 * account's balance, each posting going from the balance before it (its balance after less its
 * amount) to its balance after — so each starts where another ends. (Counted per value, as an
 * Euler path: a balance may be passed through more than once.) And no user account's balance
 * after is ever negative. Proves that movements written together each saw the balance the one
 * before it left, not the same starting balance.
 */
async function expectPostingChains(l: Ledger): Promise<void> {
  const { accounts, postings } = await l.db.snapshot();
  for (const account of accounts!) {
    // Per balance value: postings leaving it minus postings arriving at it.
    const net = new Map<bigint, number>();
    const add = (value: bigint, n: number) => net.set(value, (net.get(value) ?? 0) + n);
    add(0n, -1);
    add(BigInt(String(account.balance)), 1);
    for (const p of postings!.filter((p) => p.account_id === account.id)) {
      const after = BigInt(String(p.balance_after));
      add(after - BigInt(String(p.amount)), 1);
      add(after, -1);
      if (account.kind !== 'system') expect(after, `account ${String(account.id)}`).toBeGreaterThanOrEqual(0n);
    }
    expect([...net].filter(([, n]) => n !== 0), `account ${String(account.id)}`).toEqual([]);
  }
}

describe.each(testDatabaseKinds())('ledger on %s', (kind) => {
  it('opens a default demo account funded from the demo faucet at sign-up', async () => {
    const l = await ledger(kind);
    const userId = await l.user();
    const wallet = await l.tp.wallets.defaultAccount(userId);
    expect(wallet).toMatchObject({ currency: 'USD', kind: 'demo', isDefault: true, balance: '10000.00', available: '10000.00', held: '0.00' });
    const { transactions } = await l.tp.wallets.transactions(userId);
    expect(transactions).toHaveLength(1);
    expect(transactions[0]).toMatchObject({ kind: 'demo_faucet', amount: '10000.00', balanceAfter: '10000.00' });
    const report = await l.tp.wallets.verifyLedger();
    expect(report.ok).toBe(true);
    expect(report.entriesChecked).toBe(1);
  });

  it('refuses, in the database itself, to edit or delete journal entries and postings', async () => {
    const l = await ledger(kind);
    await l.user();
    for (const statement of ['update postings set amount = amount + 1', 'delete from postings', 'update journal_entries set reference = null', 'delete from journal_entries']) {
      await expect(l.db.exec(statement), statement).rejects.toThrow(/append-only/);
    }
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('deposits, withdraws and transfers between own accounts, recording signed postings and balances after', async () => {
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    const main = await l.tp.wallets.defaultAccount(userId);
    expect(main).toMatchObject({ kind: 'real', balance: '0.00' });
    const savings = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
    expect(savings.isDefault).toBe(false);

    const deposit = await fund(l, userId, { amount: '100.50', currency: 'USD', reference: 'psp-1', idempotencyKey: key() });
    expect(deposit.transaction).toMatchObject({ kind: 'deposit', amount: '100.50', balanceAfter: '100.50', reference: 'psp-1' });
    const withdrawal = await debit(l, userId, { amount: '0.50', currency: 'USD', idempotencyKey: key() });
    expect(withdrawal.transaction).toMatchObject({ kind: 'fee', amount: '-0.50', balanceAfter: '100.00' });
    const transfer = await l.tp.wallets.transfer(userId, { toAccountId: savings.id, amount: '40.00', currency: 'USD', idempotencyKey: key() });
    expect(transfer.account).toMatchObject({ id: main.id, balance: '60.00' });
    expect(await l.tp.wallets.getAccount(userId, savings.id)).toMatchObject({ balance: '40.00' });

    const history = await l.tp.wallets.transactions(userId, { accountId: main.id });
    expect(history.transactions.map((t) => [t.kind, t.amount, t.balanceAfter])).toEqual([
      ['transfer', '-40.00', '60.00'],
      ['fee', '-0.50', '100.00'],
      ['deposit', '100.50', '100.50'],
    ]);
    expect(await l.tp.wallets.totals(userId)).toEqual([{ currency: 'USD', kind: 'real', balance: '100.00', held: '0.00', available: '100.00', accounts: 2 }]);
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('pages history with a cursor and filters by kind and time', async () => {
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    for (let i = 1; i <= 5; i++) {
      l.clock.advance(60_000);
      await fund(l, userId, { amount: `${i}.00`, currency: 'USD', idempotencyKey: key() });
    }
    await debit(l, userId, { amount: '1.00', currency: 'USD', idempotencyKey: key() });
    const first = await l.tp.wallets.transactions(userId, { limit: 4 });
    const second = await l.tp.wallets.transactions(userId, { limit: 4, cursor: first.nextCursor! });
    expect(first.transactions).toHaveLength(4);
    expect(second.transactions).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    expect([...first.transactions, ...second.transactions].map((t) => t.amount)).toEqual(['-1.00', '5.00', '4.00', '3.00', '2.00', '1.00']);
    const deposits = await l.tp.wallets.transactions(userId, { kind: 'deposit', from: new Date('2026-03-01T12:03:00.000Z') });
    expect(deposits.transactions.map((t) => t.amount)).toEqual(['5.00', '4.00', '3.00']);
  });

  it('keeps amounts exact above 2^53 and across exponents 0, 2, 3, 8 and 18, up to 2^63 − 1 minor units', async () => {
    const l = await ledger(kind, {
      wallets: { demo: false, currencies: [{ code: 'BTC', exponent: 8 }, { code: 'WEI', exponent: 18 }] },
    });
    const userId = await l.user();
    const cases: [string, string, string][] = [
      ['JPY', '9007199254740993', '9007199254740993'], // 2^53 + 1 yen
      ['KWD', '9007199254740.993', '9007199254740.993'],
      ['BTC', '92233720368.54775807', '92233720368.54775807'], // 2^63 − 1 satoshi
      ['WEI', '9.223372036854775807', '9.223372036854775807'], // 2^63 − 1 wei
      ['USD', '90071992547409.93', '90071992547409.93'],
    ];
    for (const [currency, amount, expected] of cases) {
      const account = await l.tp.wallets.openAccount(userId, { currency });
      // A reference and metadata that look like format directives must come back as they went in.
      const request = { accountId: account.id, amount, currency, idempotencyKey: key(), reference: '100% of %1$s %s', metadata: { note: '%%2$s %' } };
      const movement = await fund(l, userId, request);
      expect(movement.account.balance).toBe(expected);
      expect(movement.transaction).toMatchObject({ reference: '100% of %1$s %s', metadata: { note: '%%2$s %' } });
      expect((await l.tp.wallets.getAccount(userId, account.id)).balance).toBe(expected);
      // The stored outcome says the same (on PostgreSQL the database itself formats it).
      expect(await fund(l, userId, request)).toEqual(movement);
    }
    // Withdrawing one minor unit from 2^63 − 1 leaves 2^63 − 2, exactly.
    const btc = (await l.tp.wallets.listAccounts(userId)).find((a) => a.currency === 'BTC')!;
    const after = await debit(l, userId, { accountId: btc.id, amount: '0.00000001', currency: 'BTC', idempotencyKey: key() });
    expect(after.account.balance).toBe('92233720368.54775806');
    // One more unit than the maximum balance is refused, not wrapped or rounded. (Credited by
    // adjustments: the `external` account already gave out all it can hold in BTC.)
    const credit = () => l.tp.wallets.adjust(userId, btc.id, { direction: 'credit', amount: '0.00000001', currency: 'BTC', reason: 'edge of the range', idempotencyKey: key() });
    await credit();
    const overflow = await rejection(credit());
    expect(overflow.code).toBe('validation_failed');
    expect((await l.tp.wallets.getAccount(userId, btc.id)).balance).toBe('92233720368.54775807');
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('refuses malformed amounts with a field error and writes nothing', async () => {
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    const before = await l.db.snapshot();
    for (const [amount, problem] of [
      ['1.001', 'too_many_decimals'],
      ['-1.00', 'not_a_decimal'],
      ['0', 'not_positive'],
      ['0.00', 'not_positive'],
      ['1e3', 'not_a_decimal'],
      ['92233720368547758.08', 'too_large'],
      ['', 'not_a_decimal'],
    ] as const) {
      const error = await rejection(fund(l, userId, { amount, currency: 'USD', idempotencyKey: key() }));
      expect(error.code).toBe('validation_failed');
      expect(error.fields).toEqual([expect.objectContaining({ path: 'amount', code: problem })]);
    }
    const unknown = await rejection(fund(l, userId, { amount: '1', currency: 'XYZ', idempotencyKey: key() }));
    expect(unknown.fields).toEqual([expect.objectContaining({ path: 'currency', code: 'unknown_currency' })]);
    expect(await l.db.snapshot()).toEqual(before);
  });

  describe('idempotency', () => {
    it('replays the first result for the same key and payload, and moves money once', async () => {
      const l = await ledger(kind, { wallets: { demo: false } });
      const userId = await l.user();
      const input = { amount: '25.00', currency: 'USD', idempotencyKey: key() };
      const first = await fund(l, userId, input);
      l.clock.advance(1000);
      const again = await fund(l, userId, { ...input, amount: '25.0' }); // the same amount, written differently
      expect(again).toEqual(first);
      expect((await l.tp.wallets.defaultAccount(userId)).balance).toBe('25.00');
      expect((await l.tp.wallets.transactions(userId)).transactions).toHaveLength(1);
    });

    it('answers idempotency_conflict for the same key with a different payload', async () => {
      const l = await ledger(kind, { wallets: { demo: false } });
      const userId = await l.user();
      const idempotencyKey = key();
      await fund(l, userId, { amount: '25.00', currency: 'USD', idempotencyKey });
      expect((await rejection(fund(l, userId, { amount: '26.00', currency: 'USD', idempotencyKey }))).code).toBe('idempotency_conflict');
      // A user's key: a debit, then another operation under the same key.
      const userKey = key();
      await debit(l, userId, { amount: '5.00', currency: 'USD', idempotencyKey: userKey });
      const other = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
      expect((await rejection(l.tp.wallets.transfer(userId, { toAccountId: other.id, amount: '5.00', currency: 'USD', idempotencyKey: userKey }))).code).toBe('idempotency_conflict');
      expect((await l.tp.wallets.defaultAccount(userId)).balance).toBe('20.00');
    });

    it('replays a business failure instead of retrying it', async () => {
      const l = await ledger(kind, { wallets: { demo: false } });
      const userId = await l.user();
      const withdrawal = { amount: '10.00', currency: 'USD', idempotencyKey: key() };
      expect((await rejection(debit(l, userId, withdrawal))).code).toBe('insufficient_funds');
      await fund(l, userId, { amount: '50.00', currency: 'USD', idempotencyKey: key() });
      const replayed = await rejection(debit(l, userId, withdrawal));
      expect(replayed.code).toBe('insufficient_funds');
      expect(replayed.headers).toEqual({ 'idempotency-replayed': 'true' });
      expect((await l.tp.wallets.defaultAccount(userId)).balance).toBe('50.00');
    });

    it('scopes keys per user and forgets them after the retention period', async () => {
      const l = await ledger(kind, { wallets: { demo: false, idempotencyTtl: 3600 } });
      const alice = await l.user();
      const bob = await l.user();
      const idempotencyKey = key();
      await fund(l, alice, { amount: '5.00', currency: 'USD', idempotencyKey });
      await fund(l, bob, { amount: '7.00', currency: 'USD', idempotencyKey });
      expect((await l.tp.wallets.defaultAccount(bob)).balance).toBe('7.00');
      l.clock.advance(3599_000);
      await fund(l, alice, { amount: '5.00', currency: 'USD', idempotencyKey });
      expect((await l.tp.wallets.defaultAccount(alice)).balance).toBe('5.00');
      l.clock.advance(2_000);
      await fund(l, alice, { amount: '5.00', currency: 'USD', idempotencyKey });
      expect((await l.tp.wallets.defaultAccount(alice)).balance).toBe('10.00');
    });

    it('lets exactly one of 50 concurrent identical requests move money; all get the same answer', async () => {
      const l = await ledger(kind, { wallets: { demo: false } });
      const userId = await l.user();
      const input = { amount: '3.00', currency: 'USD', idempotencyKey: key() };
      const results = await Promise.all(Array.from({ length: 50 }, () => fund(l, userId, input)));
      for (const result of results) expect(result).toEqual(results[0]);
      expect((await l.tp.wallets.defaultAccount(userId)).balance).toBe('3.00');
      expect((await l.tp.wallets.transactions(userId)).transactions).toHaveLength(1);
      expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
    });
  });

  it('never overdraws: 200 concurrent withdrawals of 1.00 against 100.00 → 100 succeed, 100 insufficient_funds', async () => {
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    await fund(l, userId, { amount: '100.00', currency: 'USD', idempotencyKey: key() });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, () => debit(l, userId, { amount: '1.00', currency: 'USD', idempotencyKey: key() })),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(ok).toHaveLength(100);
    expect(refused.map((o) => (o.reason as TradeplaneError).code)).toEqual(Array(100).fill('insufficient_funds'));
    expect((await l.tp.wallets.defaultAccount(userId)).balance).toBe('0.00');
    await expectPostingChains(l);
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('completes concurrent A→B and B→A transfers without deadlock, conserving money', async () => {
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    const a = await l.tp.wallets.defaultAccount(userId);
    const b = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
    await fund(l, userId, { accountId: a.id, amount: '1000.00', currency: 'USD', idempotencyKey: key() });
    await fund(l, userId, { accountId: b.id, amount: '1000.00', currency: 'USD', idempotencyKey: key() });
    const transfers = Array.from({ length: 100 }, (_, i) =>
      l.tp.wallets.transfer(userId, {
        fromAccountId: i % 2 === 0 ? a.id : b.id,
        toAccountId: i % 2 === 0 ? b.id : a.id,
        amount: `${(i % 7) + 1}.00`,
        currency: 'USD',
        idempotencyKey: key(),
      }),
    );
    const outcomes = await Promise.allSettled(transfers);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const [finalA, finalB] = [await l.tp.wallets.getAccount(userId, a.id), await l.tp.wallets.getAccount(userId, b.id)];
    let expectedA = 100000n;
    for (let i = 0; i < 100; i++) expectedA += (i % 2 === 0 ? -1n : 1n) * BigInt(((i % 7) + 1) * 100);
    expect(finalA.balance).toBe(`${expectedA / 100n}.00`);
    expect(BigInt(finalA.balance.replace('.', '')) + BigInt(finalB.balance.replace('.', ''))).toBe(200000n);
    await expectPostingChains(l);
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('answers each of many users moving money at once as if alone: refusals, replays and conflicts among them', async () => {
    // Arriving together, these may be written together (on PostgreSQL several movements go as
    // one statement): each must still get its own answer, and every posting its own balance after.
    const l = await ledger(kind, { wallets: { demo: false } });
    const users = [];
    for (let i = 0; i < 12; i++) users.push(await l.user());
    const seeds = [];
    for (const userId of users) seeds.push(await fund(l, userId, { amount: '100.00', currency: 'USD', idempotencyKey: `seed-${userId}` }));
    const savings = await l.tp.wallets.openAccount(users[10]!, { currency: 'USD' });

    const outcomes = await Promise.allSettled([
      ...users.slice(0, 8).map((userId, i) => fund(l, userId, { amount: `${i + 1}.00`, currency: 'USD', idempotencyKey: key() })),
      debit(l, users[8]!, { amount: '500.00', currency: 'USD', idempotencyKey: key() }),
      debit(l, users[9]!, { amount: '40.00', currency: 'USD', idempotencyKey: key() }),
      l.tp.wallets.transfer(users[10]!, { toAccountId: savings.id, amount: '30.00', currency: 'USD', idempotencyKey: key() }),
      fund(l, users[11]!, { amount: '100.00', currency: 'USD', idempotencyKey: `seed-${users[11]}` }),
      fund(l, users[11]!, { amount: '1.00', currency: 'USD', idempotencyKey: `seed-${users[11]}` }),
    ]);
    const value = (i: number) => (outcomes[i] as PromiseFulfilledResult<Awaited<ReturnType<typeof l.tp.wallets.deposit>>>).value;
    const reason = (i: number) => ((outcomes[i] as PromiseRejectedResult).reason as TradeplaneError).code;
    for (let i = 0; i < 8; i++) expect(value(i).account.balance).toBe(`${100 + i + 1}.00`);
    expect(reason(8)).toBe('insufficient_funds');
    expect(value(9).account.balance).toBe('60.00');
    expect(value(10).account.balance).toBe('70.00');
    expect(value(11)).toEqual(seeds[11]);
    expect(reason(12)).toBe('idempotency_conflict');
    expect((await l.tp.wallets.defaultAccount(users[8]!)).balance).toBe('100.00');
    expect((await l.tp.wallets.getAccount(users[10]!, savings.id)).balance).toBe('30.00');
    expect((await l.tp.wallets.defaultAccount(users[11]!)).balance).toBe('100.00');

    await expectPostingChains(l);
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('never lets a movement overdraw on the strength of one refused beside it', async () => {
    // Arriving together, these may be checked together, in this order. The transfer B→A is
    // refused (B is empty), so A→C must be judged on A's 10.00 without it — or after D→A.
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    const other = await l.user();
    const a = await l.tp.wallets.defaultAccount(userId);
    const [b, c, d] = [
      await l.tp.wallets.openAccount(userId, { currency: 'USD' }),
      await l.tp.wallets.openAccount(userId, { currency: 'USD' }),
      await l.tp.wallets.openAccount(userId, { currency: 'USD' }),
    ];
    const move = (accountId: string, amount: string) => fund(l, userId, { accountId, amount, currency: 'USD', idempotencyKey: key() });
    // Every account used below has moved money before, so the requests need no reads of their own.
    await move(a.id, '10.00');
    await move(b.id, '1.00');
    await debit(l, userId, { accountId: b.id, amount: '1.00', currency: 'USD', idempotencyKey: key() });
    await move(c.id, '1.00');
    await move(d.id, '100.00');
    await fund(l, other, { amount: '1.00', currency: 'USD', idempotencyKey: key() });
    const transfer = (from: string, to: string, amount: string) => l.tp.wallets.transfer(userId, { fromAccountId: from, toAccountId: to, amount, currency: 'USD', idempotencyKey: key() });
    const outcomes = await Promise.allSettled([
      fund(l, other, { amount: '1.00', currency: 'USD', idempotencyKey: key() }),
      transfer(b.id, a.id, '100.00'),
      transfer(a.id, c.id, '80.00'),
      transfer(d.id, a.id, '100.00'),
    ]);
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'insufficient_funds' } });
    expect(outcomes[3]).toMatchObject({ status: 'fulfilled', value: { account: { id: d.id, balance: '0.00' } } });
    // A→C refused, or taken after D→A: either way from a balance that covered it.
    const aToC = outcomes[2]!;
    if (aToC.status === 'fulfilled') expect(aToC.value.transaction.balanceAfter).toBe('30.00');
    else expect(aToC.reason).toMatchObject({ code: 'insufficient_funds' });
    expect((await l.tp.wallets.getAccount(userId, a.id)).balance).toBe(aToC.status === 'fulfilled' ? '30.00' : '110.00');
    await expectPostingChains(l);
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('is atomic: a failure between postings leaves no partial entry and no balance change', async () => {
    let armed = false;
    // The failure is injected into the general path's transaction, so the one-statement path
    // (`postMovement`) is left out here; the test after next covers it.
    const failing = (storage: Storage): Storage => ({
      ...storage,
      postMovement: undefined,
      transaction: (fn) =>
        storage.transaction((repos) => {
          let applied = 0;
          const accounts = {
            ...repos.accounts,
            applyDelta: async (...args: Parameters<Repositories['accounts']['applyDelta']>) => {
              const result = await repos.accounts.applyDelta(...args);
              if (armed && ++applied === 1) throw new Error('injected failure after the first posting');
              return result;
            },
          };
          return fn({ ...repos, accounts });
        }),
    });
    const l = await ledger(kind, { wallets: { demo: false }, wrap: failing });
    const userId = await l.user();
    const other = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
    await fund(l, userId, { amount: '80.00', currency: 'USD', idempotencyKey: key() });
    const before = await l.db.snapshot();
    armed = true;
    const transfer = { toAccountId: other.id, amount: '30.00', currency: 'USD', idempotencyKey: key() };
    await expect(l.tp.wallets.transfer(userId, transfer)).rejects.toThrow('injected failure');
    await expect(fund(l, userId, { amount: '1.00', currency: 'USD', idempotencyKey: key() })).rejects.toThrow('injected failure');
    expect(await l.db.snapshot()).toEqual(before);
    // A server error is not stored against the key: the retry runs once the fault is gone.
    armed = false;
    const retried = await l.tp.wallets.transfer(userId, transfer);
    expect(retried.account.balance).toBe('50.00');
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('is atomic when the last writes fail: the entry append and the key insert, issued together, commit together', async () => {
    // The entry's append and the Idempotency-Key's insert are sent without waiting for each
    // other; a failure of either (here: the append, or the key store) must still leave nothing.
    let failing: 'journal' | 'key' | null = null;
    const wrap = (storage: Storage): Storage => ({
      ...storage,
      postMovement: undefined,
      transaction: (fn) =>
        storage.transaction((repos) =>
          fn({
            ...repos,
            journal: {
              ...repos.journal,
              insert: async (...args: Parameters<Repositories['journal']['insert']>) => {
                await repos.journal.insert(...args);
                if (failing === 'journal') throw new Error('injected append failure');
              },
            },
            idempotency: {
              ...repos.idempotency,
              insert: async (...args: Parameters<Repositories['idempotency']['insert']>) => {
                const stored = await repos.idempotency.insert(...args);
                if (failing === 'key') throw new Error('injected key failure');
                return stored;
              },
            },
          }),
        ),
    });
    const l = await ledger(kind, { wallets: { demo: false }, wrap });
    const userId = await l.user();
    const other = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
    await fund(l, userId, { amount: '80.00', currency: 'USD', idempotencyKey: key() });
    const before = await l.db.snapshot();
    const transfer = { toAccountId: other.id, amount: '30.00', currency: 'USD', idempotencyKey: key() };
    const deposit = { amount: '1.00', currency: 'USD', idempotencyKey: key() };
    for (const where of ['journal', 'key'] as const) {
      failing = where;
      await expect(l.tp.wallets.transfer(userId, transfer)).rejects.toThrow(`injected ${where === 'journal' ? 'append' : 'key'} failure`);
      await expect(debit(l, userId, deposit)).rejects.toThrow('injected');
      expect(await l.db.snapshot()).toEqual(before);
    }
    failing = null;
    expect((await l.tp.wallets.transfer(userId, transfer)).account.balance).toBe('50.00');
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('moves money on the account as it is now, when another instance changed the default', async () => {
    // Two service instances on one database, like two processes: what one remembers of an
    // account (movements posted by postMovement do) must not outlive a change made by the other.
    const l = await ledger(kind, { wallets: { demo: false } });
    const userId = await l.user();
    const first = await l.tp.wallets.defaultAccount(userId);
    const second = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
    await fund(l, userId, { amount: '5.00', currency: 'USD', idempotencyKey: key() });
    await l.tp.wallets.transfer(userId, { toAccountId: second.id, amount: '1.00', currency: 'USD', idempotencyKey: key() });
    await l.db.exec(`update accounts set is_default = ${kind === 'postgres' ? 'false' : '0'} where id = '${first.id}'`);
    await l.db.exec(`update accounts set is_default = ${kind === 'postgres' ? 'true' : '1'} where id = '${second.id}'`);
    const moved = await fund(l, userId, { amount: '2.00', currency: 'USD', idempotencyKey: key() });
    expect(moved.account).toMatchObject({ id: second.id, isDefault: true, balance: '3.00' });
    // The first account, no longer the default, is reported so.
    const back = await debit(l, userId, { accountId: first.id, amount: '1.00', currency: 'USD', idempotencyKey: key() });
    expect(back.account).toMatchObject({ id: first.id, isDefault: false, balance: '3.00' });
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  it('is atomic in one movement: a movement posted by postMovement that fails on its last insert leaves nothing', async () => {
    // A deposit, withdrawal or transfer is posted by postMovement (on PostgreSQL one statement).
    // A trigger makes its last insert (the notification) fail for one amount, after both balance
    // updates, the entry, its postings and the key were written.
    const posted: string[] = [];
    const watch = (storage: Storage): Storage => ({
      ...storage,
      postMovement: (movement) => {
        const result = storage.postMovement!(movement);
        result.then(
          (states) => posted.push(states ? 'committed' : 'refused'),
          () => posted.push('failed'),
        );
        return result;
      },
    });
    // A demo withdrawal: the movement that posts at once and tells the user.
    const l = await ledger(kind, { wallets: { demo: { balance: '81.00' } }, wrap: watch });
    const userId = await l.user();
    expect(posted).toEqual([]);
    if (kind === 'postgres') {
      await l.db.exec(`create function tp_test_fail() returns trigger language plpgsql as $$ begin if new.title like '%7.00 USD' then raise exception 'injected notification failure'; end if; return new; end $$`);
      await l.db.exec('create trigger tp_test_fail before insert on notifications for each row execute function tp_test_fail()');
    } else {
      await l.db.exec(`create trigger tp_test_fail before insert on notifications when new.title like '%7.00 USD' begin select raise(abort, 'injected notification failure'); end`);
    }
    const before = await l.db.snapshot();
    const withdrawal = { amount: '7.00', currency: 'USD', idempotencyKey: key() };
    await expect(l.tp.wallets.withdraw(userId, withdrawal)).rejects.toThrow('injected notification failure');
    expect(posted).toEqual(['failed']);
    expect(await l.db.snapshot()).toEqual(before);
    // Not stored against the key: once the fault is gone the same request runs, once.
    await l.db.exec(kind === 'postgres' ? 'drop trigger tp_test_fail on notifications' : 'drop trigger tp_test_fail');
    expect((await l.tp.wallets.withdraw(userId, withdrawal)).account.balance).toBe('74.00');
    expect(posted).toEqual(['failed', 'committed']);
    expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
  });

  describe('holds', () => {
    it('reserves funds, captures part of them and releases the rest', async () => {
      const l = await ledger(kind, { wallets: { demo: { balance: '100.00' } } });
      const userId = await l.user();
      const hold = await l.tp.wallets.hold(userId, { amount: '60.00', currency: 'USD', reference: 'order-1' });
      expect(await l.tp.wallets.defaultAccount(userId)).toMatchObject({ balance: '100.00', held: '60.00', available: '40.00' });
      expect((await rejection(l.tp.wallets.withdraw(userId, { amount: '40.01', currency: 'USD', idempotencyKey: key() }))).code).toBe('insufficient_funds');
      expect((await rejection(l.tp.wallets.hold(userId, { amount: '40.01', currency: 'USD' }))).code).toBe('insufficient_funds');
      const { hold: captured, movement } = await l.tp.wallets.captureHold(hold.id, { amount: '25.00' });
      expect(captured).toMatchObject({ status: 'captured', capturedAmount: '25.00' });
      expect(movement.transaction).toMatchObject({ kind: 'trade_settlement', amount: '-25.00', reference: 'order-1' });
      expect(await l.tp.wallets.defaultAccount(userId)).toMatchObject({ balance: '75.00', held: '0.00', available: '75.00' });
      expect((await rejection(l.tp.wallets.captureHold(hold.id))).code).toBe('hold_not_pending');
      const second = await l.tp.wallets.hold(userId, { amount: '75.00', currency: 'USD' });
      // Demo money captured into a real account would become real: refused, the hold still pending.
      const real = await l.tp.wallets.openAccount(userId, { currency: 'USD' });
      expect((await rejection(l.tp.wallets.captureHold(second.id, { to: { accountId: real.id } }))).code).toBe('transfer_not_allowed');
      expect(await l.tp.wallets.getAccount(userId, real.id)).toMatchObject({ balance: '0.00' });
      expect((await l.tp.wallets.releaseHold(second.id)).status).toBe('released');
      expect((await rejection(l.tp.wallets.releaseHold(second.id))).code).toBe('hold_not_pending');
      expect(await l.tp.wallets.defaultAccount(userId)).toMatchObject({ balance: '75.00', available: '75.00' });
      expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
    });

    it('lets holds expire: expired funds are freed and cannot be captured', async () => {
      const l = await ledger(kind, { wallets: { demo: { balance: '100.00' } } });
      const userId = await l.user();
      const expiresAt = new Date(l.clock.now().getTime() + 60_000);
      const hold = await l.tp.wallets.hold(userId, { amount: '90.00', currency: 'USD', expiresAt });
      l.clock.advance(60_000);
      // The withdrawal needs the expired hold's funds: they are freed on the way.
      await l.tp.wallets.withdraw(userId, { amount: '50.00', currency: 'USD', idempotencyKey: key() });
      expect(await l.tp.wallets.defaultAccount(userId)).toMatchObject({ balance: '50.00', held: '0.00' });
      expect((await rejection(l.tp.wallets.captureHold(hold.id))).code).toBe('hold_not_pending');
      const later = await l.tp.wallets.hold(userId, { amount: '10.00', currency: 'USD', expiresAt: new Date(l.clock.now().getTime() + 1000) });
      l.clock.advance(1000);
      expect(await l.tp.wallets.expireHolds()).toBe(1);
      expect((await rejection(l.tp.wallets.captureHold(later.id))).code).toBe('hold_not_pending');
      expect((await l.tp.wallets.defaultAccount(userId)).available).toBe('50.00');
      expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
    });
  });

  describe('rules', () => {
    it('keeps demo and real money apart, checks currencies, and hides other users’ accounts', async () => {
      const l = await ledger(kind);
      const alice = await l.user();
      const bob = await l.user();
      const demo = await l.tp.wallets.defaultAccount(alice);
      const real = await l.tp.wallets.openAccount(alice, { currency: 'USD' });
      const euros = await l.tp.wallets.openDemoAccount(alice, { currency: 'EUR' });
      const bobs = await l.tp.wallets.defaultAccount(bob);
      const transfer = (toAccountId: string, currency = 'USD') => rejection(l.tp.wallets.transfer(alice, { toAccountId, amount: '1.00', currency, idempotencyKey: key() }));
      expect((await transfer(real.id)).code).toBe('transfer_not_allowed');
      expect((await transfer(euros.id)).code).toBe('currency_mismatch');
      expect((await transfer(demo.id)).code).toBe('transfer_not_allowed');
      expect((await transfer(bobs.id)).code).toBe('not_found');
      expect((await transfer('sys_external_USD')).code).toBe('not_found');
      expect((await rejection(l.tp.wallets.getAccount(alice, bobs.id))).code).toBe('not_found');
      expect((await rejection(l.tp.wallets.deposit(alice, { accountId: euros.id, amount: '1.00', currency: 'USD', idempotencyKey: key() }))).code).toBe('currency_mismatch');
    });

    it('moves demo money only through demo system accounts: stakes, fees and corrections never touch one real money uses', async () => {
      let storage: Storage | undefined;
      const l = await ledger(kind, { wrap: (s) => (storage = s) });
      const alice = await l.user();
      const demo = await l.tp.wallets.defaultAccount(alice);
      const real = await l.tp.wallets.openAccount(alice, { currency: 'USD' });
      await l.tp.wallets.funding.confirmDeposit('bank', { sourceReference: 'demo-apart-1', accountId: real.id, amount: '100.00', currency: 'USD' });
      const systemBalances = async () => {
        const { accounts } = await l.db.snapshot();
        return Object.fromEntries(accounts!.filter((a) => a.kind === 'system').map((a) => [String(a.system_code), String(a.balance)]));
      };
      const before = await systemBalances();
      // A demo stake lost and a demo stake won, a demo fee, a demo correction.
      for (const pnl of [-500n, 300n]) {
        await storage!.transaction(async (tx) => {
          const account = (await tx.accounts.findById(demo.id))!;
          const hold = await l.tp.wallets.within.reserve(tx, account, 1000n, { reference: 'stake' });
          await l.tp.wallets.within.settle(tx, { holdId: hold.id, pnl, entryId: `settle-${key()}`, reference: 'trade' });
        });
      }
      await l.tp.wallets.chargeFee(alice, { amount: '1.00', currency: 'USD', idempotencyKey: key() });
      await l.tp.wallets.adjust(alice, demo.id, { direction: 'debit', amount: '2.00', currency: 'USD', reason: 'demo correction', idempotencyKey: key() });
      const after = await systemBalances();
      for (const code of ['settlement', 'fees', 'adjustments', 'external', 'commission']) expect(after[code], code).toBe(before[code]);
      expect(BigInt(after.demo_settlement!)).toBe(500n - 300n);
      expect(BigInt(after.demo_faucet!) - BigInt(before.demo_faucet!)).toBe(100n + 200n);
      // The same on a real account goes to the real system accounts.
      await l.tp.wallets.chargeFee(alice, { accountId: real.id, amount: '1.00', currency: 'USD', idempotencyKey: key() });
      expect((await systemBalances()).fees).toBe('100');
      expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
    });

    it('moves money to another user’s account when user transfers are on', async () => {
      const l = await ledger(kind, { wallets: { userTransfers: true } });
      const alice = await l.user();
      const bob = await l.user();
      const bobs = await l.tp.wallets.defaultAccount(bob);
      const sent = await l.tp.wallets.transfer(alice, { toAccountId: bobs.id, amount: '12.34', currency: 'USD', idempotencyKey: key() });
      expect(sent.account.balance).toBe('9987.66');
      expect((await l.tp.wallets.defaultAccount(bob)).balance).toBe('10012.34');
    });

    it('switches the default account atomically and limits how many accounts a user opens', async () => {
      const l = await ledger(kind, { wallets: { maxAccountsPerUser: 3 } });
      const userId = await l.user();
      const first = await l.tp.wallets.defaultAccount(userId);
      const second = await l.tp.wallets.openDemoAccount(userId);
      await l.tp.wallets.openAccount(userId, { currency: 'EUR' });
      expect((await rejection(l.tp.wallets.openAccount(userId, { currency: 'GBP' }))).code).toBe('account_limit_reached');
      await Promise.all([l.tp.wallets.setDefault(userId, second.id), l.tp.wallets.setDefault(userId, first.id), l.tp.wallets.setDefault(userId, second.id)]);
      // Whichever switch committed last wins; there is never more or less than one default.
      const defaults = (await l.tp.wallets.listAccounts(userId)).filter((a) => a.isDefault);
      expect(defaults).toHaveLength(1);
      expect([first.id, second.id]).toContain(defaults[0]!.id);
      await l.tp.wallets.setDefault(userId, second.id);
      expect((await l.tp.wallets.defaultAccount(userId)).id).toBe(second.id);
      expect((await rejection(l.tp.wallets.setDefault(userId, 'sys_external_USD'))).code).toBe('not_found');
    });

    it('corrects with audited adjustments and reversing entries, never by editing', async () => {
      const l = await ledger(kind, { wallets: { demo: false } });
      const admin = await l.user();
      const userId = await l.user();
      const account = await l.tp.wallets.defaultAccount(userId);
      const deposit = await fund(l, userId, { amount: '70.00', currency: 'USD', idempotencyKey: key() });
      await fund(l, userId, { amount: '30.00', currency: 'USD', idempotencyKey: key() });
      const adjusted = await l.tp.wallets.adjust(admin, account.id, { direction: 'debit', amount: '20.00', currency: 'USD', reason: 'chargeback', idempotencyKey: key() });
      expect(adjusted.transaction).toMatchObject({ kind: 'adjustment', amount: '-20.00', balanceAfter: '80.00', metadata: { reason: 'chargeback' } });
      const reversal = await l.tp.wallets.reverse(admin, deposit.transaction.entryId, { reason: 'duplicate payment', idempotencyKey: key() });
      expect(reversal.transactions.find((t) => t.accountId === account.id)).toMatchObject({ amount: '-70.00', balanceAfter: '10.00', reversesEntryId: deposit.transaction.entryId });
      // The original entry is untouched: history shows both.
      expect((await l.tp.wallets.transactions(userId)).transactions.map((t) => t.amount)).toEqual(['-70.00', '-20.00', '30.00', '70.00']);
      expect((await rejection(l.tp.wallets.reverse(admin, deposit.transaction.entryId, { reason: 'again', idempotencyKey: key() }))).code).toBe('already_reversed');
      expect((await rejection(l.tp.wallets.adjust(admin, account.id, { direction: 'debit', amount: '10.01', currency: 'USD', reason: 'too much', idempotencyKey: key() }))).code).toBe(
        'insufficient_funds',
      );
      const audit = await l.tp.admin.auditLogs({ limit: 10 });
      expect(audit.map((a) => a.action)).toEqual(['ledger.reversed', 'ledger.adjusted']);
      expect((await l.tp.wallets.verifyLedger()).ok).toBe(true);
    });
  });
});
