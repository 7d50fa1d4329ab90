import { TradeplaneError } from '../errors.js';
import type { AccountRecord } from '../ports/index.js';
import { formatAmount } from '../money/amount.js';
import type { WalletContext } from './context.js';
import { systemFor, type Journal, type Line } from './journal.js';
import type { LedgerSteps, WalletService } from './service.js';

/** Holds: funds reserved on an account, then captured, released or left to expire. */
export function createHolds(
  ctx: WalletContext,
  journal: Pick<Journal, 'systemAccount' | 'sweepExpired' | 'post'>,
  within: Pick<LedgerSteps, 'reserve' | 'release'>,
): Pick<WalletService, 'hold' | 'captureHold' | 'releaseHold' | 'expireHolds'> {
  const { storage, clock, ids, currency, amountOf, toHold, accountAfter, ownAccount, sameCurrency } = ctx;
  const { systemAccount, sweepExpired, post } = journal;

  return {
    async hold(userId, input) {
      const amount = amountOf(input.amount, input.currency);
      const { hold, code } = await storage.transaction(async (tx) => {
        const account = await ownAccount(tx, userId, input.accountId);
        sameCurrency(account, input.currency);
        return { hold: await within.reserve(tx, account, amount, { reference: input.reference ?? null, expiresAt: input.expiresAt ?? null }), code: account.currency };
      });
      return toHold(hold, code);
    },

    async captureHold(holdId, input = {}) {
      const outcome = await storage.transaction(async (tx) => {
        const hold = await tx.holds.findById(holdId);
        if (!hold) throw new TradeplaneError('not_found', 'No such hold');
        const account = (await tx.accounts.findById(hold.accountId))!;
        const now = clock.now();
        if (hold.status === 'pending' && hold.expiresAt && hold.expiresAt <= now) {
          // Too late to capture: expire it now (committed), then refuse.
          await sweepExpired(tx, account.id, now);
          return { expired: true as const };
        }
        const captured = input.amount === undefined ? hold.amount : amountOf(input.amount, account.currency);
        if (captured > hold.amount) {
          throw new TradeplaneError('validation_failed', 'A capture cannot exceed the held amount', {
            fields: [{ in: 'body', path: 'amount', code: 'too_large', message: `must be at most ${formatAmount(hold.amount, currency(account.currency))}` }],
          });
        }
        let destination: AccountRecord;
        if (input.to && 'accountId' in input.to) {
          const found = await tx.accounts.findById(input.to.accountId);
          if (!found) throw new TradeplaneError('not_found', 'No such destination account');
          if (found.currency !== account.currency) throw new TradeplaneError('currency_mismatch', `The destination holds ${found.currency}, not ${account.currency}`);
          if (found.kind !== account.kind) throw new TradeplaneError('transfer_not_allowed', 'Money cannot move between demo and real accounts');
          destination = found;
        } else {
          destination = await systemAccount(tx, systemFor(account, input.to?.system ?? 'settlement'), account.currency);
        }
        const entryId = ids.next();
        const resolved = await tx.holds.resolve(hold.id, { status: 'captured', at: now, capturedAmount: captured, entryId });
        if (!resolved) throw new TradeplaneError('hold_not_pending', `The hold is already ${hold.status}`);
        const lines: Line[] = [
          { account, amount: -captured, heldDelta: -hold.amount },
          { account: destination, amount: captured },
        ];
        const result = await post(tx, { id: entryId, kind: input.kind ?? 'trade_settlement', reference: input.reference ?? hold.reference, metadata: input.metadata, actorId: account.userId }, lines);
        return {
          expired: false as const,
          hold: toHold(resolved, account.currency),
          movement: { transaction: result.transactions[0]!, account: accountAfter(account, result.after.get(account.id)!) },
        };
      });
      if (outcome.expired) throw new TradeplaneError('hold_not_pending', 'The hold has expired');
      return { hold: outcome.hold, movement: outcome.movement };
    },

    async releaseHold(holdId) {
      return storage.transaction(async (tx) => {
        const hold = await tx.holds.findById(holdId);
        if (!hold) throw new TradeplaneError('not_found', 'No such hold');
        const resolved = await within.release(tx, hold.id, `The hold is already ${hold.status}`);
        const account = (await tx.accounts.findById(hold.accountId))!;
        return toHold(resolved, account.currency);
      });
    },

    async expireHolds(limit = 500) {
      const now = clock.now();
      const due = await storage.repos.holds.listExpired(now, undefined, limit);
      let expired = 0;
      for (const accountId of new Set(due.map((h) => h.accountId))) {
        expired += (await storage.transaction((tx) => sweepExpired(tx, accountId, now))).expired;
      }
      return expired;
    },
  };
}
