import { TradeplaneError } from '../errors.js';
import type { WalletContext } from './context.js';
import type { FundingService } from './funding.js';
import { systemFor, type Journal, type Line } from './journal.js';
import type { WalletService } from './service.js';

/** Operator corrections (adjustments and reversals, audited) and the ledger's self-check. */
export function createCorrections(
  ctx: WalletContext,
  journal: Pick<Journal, 'systemAccount' | 'post'>,
  funding: Pick<FundingService, 'needsSecondApproval'>,
): Pick<WalletService, 'adjust' | 'reverse' | 'verifyLedger'> {
  const { storage, deps, idempotency, currency, amountOf, accountAfter, sameCurrency } = ctx;
  const { audit } = deps;
  const { systemAccount, post } = journal;

  return {
    async adjust(actorId, accountId, input, context) {
      const amount = amountOf(input.amount, input.currency);
      const direction = input.direction === 'credit' ? 1n : -1n;
      return idempotency.run(
        { userId: actorId, key: input.idempotencyKey, operation: 'adjust', input: { accountId, direction: input.direction, amount: amount.toString(), currency: input.currency, reason: input.reason } },
        async (tx) => {
          const account = await tx.accounts.findById(accountId);
          if (!account || account.kind === 'system') throw new TradeplaneError('not_found', 'No such account');
          sameCurrency(account, input.currency);
          if (direction > 0n && account.kind === 'real' && funding.needsSecondApproval(amount, currency(account.currency))) {
            // A correction is no back door for real money that would need two operators as a credit.
            throw new TradeplaneError('second_approval_required', 'A credit this large to a real account needs a second operator: use POST /admin/accounts/{id}/credit');
          }
          const system = await systemAccount(tx, systemFor(account, 'adjustments'), account.currency);
          const result = await post(tx, { kind: 'adjustment', reference: null, metadata: { reason: input.reason }, actorId }, [
            { account, amount: direction * amount },
            { account: system, amount: -direction * amount },
          ]);
          await audit.recordIn(
            tx,
            { actorId, action: 'ledger.adjusted', targetType: 'account', targetId: account.id, details: { entryId: result.entryId, direction: input.direction, amount: input.amount, currency: input.currency, reason: input.reason } },
            context,
          );
          return { transaction: result.transactions[0]!, account: accountAfter(account, result.after.get(account.id)!) };
        },
      );
    },

    async reverse(actorId, entryId, input, context) {
      return idempotency.run({ userId: actorId, key: input.idempotencyKey, operation: 'reverse', input: { entryId, reason: input.reason } }, async (tx) => {
        const found = await tx.journal.findEntry(entryId);
        if (!found) throw new TradeplaneError('not_found', 'No such journal entry');
        if (await tx.journal.isReversed(entryId)) throw new TradeplaneError('already_reversed', 'This entry has already been reversed');
        const lines: Line[] = [];
        for (const posting of found.postings) {
          const account = (await tx.accounts.findById(posting.accountId))!;
          lines.push({ account, amount: -posting.amount });
        }
        const result = await post(tx, { kind: 'adjustment', reference: found.entry.reference, metadata: { reason: input.reason, reversedKind: found.entry.kind }, actorId, reversesEntryId: entryId }, lines);
        await audit.recordIn(tx, { actorId, action: 'ledger.reversed', targetType: 'journal_entry', targetId: entryId, details: { entryId: result.entryId, reason: input.reason } }, context);
        return { entryId: result.entryId, transactions: result.transactions };
      });
    },

    async verifyLedger() {
      const check = await storage.repos.journal.verify();
      const problems = {
        balanceMismatches: check.balanceMismatches.length,
        heldMismatches: check.heldMismatches.length,
        unbalancedEntries: check.unbalancedEntries.length,
        currencyImbalances: check.currencyImbalances.length,
        negativeAccounts: check.negativeAccounts.length,
      };
      const ok = Object.values(problems).every((n) => n === 0);
      if (!ok) deps.logger.error({ event: 'ledger.verify_failed', ...problems }, 'ledger verification found mismatches');
      return { ok, ...check };
    },
  };
}
