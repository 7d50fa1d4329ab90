import { TradeplaneError } from '../errors.js';
import { keysetPage } from '../pagination.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { AccountRecord, OperatorCreditRecord, OperatorCreditStatus, Repositories, Storage, WithdrawalStatus } from '../ports/storage.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import type { Currency } from '../money/currency.js';
import type { createIdempotency } from '../idempotency/idempotency.js';
import type { WalletOptions } from './options.js';
import type { PayoutProvider } from '../payments/provider.js';
import type { Account, LedgerSteps, MoneyInput, Movement } from './service.js';
import { createWithdrawals, OPERATOR_SOURCE, type Withdrawal, type WithdrawalInput, type WithdrawalRequested } from './withdrawals.js';

export { OPERATOR_SOURCE };
export type { Withdrawal, WithdrawalApproval, WithdrawalInput, WithdrawalRequested } from './withdrawals.js';

/**
 * Real money at the ledger's edge. tradeplane is the custodian of real accounts, so their money
 * enters only on a confirmation the ledger trusts — a funding source's verified event, or an
 * audited operator credit (above a set amount, approved by a second operator) — and leaves only
 * through an approved withdrawal that a payout provider or an operator pays (`withdrawals.ts`). A user can neither
 * credit a real account nor take money out of one on their word; demo money never crosses over.
 */

export interface OperatorCredit {
  id: string;
  userId: string;
  accountId: string;
  amount: string;
  currency: string;
  status: OperatorCreditStatus;
  reason: string;
  reference: string | null;
  requestedBy: string;
  /** The operator who approved or rejected it; the requester when no second approval was needed. */
  resolvedBy: string | null;
  note: string | null;
  entryId: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** A funding source's confirmation that money arrived for a real account. */
export interface DepositConfirmation {
  /** The source's own id for the payment: a second confirmation with it changes nothing. */
  sourceReference: string;
  accountId: string;
  amount: string;
  currency: string;
  reference?: string;
  metadata?: Record<string, unknown>;
}

/**
 * The port a funding source (a payment provider's verified webhook, a bank statement import)
 * drives once it has verified an event. Only trusted code holds it: no route reaches it.
 */
export interface FundingLedger {
  /** Credits a real account from the `external` system account; idempotent per (source, `sourceReference`). */
  confirmDeposit(source: string, confirmation: DepositConfirmation): Promise<Movement>;
  /** Pays an approved (or `paying`) withdrawal out: the held amount leaves for `external`; `withdrawal_not_approved` while pending. */
  completeWithdrawal(withdrawalId: string, by: { source: string; sourceReference?: string }): Promise<Withdrawal>;
  /** A payout that failed (approved or `paying`): the hold is released and the money stays. */
  failWithdrawal(withdrawalId: string, by: { source: string; reason: string }): Promise<Withdrawal>;
}

export interface FundingService extends FundingLedger {
  /**
   * A withdrawal from one of the user's real accounts to `destination`, paid by `payoutProvider`
   * (`manual` by default) once approved: the amount is held now. Idempotent per key.
   */
  requestWithdrawal(userId: string, input: WithdrawalInput): Promise<WithdrawalRequested>;
  /** A user's own withdrawals, newest first. */
  withdrawals(userId: string, filter?: { status?: WithdrawalStatus; cursor?: string; limit?: number }): Promise<{ withdrawals: Withdrawal[]; nextCursor: string | null }>;
  withdrawal(userId: string, id: string): Promise<Withdrawal>;
  /** The user takes back a withdrawal while it is pending (not yet approved). */
  cancelWithdrawal(userId: string, id: string): Promise<Withdrawal>;
  /** Every user's withdrawals (operators). */
  listWithdrawals(filter?: { status?: WithdrawalStatus; cursor?: string; limit?: number }): Promise<{ withdrawals: Withdrawal[]; nextCursor: string | null }>;
  /**
   * An operator's approval (audited). Never the account holder's; above
   * `wallets.withdrawals.secondApprovalAbove` two different operators must approve
   * (`second_approval_required` when the same one tries twice). The final approval runs the risk
   * checks (`dispute_open`, `funds_not_cleared`), then hands it to its payout provider.
   */
  approveWithdrawal(actorId: string, id: string, context?: RequestContext): Promise<Withdrawal>;
  /** An operator paid an approved (or `paying`) withdrawal out by hand (a bank transfer); audited. */
  completeByOperator(actorId: string, id: string, input: { reference?: string }, context?: RequestContext): Promise<Withdrawal>;
  /** An operator refuses a pending or approved withdrawal: the hold is released; audited. */
  rejectByOperator(actorId: string, id: string, input: { reason: string }, context?: RequestContext): Promise<Withdrawal>;
  /** An operator records that the payout of an approved (or `paying`) withdrawal failed: the hold is released; audited. */
  failByOperator(actorId: string, id: string, input: { reason: string }, context?: RequestContext): Promise<Withdrawal>;
  /** Calls the payout provider again for `paying` withdrawals whose last call went unanswered (the `retry_payouts` job). */
  retryPayouts(limit?: number): Promise<{ retried: number }>;
  /** Credits a real account; above the configured amount it waits for another operator's approval. Audited. */
  creditByOperator(
    actorId: string,
    accountId: string,
    input: { amount: string; currency: string; reason: string; reference?: string; idempotencyKey: string },
    context?: RequestContext,
  ): Promise<OperatorCredit>;
  approveCredit(actorId: string, id: string, context?: RequestContext): Promise<OperatorCredit>;
  rejectCredit(actorId: string, id: string, input: { reason: string }, context?: RequestContext): Promise<OperatorCredit>;
  listCredits(filter?: { status?: OperatorCreditStatus; cursor?: string; limit?: number }): Promise<{ credits: OperatorCredit[]; nextCursor: string | null }>;
  /** True when a credit of `amount` (minor units) to an account of this currency needs a second operator. */
  needsSecondApproval(amount: bigint, currency: Currency): boolean;
}

/** What the funding flows need from the wallet service that creates them. */
export interface FundingDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** Payout providers besides the built-in `manual` one. */
  payouts: readonly PayoutProvider[];
  audit: AuditLog;
  options: WalletOptions;
  idempotency: ReturnType<typeof createIdempotency>;
  within: LedgerSteps;
  currency(code: string): Currency;
  amountOf(text: string, code: string): bigint;
  toAccount(record: AccountRecord): Account;
  sameCurrency(account: AccountRecord, code: string): void;
  /** Refuses a demo account where only real money may go (`transfer_not_allowed`). */
  realOnly(account: AccountRecord): void;
  /** A real account credited from a source's confirmation, on the movement path deposits take. */
  creditFromSource(source: string, confirmation: DepositConfirmation): Promise<Movement>;
}

const iso = (d: Date) => d.toISOString();

export function createFunding(deps: FundingDeps) {
  const { storage, clock, ids, audit, options, within } = deps;

  const withdrawals = createWithdrawals(deps);

  const toCredit = (c: OperatorCreditRecord): OperatorCredit => ({
    id: c.id,
    userId: c.userId,
    accountId: c.accountId,
    amount: formatAmount(c.amount, deps.currency(c.currency)),
    currency: c.currency,
    status: c.status,
    reason: c.reason,
    reference: c.reference,
    requestedBy: c.requestedBy,
    resolvedBy: c.resolvedBy,
    note: c.note,
    entryId: c.entryId,
    createdAt: iso(c.createdAt),
    resolvedAt: c.resolvedAt ? iso(c.resolvedAt) : null,
  });

  function needsSecondApproval(amount: bigint, currency: Currency): boolean {
    const rule = options.operatorCredits;
    const limit = rule.secondApprovalAboveByCurrency[currency.code] ?? rule.secondApprovalAbove;
    if (limit === false) return false;
    const parsed = parseAmount(limit, currency);
    if (!parsed.ok) throw new TypeError(`wallets.operatorCredits approval limit "${limit}" is not valid for ${currency.code}: ${parsed.message}`);
    return amount > parsed.minor;
  }

  /** Posts an approved operator credit: `external` → the account, in the transaction that resolves it. */
  async function postCredit(tx: Repositories, credit: OperatorCreditRecord, approverId: string): Promise<string> {
    const account = await tx.accounts.findById(credit.accountId);
    if (!account || account.kind !== 'real') throw new TradeplaneError('not_found', 'No such real account');
    const entryId = ids.next();
    await within.fundFromOutside(tx, {
      account,
      amount: credit.amount,
      entryId,
      reference: credit.reference,
      metadata: { operator_credit_id: credit.id, reason: credit.reason, requested_by: credit.requestedBy, approved_by: approverId },
      actorId: approverId,
    });
    return entryId;
  }

  const pageOf = (filter: { cursor?: string; limit?: number }) => ({ cursor: filter.cursor, limit: filter.limit ?? 50 });

  const service: FundingService = {
    needsSecondApproval,
    async confirmDeposit(source, confirmation) {
      if (source === OPERATOR_SOURCE) throw new TypeError('Operator credits go through creditByOperator, which audits them');
      return deps.creditFromSource(source, confirmation);
    },
    completeWithdrawal: (id, by) => withdrawals.complete(null, id, { source: by.source, reference: by.sourceReference ?? null }),
    failWithdrawal: (id, by) => withdrawals.fail(null, id, by),

    requestWithdrawal: (userId, input) => withdrawals.request(userId, input, (tx) => deps.within.ownAccount(tx, userId, input.accountId)),
    withdrawals: (userId, filter = {}) => withdrawals.list({ ...filter, userId }),
    withdrawal: (userId, id) => withdrawals.get(userId, id),
    cancelWithdrawal: (userId, id) => withdrawals.cancel(userId, id),
    listWithdrawals: (filter = {}) => withdrawals.list(filter),
    approveWithdrawal: (actorId, id, context) => withdrawals.approve(actorId, id, context),
    completeByOperator: (actorId, id, input, context) => withdrawals.complete(actorId, id, { source: OPERATOR_SOURCE, reference: input.reference ?? null }, context),
    rejectByOperator: (actorId, id, input, context) => withdrawals.reject(actorId, id, input.reason, context),
    failByOperator: (actorId, id, input, context) => withdrawals.fail(actorId, id, { source: OPERATOR_SOURCE, reason: input.reason }, context),
    retryPayouts: (limit) => withdrawals.retryPayouts(limit),

    async creditByOperator(actorId, accountId, input, context) {
      const amount = deps.amountOf(input.amount, input.currency);
      const request = { userId: actorId, key: input.idempotencyKey, operation: 'operator_credit', input: { accountId, amount: amount.toString(), currency: input.currency, reason: input.reason, reference: input.reference ?? null } };
      return deps.idempotency.run(request, async (tx) => {
        const account = await tx.accounts.findById(accountId);
        if (!account || account.kind === 'system') throw new TradeplaneError('not_found', 'No such account');
        deps.realOnly(account);
        deps.sameCurrency(account, input.currency);
        const now = clock.now();
        const waits = needsSecondApproval(amount, deps.currency(account.currency));
        const record: OperatorCreditRecord = {
          id: ids.next(),
          userId: account.userId!,
          accountId,
          amount,
          currency: account.currency,
          status: waits ? 'pending_approval' : 'completed',
          reason: input.reason,
          reference: input.reference ?? null,
          requestedBy: actorId,
          resolvedBy: waits ? null : actorId,
          note: null,
          entryId: null,
          createdAt: now,
          resolvedAt: waits ? null : now,
        };
        if (!waits) record.entryId = await postCredit(tx, record, actorId);
        await tx.operatorCredits.insert(record);
        await audit.recordIn(
          tx,
          { actorId, action: waits ? 'credit.requested' : 'credit.posted', targetType: 'account', targetId: accountId, details: { creditId: record.id, amount: input.amount, currency: record.currency, reason: input.reason, reference: record.reference, entryId: record.entryId } },
          context,
        );
        return toCredit(record);
      });
    },

    async approveCredit(actorId, id, context) {
      const record = await storage.transaction(async (tx) => {
        const found = await tx.operatorCredits.findById(id);
        if (!found) throw new TradeplaneError('not_found', 'No such credit');
        if (found.status !== 'pending_approval') throw new TradeplaneError('credit_not_pending', `The credit is already ${found.status}`);
        if (found.requestedBy === actorId) throw new TradeplaneError('forbidden', 'A second operator must approve this credit, not the one who requested it');
        const entryId = await postCredit(tx, found, actorId);
        const resolved = await tx.operatorCredits.resolve(id, { status: 'completed', resolvedAt: clock.now(), resolvedBy: actorId, note: null, entryId });
        if (!resolved) throw new TradeplaneError('credit_not_pending', 'The credit was resolved meanwhile');
        await audit.recordIn(tx, { actorId, action: 'credit.approved', targetType: 'account', targetId: found.accountId, details: { creditId: id, amount: toCredit(found).amount, currency: found.currency, requestedBy: found.requestedBy, entryId } }, context);
        return resolved;
      });
      return toCredit(record);
    },

    async rejectCredit(actorId, id, input, context) {
      const record = await storage.transaction(async (tx) => {
        const found = await tx.operatorCredits.findById(id);
        if (!found) throw new TradeplaneError('not_found', 'No such credit');
        const resolved = await tx.operatorCredits.resolve(id, { status: 'rejected', resolvedAt: clock.now(), resolvedBy: actorId, note: input.reason, entryId: null });
        if (!resolved) throw new TradeplaneError('credit_not_pending', `The credit is already ${found.status}`);
        await audit.recordIn(tx, { actorId, action: 'credit.rejected', targetType: 'account', targetId: found.accountId, details: { creditId: id, reason: input.reason } }, context);
        return resolved;
      });
      return toCredit(record);
    },

    async listCredits(filter = {}) {
      const { cursor, limit } = pageOf(filter);
      const page = await keysetPage(limit, (n) => storage.repos.operatorCredits.list({ status: filter.status, cursor, limit: n }), toCredit);
      return { credits: page.items, nextCursor: page.nextCursor };
    },
  };

  /** A user's withdrawal from a real account through `withdraw`: paid out by hand once approved. */
  const request = (userId: string, input: MoneyInput, account: (tx: Repositories) => Promise<AccountRecord>): Promise<WithdrawalRequested> => withdrawals.request(userId, input, account);

  return { service, request };
}
