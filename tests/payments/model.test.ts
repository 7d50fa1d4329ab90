/**
 * Real money against a reference model: random sequences of deposit requests, provider
 * confirmations (redelivered, late, out of order), refunds, chargebacks and withdrawals (held,
 * cancelled, or approved and paid out) run against the real payments module and a few lines of
 * bookkeeping. After every step the
 * account's balance, held amount and what its holder owes must agree with the model, and the
 * ledger must verify.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { standardWebhooksProvider, TradeplaneError } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { openLedger, type Ledger } from '../support/ledger.js';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const signer = new Webhook(secret);

type Op =
  | { type: 'request'; amount: number }
  | { type: 'succeed' | 'redeliver'; deposit: number }
  | { type: 'refund'; deposit: number; percent: number }
  | { type: 'dispute'; deposit: number; outcome: 'open' | 'won' | 'lost' }
  | { type: 'withdraw'; amount: number }
  | { type: 'cancel' | 'payout'; withdrawal: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('request' as const), amount: fc.integer({ min: 1, max: 50_000 }) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constantFrom('succeed' as const, 'redeliver' as const), deposit: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('refund' as const), deposit: fc.nat(3), percent: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('dispute' as const), deposit: fc.nat(3), outcome: fc.constantFrom('open' as const, 'won' as const, 'lost' as const) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('withdraw' as const), amount: fc.integer({ min: 1, max: 60_000 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('cancel' as const, 'payout' as const), withdrawal: fc.nat(3) }) },
);

interface ModelDeposit {
  id: string;
  reference: string;
  amount: bigint;
  credited: boolean;
  refunded: bigint;
  /** The provider's dispute state and what its hold took. */
  dispute: { status: 'open' | 'won' | 'lost'; held: bigint } | null;
  lastEvent: { id: string; body: string } | null;
}

const usd = (minor: bigint) => `${minor < 0n ? '-' : ''}${(minor < 0n ? -minor : minor) / 100n}.${((minor < 0n ? -minor : minor) % 100n).toString().padStart(2, '0')}`;
const min = (a: bigint, b: bigint) => (a < b ? a : b);

describe.each(testDatabaseKinds())('payments against a model on %s', (kind) => {
  let l: Ledger;
  beforeAll(async () => {
    l = await openLedger(kind, { providers: [standardWebhooksProvider({ name: 'bank', secret, now: () => new Date() })] });
  });
  afterAll(() => l.close());

  const runs = kind === 'postgres' ? 20 : 60;
  let events = 0;
  let keys = 0;

  it('keeps balances, holds and what is owed equal to the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), async (steps) => {
        const tp = l.tp;
        const userId = await l.user();
        const operatorId = await l.user();
        const account = await tp.wallets.openAccount(userId, { currency: 'USD' });
        const deposits: ModelDeposit[] = [];
        const withdrawals: { id: string; amount: bigint; open: boolean }[] = [];
        let balance = 0n;
        let held = 0n;
        let owed = 0n;
        const available = () => balance - held;

        const deliver = async (payload: unknown, id = `evt_${process.pid}_${++events}`) => {
          const body = JSON.stringify(payload);
          const at = new Date();
          const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(id, at, body) };
          try {
            const result = await tp.payments.receiveWebhook('bank', { headers, rawBody: body });
            return { ok: true as const, duplicate: result.duplicate, id, body };
          } catch (error) {
            if (error instanceof TradeplaneError) return { ok: false as const, code: error.code, id, body };
            throw error;
          }
        };

        for (const step of steps) {
          switch (step.type) {
            case 'request': {
              const asked = await tp.payments.requestDeposit(userId, { accountId: account.id, amount: usd(BigInt(step.amount)), currency: 'USD', idempotencyKey: `model-${++keys}` });
              deposits.push({ id: asked.deposit.id, reference: asked.deposit.providerReference!, amount: BigInt(step.amount), credited: false, refunded: 0n, dispute: null, lastEvent: null });
              break;
            }
            case 'succeed': {
              const d = deposits[step.deposit];
              if (!d) break;
              const sent = await deliver({ type: 'deposit.succeeded', data: { reference: d.reference, amount: Number(d.amount), currency: 'USD' } });
              expect(sent.ok).toBe(true);
              d.lastEvent = { id: sent.id, body: sent.body };
              if (!d.credited) {
                d.credited = true;
                balance += d.amount;
              }
              break;
            }
            case 'redeliver': {
              // The provider repeats its last event about this payment: never acted on twice.
              const d = deposits[step.deposit];
              if (!d?.lastEvent) break;
              const again = await deliver(JSON.parse(d.lastEvent.body), d.lastEvent.id);
              expect(again).toMatchObject({ ok: true, duplicate: true });
              break;
            }
            case 'refund': {
              const d = deposits[step.deposit];
              if (!d) break;
              const total = (d.amount * BigInt(step.percent)) / 100n;
              const sent = await deliver({ type: 'deposit.refunded', data: { reference: d.reference, refunded_total: total === 0n ? 1 : Number(total), currency: 'USD' } });
              const reported = total === 0n ? 1n : total;
              if (!d.credited) {
                expect(sent).toMatchObject({ ok: false, code: 'conflict' });
                break;
              }
              expect(sent.ok).toBe(true);
              d.lastEvent = { id: sent.id, body: sent.body };
              if (reported > d.refunded) {
                const delta = reported - d.refunded;
                d.refunded = reported;
                const taken = min(delta, available() > 0n ? available() : 0n);
                balance -= taken;
                owed += delta - taken;
              }
              break;
            }
            case 'dispute': {
              const d = deposits[step.deposit];
              if (!d) break;
              const sent = await deliver({ type: 'deposit.disputed', data: { reference: d.reference, dispute_id: `dp_${d.id}`, status: step.outcome, amount: Number(d.amount), currency: 'USD' } });
              if (!d.credited) {
                expect(sent).toMatchObject({ ok: false, code: 'conflict' });
                break;
              }
              expect(sent.ok).toBe(true);
              d.lastEvent = { id: sent.id, body: sent.body };
              if (!d.dispute) {
                const hold = step.outcome === 'open' ? min(d.amount, available() > 0n ? available() : 0n) : 0n;
                held += hold;
                d.dispute = { status: 'open', held: hold };
              }
              if (step.outcome === 'open' || d.dispute.status !== 'open') break;
              d.dispute.status = step.outcome;
              held -= d.dispute.held;
              if (step.outcome === 'lost') {
                balance -= d.dispute.held;
                const rest = d.amount - d.dispute.held;
                const taken = min(rest, available() > 0n ? available() : 0n);
                balance -= taken;
                owed += rest - taken;
              }
              break;
            }
            case 'withdraw': {
              const amount = BigInt(step.amount);
              try {
                const result = await tp.wallets.withdraw(userId, { accountId: account.id, amount: usd(amount), currency: 'USD', idempotencyKey: `model-w-${++keys}` });
                expect(amount <= available()).toBe(true);
                held += amount;
                if ('withdrawal' in result && result.withdrawal) withdrawals.push({ id: result.withdrawal.id, amount, open: true });
              } catch (error) {
                expect(error).toBeInstanceOf(TradeplaneError);
                expect((error as TradeplaneError).code).toBe('insufficient_funds');
                expect(amount > available()).toBe(true);
              }
              break;
            }
            case 'payout': {
              // An operator approves (risk checks first) and pays it out by hand.
              const w = withdrawals[step.withdrawal];
              if (!w?.open) break;
              const disputed = deposits.some((d) => d.dispute?.status === 'open');
              try {
                await tp.wallets.funding.approveWithdrawal(operatorId, w.id);
                expect(disputed).toBe(false);
              } catch (error) {
                expect((error as TradeplaneError).code).toBe('dispute_open');
                expect(disputed).toBe(true);
                break;
              }
              await tp.wallets.funding.completeByOperator(operatorId, w.id, { reference: `wire-${w.id}` });
              w.open = false;
              held -= w.amount;
              balance -= w.amount;
              break;
            }
            case 'cancel': {
              const w = withdrawals[step.withdrawal];
              if (!w?.open) break;
              await tp.wallets.funding.cancelWithdrawal(userId, w.id);
              w.open = false;
              held -= w.amount;
              break;
            }
          }
          const actual = await tp.wallets.getAccount(userId, account.id);
          expect({ step: step.type, balance: actual.balance, held: actual.held }).toEqual({ step: step.type, balance: usd(balance), held: usd(held) });
          const receivables = await tp.payments.receivables({ userId, limit: 200 });
          const totalOwed = receivables.receivables.reduce((sum, r) => sum + BigInt(r.amount.replace('.', '')), 0n);
          expect({ step: step.type, owed: totalOwed }).toEqual({ step: step.type, owed });
          const report = await tp.wallets.verifyLedger();
          expect(report.ok).toBe(true);
        }
      }),
      { numRuns: runs },
    );
  }, 240_000);
});
