/**
 * Conservation against a reference model: random sequences of deposits, withdrawals, transfers,
 * fees, holds, captures, releases, expiries and reversals run against the real ledger and a
 * few lines of in-memory bookkeeping; after every step each result and balance must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatAmount, TradeplaneError, type Currency } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { openLedger, type Ledger } from '../support/ledger.js';

const CURRENCIES: Record<string, Currency> = { USD: { code: 'USD', exponent: 2 }, JPY: { code: 'JPY', exponent: 0 }, BTC: { code: 'BTC', exponent: 8 } };

type Op =
  | { type: 'deposit' | 'withdraw' | 'fee'; account: number; amount: number }
  | { type: 'transfer'; from: number; to: number; amount: number }
  | { type: 'hold'; account: number; amount: number; ttl: number | null }
  | { type: 'capture'; hold: number; fraction: number }
  | { type: 'release'; hold: number }
  | { type: 'reverse'; entry: number }
  | { type: 'retry' }
  | { type: 'advance'; seconds: number }
  | { type: 'expire' };

/** Four accounts per user: demo USD (default), real USD, real USD, real JPY; two users; plus a real BTC account for user 0. */
const ACCOUNTS = 9;
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constantFrom('deposit' as const, 'withdraw' as const, 'fee' as const), account: fc.nat(ACCOUNTS - 1), amount: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({ type: fc.constant('transfer' as const), from: fc.nat(ACCOUNTS - 1), to: fc.nat(ACCOUNTS - 1), amount: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({ type: fc.constant('hold' as const), account: fc.nat(ACCOUNTS - 1), amount: fc.integer({ min: 1, max: 3000 }), ttl: fc.option(fc.integer({ min: 1, max: 120 })) }),
  fc.record({ type: fc.constant('capture' as const), hold: fc.nat(30), fraction: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ type: fc.constant('release' as const), hold: fc.nat(30) }),
  fc.record({ type: fc.constant('reverse' as const), entry: fc.nat(40) }),
  fc.constant({ type: 'retry' as const }),
  fc.record({ type: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 90 }) }),
  fc.constant({ type: 'expire' as const }),
);

interface ModelAccount {
  id: string;
  owner: string;
  currency: string;
  kind: 'demo' | 'real';
  balance: bigint;
  held: bigint;
}
interface ModelHold {
  id: string;
  account: ModelAccount;
  amount: bigint;
  expiresAt: number | null;
  status: 'pending' | 'captured' | 'released' | 'expired';
}

class InsufficientFunds extends Error {}

describe.each(testDatabaseKinds())('ledger against a reference model on %s', (kind) => {
  let l: Ledger;
  let admin: string;
  beforeAll(async () => {
    l = await openLedger(kind, { wallets: { demo: { balance: '50.00', maxBalance: '1000000000.00', topUpsPerDay: 10_000 }, userTransfers: true, currencies: [{ code: 'BTC', exponent: 8 }] } });
    admin = await l.user();
  });
  afterAll(() => l.close());

  const runs = kind === 'sqlite-memory' ? 40 : 12;

  it('agrees with the model after every step, and the ledger verifies', async () => {
    let key = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 45 }), async (ops) => {
        const w = l.tp.wallets;
        // Fresh users per run: the model covers their accounts; system accounts are checked by verifyLedger.
        const owners = [await l.user(), await l.user()];
        const accounts: ModelAccount[] = [];
        for (const owner of owners) {
          const demo = await w.defaultAccount(owner);
          accounts.push({ id: demo.id, owner, currency: 'USD', kind: 'demo', balance: 5000n, held: 0n });
          for (const currency of ['USD', 'USD', 'JPY']) {
            const opened = await w.openAccount(owner, { currency });
            accounts.push({ id: opened.id, owner, currency, kind: 'real', balance: 0n, held: 0n });
          }
        }
        const btc = await w.openAccount(owners[0]!, { currency: 'BTC' });
        accounts.push({ id: btc.id, owner: owners[0]!, currency: 'BTC', kind: 'real', balance: 0n, held: 0n });
        const holds: ModelHold[] = [];
        const entries: { id: string; lines: { account: ModelAccount; amount: bigint }[]; reversed: boolean }[] = [];
        let last: { call: () => Promise<unknown>; outcome: unknown } | undefined;

        const text = (minor: bigint, a: ModelAccount) => formatAmount(minor, CURRENCIES[a.currency]!);
        const now = () => l.clock.now().getTime();
        /** The service frees an account's expired holds only when a debit would otherwise fail, and only if that then succeeds. */
        function debit(changes: { account: ModelAccount; amount: bigint; heldDelta?: bigint }[]) {
          const staged = new Map(accounts.map((a) => [a, { balance: a.balance, held: a.held }]));
          const swept: ModelHold[] = [];
          for (const { account, amount, heldDelta = 0n } of changes) {
            const s = staged.get(account)!;
            const ok = () => s.balance + amount >= s.held + heldDelta && s.held + heldDelta >= 0n;
            if (!ok() && amount - heldDelta < 0n) {
              for (const h of holds) {
                if (h.account === account && h.status === 'pending' && h.expiresAt !== null && h.expiresAt <= now()) {
                  s.held -= h.amount;
                  swept.push(h);
                }
              }
            }
            if (!ok()) throw new InsufficientFunds();
            s.balance += amount;
            s.held += heldDelta;
          }
          for (const [a, s] of staged) Object.assign(a, s);
          for (const h of swept) h.status = 'expired';
        }
        async function outcome<T>(call: () => Promise<T>): Promise<T | { error: string }> {
          try {
            return await call();
          } catch (error) {
            if (error instanceof TradeplaneError) return { error: error.code };
            throw error;
          }
        }
        const money = async (call: () => Promise<unknown>, model: () => { account: ModelAccount; amount: bigint }[]) => {
          const result = await outcome(call);
          last = { call, outcome: result };
          let expected: { account: ModelAccount; amount: bigint }[] | 'insufficient_funds';
          try {
            expected = model();
            debit(expected);
          } catch (e) {
            if (!(e instanceof InsufficientFunds)) throw e;
            expected = 'insufficient_funds';
          }
          if (expected === 'insufficient_funds') {
            expect(result).toEqual({ error: 'insufficient_funds' });
          } else {
            expect(result).not.toHaveProperty('error');
            entries.push({ id: (result as { transaction: { entryId: string } }).transaction.entryId, lines: expected, reversed: false });
          }
        };

        for (const step of ops) {
          switch (step.type) {
            case 'deposit':
            case 'withdraw':
            case 'fee': {
              const a = accounts[step.account]!;
              const amount = BigInt(step.amount);
              const input = { accountId: a.id, amount: text(amount, a), currency: a.currency, idempotencyKey: `m${++key}` };
              const sign = step.type === 'deposit' ? 1n : -1n;
              await money(
                // Real money enters on a funding source's confirmation; a real withdrawal waits for an
                // operator (its own test), so the model takes real money out at once as a fee.
                () =>
                  step.type === 'deposit'
                    ? a.kind === 'real'
                      ? w.funding.confirmDeposit('bank', { sourceReference: input.idempotencyKey, accountId: a.id, amount: input.amount, currency: input.currency })
                      : w.deposit(a.owner, input)
                    : step.type === 'withdraw' && a.kind === 'demo'
                      ? w.withdraw(a.owner, input)
                      : w.chargeFee(a.owner, input),
                () => [{ account: a, amount: sign * amount }],
              );
              break;
            }
            case 'transfer': {
              const from = accounts[step.from]!;
              const to = accounts[step.to]!;
              if (from === to || from.currency !== to.currency || from.kind !== to.kind) break;
              const amount = BigInt(step.amount);
              const input = { fromAccountId: from.id, toAccountId: to.id, amount: text(amount, from), currency: from.currency, idempotencyKey: `m${++key}` };
              await money(() => w.transfer(from.owner, input), () => [{ account: from, amount: -amount }, { account: to, amount }]);
              break;
            }
            case 'hold': {
              const a = accounts[step.account]!;
              const amount = BigInt(step.amount);
              const expiresAt = step.ttl === null ? null : now() + step.ttl * 1000;
              const result = await outcome(() => w.hold(a.owner, { accountId: a.id, amount: text(amount, a), currency: a.currency, expiresAt: expiresAt === null ? undefined : new Date(expiresAt) }));
              try {
                debit([{ account: a, amount: 0n, heldDelta: amount }]);
                expect(result).toMatchObject({ status: 'pending', amount: text(amount, a) });
                holds.push({ id: (result as { id: string }).id, account: a, amount, expiresAt, status: 'pending' });
              } catch (e) {
                if (!(e instanceof InsufficientFunds)) throw e;
                expect(result).toEqual({ error: 'insufficient_funds' });
              }
              break;
            }
            case 'capture': {
              const h = holds[step.hold % Math.max(holds.length, 1)];
              if (!h) break;
              const captured = (h.amount * BigInt(step.fraction)) / 4n;
              const result = await outcome(() => w.captureHold(h.id, { amount: captured === 0n ? undefined : text(captured, h.account) }));
              const take = captured === 0n ? h.amount : captured;
              if (h.status !== 'pending') {
                expect(result).toEqual({ error: 'hold_not_pending' });
              } else if (h.expiresAt !== null && h.expiresAt <= now()) {
                // Too late: the service expires the account's due holds and refuses.
                for (const other of holds) {
                  if (other.account === h.account && other.status === 'pending' && other.expiresAt !== null && other.expiresAt <= now()) {
                    other.status = 'expired';
                    other.account.held -= other.amount;
                  }
                }
                expect(result).toEqual({ error: 'hold_not_pending' });
              } else {
                h.status = 'captured';
                h.account.balance -= take;
                h.account.held -= h.amount;
                const movement = (result as { movement: { transaction: { entryId: string; amount: string } } }).movement;
                expect(movement.transaction.amount).toBe(text(-take, h.account));
                entries.push({ id: movement.transaction.entryId, lines: [{ account: h.account, amount: -take }], reversed: false });
              }
              break;
            }
            case 'release': {
              const h = holds[step.hold % Math.max(holds.length, 1)];
              if (!h) break;
              const result = await outcome(() => w.releaseHold(h.id));
              if (h.status === 'pending') {
                h.status = 'released';
                h.account.held -= h.amount;
                expect(result).toMatchObject({ status: 'released' });
              } else {
                expect(result).toEqual({ error: 'hold_not_pending' });
              }
              break;
            }
            case 'reverse': {
              const entry = entries[step.entry % Math.max(entries.length, 1)];
              if (!entry) break;
              const result = await outcome(() => w.reverse(admin, entry.id, { reason: 'model check', idempotencyKey: `m${++key}` }));
              if (entry.reversed) {
                expect(result).toEqual({ error: 'already_reversed' });
                break;
              }
              const lines = entry.lines.map((line) => ({ account: line.account, amount: -line.amount }));
              // Lines apply in account id order, as the service does.
              try {
                debit([...lines].sort((x, y) => (x.account.id < y.account.id ? -1 : 1)));
                entry.reversed = true;
                entries.push({ id: (result as { entryId: string }).entryId, lines, reversed: false });
              } catch (e) {
                if (!(e instanceof InsufficientFunds)) throw e;
                expect(result).toEqual({ error: 'insufficient_funds' });
              }
              break;
            }
            case 'retry': {
              // The same key and request again: the stored outcome, and nothing moves.
              if (!last) break;
              expect(await outcome(last.call)).toEqual(last.outcome);
              break;
            }
            case 'advance':
              l.clock.advance(step.seconds * 1000);
              break;
            case 'expire':
              await w.expireHolds();
              for (const h of holds) {
                if (h.status === 'pending' && h.expiresAt !== null && h.expiresAt <= now()) {
                  h.status = 'expired';
                  h.account.held -= h.amount;
                }
              }
              break;
          }
          for (const a of accounts) {
            const actual = await w.getAccount(a.owner, a.id);
            expect({ step: step.type, balance: actual.balance, held: actual.held }).toEqual({ step: step.type, balance: text(a.balance, a), held: text(a.held, a) });
          }
        }
        const report = await w.verifyLedger();
        expect(report).toMatchObject({ ok: true, currencyImbalances: [], balanceMismatches: [], heldMismatches: [], negativeAccounts: [], unbalancedEntries: [] });
      }),
      { numRuns: runs },
    );
  }, 240_000);
});
