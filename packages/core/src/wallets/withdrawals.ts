import { TradeplaneError } from '../errors.js';
import { keysetPage } from '../pagination.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { AccountRecord, Repositories, Storage, WithdrawalApprovalRecord, WithdrawalRecord, WithdrawalStatus } from '../ports/storage.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import type { Currency } from '../money/currency.js';
import type { createIdempotency } from '../idempotency/idempotency.js';
import type { PayoutProvider } from '../payments/provider.js';
import type { WalletOptions } from './options.js';
import type { Account, LedgerSteps, MoneyInput } from './service.js';

/**
 * Withdrawals of real money: a request holds the amount; operators approve it (two different
 * ones above a set amount, never the account holder), risk checks run at the final approval,
 * and a payout provider pays it — `manual` (an operator completes or fails it) or a configured
 * one, called outside any transaction with the withdrawal id as its idempotency key. The hold
 * is captured (one ledger entry) only by the conditional move to `completed`, so of every path
 * that may finish a withdrawal — the provider's answer, a retry, an operator — one captures.
 */

/** The payout provider built in: an operator pays the money out by hand and records it (`complete` / `fail`). */
export const MANUAL_PAYOUTS = 'manual';

/** The source id operator credits and operator-completed withdrawals are recorded under. */
export const OPERATOR_SOURCE = 'operator';
const OPERATOR = OPERATOR_SOURCE;

const manualPayouts: PayoutProvider = {
  name: MANUAL_PAYOUTS,
  // An operator pays it: nothing is sent anywhere, so completion always comes later.
  pay: async () => ({ status: 'pending', reference: null }),
};

export interface WithdrawalApproval {
  approverId: string;
  approvedAt: string;
}

export interface Withdrawal {
  id: string;
  userId: string;
  accountId: string;
  amount: string;
  currency: string;
  /** `completed` is the paid state. */
  status: WithdrawalStatus;
  reference: string | null;
  /** Where the money goes (null for a withdrawal asked through `withdraw`, paid out by hand). */
  destination: string | null;
  payoutProvider: string;
  /** The payout provider's (or the operator's bank) reference for the payout. */
  payoutReference: string | null;
  approvals: WithdrawalApproval[];
  approvedAt: string | null;
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

/** What a withdrawal request answers: the request, pending, and the account with the amount held. */
export interface WithdrawalRequested {
  withdrawal: Withdrawal;
  account: Account;
}

export interface WithdrawalInput {
  accountId: string;
  amount: string;
  currency: string;
  /** Where the money goes; the payout provider checks its shape. */
  destination: string;
  /** `manual` (the default) or a configured payout provider's name. */
  payoutProvider?: string;
  reference?: string;
  idempotencyKey: string;
}

export interface WithdrawalDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditLog;
  options: WalletOptions;
  idempotency: ReturnType<typeof createIdempotency>;
  within: LedgerSteps;
  currency(code: string): Currency;
  amountOf(text: string, code: string): bigint;
  toAccount(record: AccountRecord): Account;
  sameCurrency(account: AccountRecord, code: string): void;
  realOnly(account: AccountRecord): void;
  payouts: readonly PayoutProvider[];
}

/** How long a payout whose call did not answer waits before its next attempt: a minute, doubling, at most an hour. */
export function payoutBackoffMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 60 * 60_000);
}

/** Open payment disputes on an account (recorded by the payments module): money under dispute must not leave. */
function openDisputesOn(tx: Repositories, accountId: string): Promise<number> {
  return tx.disputes.countOpen(accountId);
}

type Outcome = { status: 'completed' | 'failed' | 'rejected' | 'cancelled'; actorId: string | null; note: string | null; source: string | null; sourceReference: string | null };

const iso = (d: Date) => d.toISOString();

export function createWithdrawals(deps: WithdrawalDeps) {
  const { storage, clock, ids, logger, audit, options, within } = deps;
  const payouts = new Map<string, PayoutProvider>([[MANUAL_PAYOUTS, manualPayouts]]);
  for (const provider of deps.payouts) {
    if (payouts.has(provider.name)) throw new TypeError(`payments.payouts: the payout provider name "${provider.name}" is taken (\`manual\` is built in)`);
    payouts.set(provider.name, provider);
  }

  const toWithdrawal = (w: WithdrawalRecord, approvals: WithdrawalApprovalRecord[]): Withdrawal => ({
    id: w.id,
    userId: w.userId,
    accountId: w.accountId,
    amount: formatAmount(w.amount, deps.currency(w.currency)),
    currency: w.currency,
    status: w.status,
    reference: w.reference,
    destination: w.destination,
    payoutProvider: w.payoutProvider,
    payoutReference: w.payoutReference,
    approvals: approvals.map((a) => ({ approverId: a.approverId, approvedAt: iso(a.approvedAt) })),
    approvedAt: w.approvedAt ? iso(w.approvedAt) : null,
    source: w.source,
    sourceReference: w.sourceReference,
    resolvedBy: w.resolvedBy,
    note: w.note,
    entryId: w.entryId,
    createdAt: iso(w.createdAt),
    resolvedAt: w.resolvedAt ? iso(w.resolvedAt) : null,
  });
  const withApprovals = async (tx: Repositories, w: WithdrawalRecord) => toWithdrawal(w, await tx.withdrawals.approvals(w.id));

  /** True when a withdrawal of `amount` (minor units) of this currency needs two operators' approval. */
  function needsSecondApproval(amount: bigint, currency: Currency): boolean {
    const rule = options.withdrawals;
    const limit = rule.secondApprovalAboveByCurrency[currency.code] ?? rule.secondApprovalAbove;
    if (limit === false) return false;
    const parsed = parseAmount(limit, currency);
    if (!parsed.ok) throw new TypeError(`wallets.withdrawals approval limit "${limit}" is not valid for ${currency.code}: ${parsed.message}`);
    return amount > parsed.minor;
  }

  async function found(tx: Repositories, id: string, ownerId?: string): Promise<WithdrawalRecord> {
    const record = await tx.withdrawals.findById(id);
    if (!record || (ownerId !== undefined && record.userId !== ownerId)) throw new TradeplaneError('not_found', 'No such withdrawal');
    return record;
  }

  /** Refuses a withdrawal in none of the states `from`: still pending (not approved yet), or past them. */
  function expect(record: WithdrawalRecord, from: readonly WithdrawalStatus[]): void {
    if (from.includes(record.status)) return;
    if (record.status === 'pending') throw new TradeplaneError('withdrawal_not_approved', 'The withdrawal is not approved yet');
    throw new TradeplaneError('withdrawal_not_pending', `The withdrawal is already ${record.status}`);
  }

  function payoutProvider(name: string | undefined): PayoutProvider {
    const provider = payouts.get(name ?? MANUAL_PAYOUTS);
    if (provider) return provider;
    throw new TradeplaneError('validation_failed', `No payout provider ${name}`, {
      fields: [{ in: 'body', path: 'payout_provider', code: 'unknown_payout_provider', message: `one of ${[...payouts.keys()].join(', ')}` }],
    });
  }

  /** Provider deposits credited to the account since `since` (minor units): money that has not cleared yet. */
  async function recentDeposits(tx: Repositories, accountId: string, since: Date): Promise<bigint> {
    let total = 0n;
    let cursor: string | undefined;
    for (;;) {
      const page = await tx.journal.listPostings({ accountIds: [accountId], kind: 'deposit', from: since, cursor, limit: 200 });
      for (const p of page) if (p.amount > 0n && p.reversesEntryId === null && typeof p.metadata?.funding_source === 'string') total += p.amount;
      if (page.length < 200) return total;
      cursor = page[page.length - 1]!.id;
    }
  }

  /** The checks the final approval runs: they refuse, and nothing changes. */
  async function riskChecks(tx: Repositories, w: WithdrawalRecord): Promise<void> {
    if ((await openDisputesOn(tx, w.accountId)) > 0) throw new TradeplaneError('dispute_open', 'A payment dispute is open on the account: its money cannot leave until the dispute closes');
    const window = options.withdrawals.depositClearingSeconds;
    if (window === 0) return;
    const account = await tx.accounts.findById(w.accountId);
    if (!account) throw new TradeplaneError('not_found', 'No such account');
    const recent = await recentDeposits(tx, w.accountId, new Date(clock.now().getTime() - window * 1000));
    // This withdrawal's own hold is part of `held`: what other holds reserve is the rest.
    const heldByOthers = account.held - w.amount;
    if (w.amount > account.balance - heldByOthers - recent) {
      throw new TradeplaneError('funds_not_cleared', `Money deposited in the last ${window} seconds cannot be withdrawn yet`);
    }
  }

  /**
   * Ends a withdrawal in one transaction, conditional on it still being in one of `from`:
   * `completed` captures its hold into `external` (one `withdrawal` entry), the other outcomes
   * release it. Of several callers ending it at once one wins; the others get 409.
   */
  async function finish(id: string, from: readonly WithdrawalStatus[], outcome: Outcome, extra: { ownerId?: string; context?: RequestContext } = {}): Promise<Withdrawal> {
    return storage.transaction(async (tx) => {
      const current = await found(tx, id, extra.ownerId);
      expect(current, from);
      const paid = outcome.status === 'completed';
      const entryId = paid ? ids.next() : null;
      const resolved = await tx.withdrawals.transition(id, from, {
        status: outcome.status,
        resolvedAt: clock.now(),
        // The holder's own cancellation has no resolving operator.
        resolvedBy: outcome.status === 'cancelled' ? null : outcome.actorId,
        note: outcome.note,
        entryId,
        source: outcome.source,
        sourceReference: outcome.sourceReference,
        nextPayoutAt: null,
        ...(paid && outcome.sourceReference !== null ? { payoutReference: outcome.sourceReference } : {}),
      });
      if (!resolved) throw new TradeplaneError('withdrawal_not_pending', 'The withdrawal was resolved meanwhile');
      if (entryId) {
        await within.payOut(tx, {
          holdId: current.holdId,
          entryId,
          reference: current.reference,
          metadata: { withdrawal_id: id, source: outcome.source, source_reference: outcome.sourceReference },
          actorId: outcome.actorId,
        });
      } else {
        await within.release(tx, current.holdId, 'The withdrawal no longer holds its amount');
      }
      const amount = formatAmount(current.amount, deps.currency(current.currency));
      await audit.recordIn(
        tx,
        {
          actorId: outcome.actorId,
          action: `withdrawal.${outcome.status}`,
          targetType: 'withdrawal',
          targetId: id,
          details: { accountId: current.accountId, amount, currency: current.currency, payoutProvider: current.payoutProvider, entryId, reference: outcome.sourceReference, note: outcome.note },
        },
        extra.context,
      );
      return withApprovals(tx, resolved);
    });
  }

  /**
   * Calls the payout provider of a `paying` withdrawal (never inside a transaction) and acts on
   * its answer: `paid` completes it, `pending` leaves it to an operator or an event, `payout_failed`
   * fails it (the hold released); any other error leaves it `paying` for the retry job, which
   * calls again with the same idempotency key.
   */
  async function pay(record: WithdrawalRecord): Promise<Withdrawal> {
    const current = async () => withApprovals(storage.repos, (await storage.repos.withdrawals.findById(record.id)) ?? record);
    const provider = payouts.get(record.payoutProvider);
    if (!provider) {
      // Its provider is no longer configured: it stays `paying` until an operator records the outcome.
      logger.warn({ event: 'payout.provider_missing', withdrawalId: record.id, provider: record.payoutProvider }, 'payout provider not configured');
      return current();
    }
    if (provider.name === MANUAL_PAYOUTS) return current();
    let answer: Awaited<ReturnType<PayoutProvider['pay']>>;
    try {
      answer = await provider.pay({ withdrawalId: record.id, userId: record.userId, amount: record.amount, currency: deps.currency(record.currency), destination: record.destination ?? '' });
    } catch (error) {
      if (error instanceof TradeplaneError && error.code === 'payout_failed') {
        return settleQuietly(record.id, { status: 'failed', actorId: null, note: error.detail, source: provider.name, sourceReference: null }, current);
      }
      logger.warn({ event: 'payout.unanswered', withdrawalId: record.id, provider: provider.name, attempts: record.payoutAttempts, error: error instanceof Error ? error.message : String(error) }, 'payout call failed; it is retried');
      return current();
    }
    if (answer.status === 'paid') {
      return settleQuietly(record.id, { status: 'completed', actorId: null, note: null, source: provider.name, sourceReference: answer.reference }, current);
    }
    const waiting = await storage.repos.withdrawals.transition(record.id, ['paying'], { status: 'paying', payoutReference: answer.reference, nextPayoutAt: null });
    return waiting ? withApprovals(storage.repos, waiting) : current();
  }

  /** Ends a `paying` withdrawal on its provider's answer; if someone ended it meanwhile, their outcome stands. */
  async function settleQuietly(id: string, outcome: Outcome, current: () => Promise<Withdrawal>): Promise<Withdrawal> {
    try {
      return await finish(id, ['paying'], outcome);
    } catch (error) {
      if (error instanceof TradeplaneError && (error.code === 'withdrawal_not_pending' || error.code === 'withdrawal_not_approved')) return current();
      throw error;
    }
  }

  return {
    needsSecondApproval,
    toWithdrawal: withApprovals,

    /** A withdrawal from a real account: the amount is held now, paid out once approved. */
    async request(
      userId: string,
      input: MoneyInput & { destination?: string; payoutProvider?: string },
      account: (tx: Repositories) => Promise<AccountRecord>,
    ): Promise<WithdrawalRequested> {
      const amount = deps.amountOf(input.amount, input.currency);
      const provider = payoutProvider(input.payoutProvider);
      if (input.destination !== undefined) provider.validateDestination?.(input.destination);
      const base = { accountId: input.accountId ?? null, amount: amount.toString(), currency: input.currency, reference: input.reference ?? null, metadata: input.metadata ?? null };
      const idempotent =
        input.destination === undefined
          ? { userId, key: input.idempotencyKey, operation: 'withdraw', input: base }
          : { userId, key: input.idempotencyKey, operation: 'withdrawal', input: { ...base, destination: input.destination, payoutProvider: provider.name } };
      return deps.idempotency.run(idempotent, async (tx) => {
        const from = await account(tx);
        deps.realOnly(from);
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
          destination: input.destination ?? null,
          payoutProvider: provider.name,
          payoutReference: null,
          payoutAttempts: 0,
          nextPayoutAt: null,
          source: null,
          sourceReference: null,
          resolvedBy: null,
          note: null,
          entryId: null,
          createdAt: clock.now(),
          approvedAt: null,
          resolvedAt: null,
        };
        await tx.withdrawals.insert(record);
        const after = (await tx.accounts.findById(from.id))!;
        return { withdrawal: toWithdrawal(record, []), account: deps.toAccount(after) };
      });
    },

    async list(filter: { userId?: string; status?: WithdrawalStatus; cursor?: string; limit?: number }): Promise<{ withdrawals: Withdrawal[]; nextCursor: string | null }> {
      const page = await keysetPage(filter.limit ?? 50, (n) => storage.repos.withdrawals.list({ userId: filter.userId, status: filter.status, cursor: filter.cursor, limit: n }), (w) => w);
      return { withdrawals: await Promise.all(page.items.map((w) => withApprovals(storage.repos, w))), nextCursor: page.nextCursor };
    },

    async get(userId: string, id: string): Promise<Withdrawal> {
      return withApprovals(storage.repos, await found(storage.repos, id, userId));
    },

    /**
     * An operator's approval. The account holder never approves their own withdrawal, and an
     * operator approves it once; above the configured amount a second, different operator must
     * approve too. The final approval runs the risk checks, then moves it to `approved` (paid
     * out by hand) or, for a payout provider, to `paying` and calls the provider.
     */
    async approve(actorId: string, id: string, context?: RequestContext): Promise<Withdrawal> {
      const step = await storage.transaction(async (tx) => {
        // A no-op update first: it locks the row, so concurrent approvals of one withdrawal
        // count each other's (two first approvals at once would otherwise both stay first).
        const record = await tx.withdrawals.transition(id, ['pending'], { status: 'pending' });
        if (!record) expect(await found(tx, id), ['pending']);
        const pending = record!;
        if (pending.userId === actorId) throw new TradeplaneError('forbidden', 'The account holder cannot approve their own withdrawal');
        const approvals = await tx.withdrawals.approvals(id);
        if (approvals.some((a) => a.approverId === actorId)) throw new TradeplaneError('second_approval_required', 'You approved this withdrawal already: another operator must approve it');
        const needed = needsSecondApproval(pending.amount, deps.currency(pending.currency)) ? 2 : 1;
        const now = clock.now();
        const approval: WithdrawalApprovalRecord = { withdrawalId: id, approverId: actorId, approvedAt: now };
        const amount = formatAmount(pending.amount, deps.currency(pending.currency));
        const details = { accountId: pending.accountId, amount, currency: pending.currency, payoutProvider: pending.payoutProvider, approvers: [...approvals.map((a) => a.approverId), actorId] };
        const final = approvals.length + 1 >= needed;
        if (final) await riskChecks(tx, pending);
        if (!(await tx.withdrawals.addApproval(approval))) throw new TradeplaneError('second_approval_required', 'You approved this withdrawal already: another operator must approve it');
        if (!final) {
          await audit.recordIn(tx, { actorId, action: 'withdrawal.approval_recorded', targetType: 'withdrawal', targetId: id, details: { ...details, needed } }, context);
          return { record: pending, approvals: [...approvals, approval], dispatch: false };
        }
        const manual = pending.payoutProvider === MANUAL_PAYOUTS;
        const next = await tx.withdrawals.transition(
          id,
          ['pending'],
          manual ? { status: 'approved', approvedAt: now } : { status: 'paying', approvedAt: now, payoutAttempts: 1, nextPayoutAt: new Date(now.getTime() + payoutBackoffMs(1)) },
        );
        if (!next) throw new TradeplaneError('withdrawal_not_pending', 'The withdrawal was resolved meanwhile');
        await audit.recordIn(tx, { actorId, action: 'withdrawal.approved', targetType: 'withdrawal', targetId: id, details: { ...details, status: next.status } }, context);
        return { record: next, approvals: [...approvals, approval], dispatch: !manual };
      });
      if (step.dispatch) return pay(step.record);
      return toWithdrawal(step.record, step.approvals);
    },

    /** An operator refuses it, pending or approved (not once a payout is under way): the hold is released. */
    reject: (actorId: string, id: string, reason: string, context?: RequestContext) =>
      finish(id, ['pending', 'approved'], { status: 'rejected', actorId, note: reason, source: OPERATOR, sourceReference: null }, { context }),
    /** The holder takes back a withdrawal nobody approved yet. */
    cancel: (userId: string, id: string) =>
      finish(id, ['pending'], { status: 'cancelled', actorId: userId, note: 'Cancelled by the account holder', source: null, sourceReference: null }, { ownerId: userId }),
    /** An operator paid it out (approved, or paying and awaited): the hold leaves for `external`. */
    complete: (actorId: string | null, id: string, by: { source: string; reference: string | null }, context?: RequestContext) =>
      finish(id, ['approved', 'paying'], { status: 'completed', actorId, note: null, source: by.source, sourceReference: by.reference }, { context }),
    /** The payout failed (approved or paying): the hold is released and the money stays. */
    fail: (actorId: string | null, id: string, by: { source: string; reason: string }, context?: RequestContext) =>
      finish(id, ['approved', 'paying'], { status: 'failed', actorId, note: by.reason, source: by.source, sourceReference: null }, { context }),

    /** Calls the payout provider again for `paying` withdrawals whose last call went unanswered, with the same idempotency key. */
    async retryPayouts(limit = 50): Promise<{ retried: number }> {
      const now = clock.now();
      let retried = 0;
      for (const due of await storage.repos.withdrawals.listDuePayouts(now, limit)) {
        const attempts = due.payoutAttempts + 1;
        // Claimed by moving its next attempt on, conditional on nobody else having done so.
        const claimed = await storage.repos.withdrawals.transition(due.id, ['paying'], { status: 'paying', payoutAttempts: attempts, nextPayoutAt: new Date(now.getTime() + payoutBackoffMs(attempts)) }, due.nextPayoutAt!);
        if (!claimed) continue;
        await pay(claimed);
        retried++;
      }
      return { retried };
    },
  };
}
