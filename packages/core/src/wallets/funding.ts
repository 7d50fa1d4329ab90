import { TradeplaneError } from '../errors.js';
import { keysetPage } from '../pagination.js';
import type { Clock, Ids } from '../ports/index.js';
import type {
  AccountRecord,
  OperatorCreditRecord,
  OperatorCreditStatus,
  Repositories,
  Storage,
  WithdrawalRecord,
  WithdrawalStatus,
} from '../ports/storage.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import type { Currency } from '../money/currency.js';
import type { createIdempotency } from '../idempotency/idempotency.js';
import type { WalletOptions } from './options.js';
import type { Account, LedgerSteps, MoneyInput, Movement } from './service.js';

/**
 * Real money at the ledger's edge. tradeplane is the custodian of real accounts, so their money
 * enters only on a confirmation the ledger trusts — a funding source's verified event, or an
 * audited operator credit (above a set amount, approved by a second operator) — and leaves only
 * through a withdrawal that an operator or a funding source completes. A user can neither
 * credit a real account nor take money out of one on their word; demo money never crosses over.
 */

/** The source id operator credits and operator-completed withdrawals are recorded under. */
export const OPERATOR_SOURCE = 'operator';

export interface Withdrawal {
  id: string;
  userId: string;
  accountId: string;
  amount: string;
  currency: string;
  status: WithdrawalStatus;
  reference: string | null;
  /** Who paid it out: `operator` or a funding source's id, with that source's reference. */
  source: string | null;
  sourceReference: string | null;
  resolvedBy: string | null;
  /** Why it was rejected, failed or cancelled. */
  note: string | null;
  /** The journal entry that took the money out, once completed. */
  entryId: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

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

/** What `withdraw` answers for a real account: the request, pending, and the account with the amount held. */
export interface WithdrawalRequested {
  withdrawal: Withdrawal;
  account: Account;
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
  /** Pays a pending withdrawal out: the held amount leaves for `external`. */
  completeWithdrawal(withdrawalId: string, by: { source: string; sourceReference?: string }): Promise<Withdrawal>;
  /** A payout that failed: the hold is released and the money stays. */
  failWithdrawal(withdrawalId: string, by: { source: string; reason: string }): Promise<Withdrawal>;
}

export interface FundingService extends FundingLedger {
  /** A user's own withdrawals, newest first. */
  withdrawals(userId: string, filter?: { status?: WithdrawalStatus; cursor?: string; limit?: number }): Promise<{ withdrawals: Withdrawal[]; nextCursor: string | null }>;
  withdrawal(userId: string, id: string): Promise<Withdrawal>;
  /** The user takes back a withdrawal nobody has paid out yet. */
  cancelWithdrawal(userId: string, id: string): Promise<Withdrawal>;
  /** Every user's withdrawals (operators). */
  listWithdrawals(filter?: { status?: WithdrawalStatus; cursor?: string; limit?: number }): Promise<{ withdrawals: Withdrawal[]; nextCursor: string | null }>;
  /** An operator paid it out by hand (a bank transfer); audited. */
  completeByOperator(actorId: string, id: string, input: { reference?: string }, context?: RequestContext): Promise<Withdrawal>;
  rejectByOperator(actorId: string, id: string, input: { reason: string }, context?: RequestContext): Promise<Withdrawal>;
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

  const toWithdrawal = (w: WithdrawalRecord): Withdrawal => ({
    id: w.id,
    userId: w.userId,
    accountId: w.accountId,
    amount: formatAmount(w.amount, deps.currency(w.currency)),
    currency: w.currency,
    status: w.status,
    reference: w.reference,
    source: w.source,
    sourceReference: w.sourceReference,
    resolvedBy: w.resolvedBy,
    note: w.note,
    entryId: w.entryId,
    createdAt: iso(w.createdAt),
    resolvedAt: w.resolvedAt ? iso(w.resolvedAt) : null,
  });

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

  /** A pending withdrawal by id, for an operator or a source; `withdrawal_not_pending` once resolved. */
  async function pendingWithdrawal(tx: Repositories, id: string, ownerId?: string): Promise<WithdrawalRecord> {
    const found = await tx.withdrawals.findById(id);
    if (!found || (ownerId !== undefined && found.userId !== ownerId)) throw new TradeplaneError('not_found', 'No such withdrawal');
    if (found.status !== 'pending') throw new TradeplaneError('withdrawal_not_pending', `The withdrawal is already ${found.status}`);
    return found;
  }

  /** Pays a withdrawal out in one transaction: its hold is captured into `external` and the row completed. */
  async function complete(id: string, by: { actorId: string | null; source: string; sourceReference: string | null }, context?: RequestContext): Promise<Withdrawal> {
    const record = await storage.transaction(async (tx) => {
      const pending = await pendingWithdrawal(tx, id);
      const entryId = ids.next();
      const resolved = await tx.withdrawals.resolve(id, { status: 'completed', resolvedAt: clock.now(), resolvedBy: by.actorId, note: null, entryId, source: by.source, sourceReference: by.sourceReference });
      if (!resolved) throw new TradeplaneError('withdrawal_not_pending', 'The withdrawal was resolved meanwhile');
      await within.payOut(tx, { holdId: pending.holdId, entryId, reference: pending.reference, metadata: { withdrawal_id: id, source: by.source, source_reference: by.sourceReference }, actorId: by.actorId });
      if (by.actorId) {
        await audit.recordIn(tx, { actorId: by.actorId, action: 'withdrawal.completed', targetType: 'withdrawal', targetId: id, details: { accountId: pending.accountId, amount: toWithdrawal(pending).amount, currency: pending.currency, entryId, reference: by.sourceReference } }, context);
      }
      return resolved;
    });
    return toWithdrawal(record);
  }

  /** Ends a pending withdrawal without paying it: its hold is released, the money stays. */
  async function release(
    id: string,
    change: { status: 'rejected' | 'failed' | 'cancelled'; actorId: string | null; note: string | null; source?: string; ownerId?: string; audit?: { action: string; context?: RequestContext } },
  ): Promise<Withdrawal> {
    const record = await storage.transaction(async (tx) => {
      const found = await pendingWithdrawal(tx, id, change.ownerId);
      const resolved = await tx.withdrawals.resolve(id, { status: change.status, resolvedAt: clock.now(), resolvedBy: change.actorId, note: change.note, entryId: null, source: change.source ?? null, sourceReference: null });
      if (!resolved) throw new TradeplaneError('withdrawal_not_pending', 'The withdrawal was resolved meanwhile');
      await within.release(tx, found.holdId, 'The withdrawal no longer holds its amount');
      if (change.audit && change.actorId) {
        await audit.recordIn(tx, { actorId: change.actorId, action: change.audit.action, targetType: 'withdrawal', targetId: id, details: { accountId: found.accountId, amount: toWithdrawal(found).amount, currency: found.currency, note: change.note } }, change.audit.context);
      }
      return resolved;
    });
    return toWithdrawal(record);
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
    completeWithdrawal: (id, by) => complete(id, { actorId: null, source: by.source, sourceReference: by.sourceReference ?? null }),
    failWithdrawal: (id, by) => release(id, { status: 'failed', actorId: null, note: by.reason, source: by.source }),

    async withdrawals(userId, filter = {}) {
      const { cursor, limit } = pageOf(filter);
      const page = await keysetPage(limit, (n) => storage.repos.withdrawals.list({ userId, status: filter.status, cursor, limit: n }), toWithdrawal);
      return { withdrawals: page.items, nextCursor: page.nextCursor };
    },
    async withdrawal(userId, id) {
      const found = await storage.repos.withdrawals.findById(id);
      if (!found || found.userId !== userId) throw new TradeplaneError('not_found', 'No such withdrawal');
      return toWithdrawal(found);
    },
    cancelWithdrawal: (userId, id) => release(id, { status: 'cancelled', actorId: null, note: 'Cancelled by the account holder', ownerId: userId }),
    async listWithdrawals(filter = {}) {
      const { cursor, limit } = pageOf(filter);
      const page = await keysetPage(limit, (n) => storage.repos.withdrawals.list({ status: filter.status, cursor, limit: n }), toWithdrawal);
      return { withdrawals: page.items, nextCursor: page.nextCursor };
    },
    completeByOperator: (actorId, id, input, context) => complete(id, { actorId, source: OPERATOR_SOURCE, sourceReference: input.reference ?? null }, context),
    rejectByOperator: (actorId, id, input, context) => release(id, { status: 'rejected', actorId, note: input.reason, source: OPERATOR_SOURCE, audit: { action: 'withdrawal.rejected', context } }),

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

  /** A user's withdrawal from a real account: the amount is held now, paid out when an operator or source completes it. */
  async function request(userId: string, input: MoneyInput, account: (tx: Repositories) => Promise<AccountRecord>): Promise<WithdrawalRequested> {
    const amount = deps.amountOf(input.amount, input.currency);
    const idempotent = {
      userId,
      key: input.idempotencyKey,
      operation: 'withdraw',
      input: { accountId: input.accountId ?? null, amount: amount.toString(), currency: input.currency, reference: input.reference ?? null, metadata: input.metadata ?? null },
    };
    return deps.idempotency.run(idempotent, async (tx) => {
      const from = await account(tx);
      deps.sameCurrency(from, input.currency);
      const hold = await within.reserve(tx, from, amount, { reference: input.reference ?? null });
      const record: WithdrawalRecord = {
        id: ids.next(),
        userId,
        accountId: from.id,
        holdId: hold.id,
        amount,
        currency: from.currency,
        status: 'pending',
        reference: input.reference ?? null,
        source: null,
        sourceReference: null,
        resolvedBy: null,
        note: null,
        entryId: null,
        createdAt: clock.now(),
        resolvedAt: null,
      };
      await tx.withdrawals.insert(record);
      const after = (await tx.accounts.findById(from.id))!;
      return { withdrawal: toWithdrawal(record), account: deps.toAccount(after) };
    });
  }

  return { service, request };
}
