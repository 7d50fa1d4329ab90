import type { accountRoutes, billingRoutes, fundingRoutes, ledgerRoutes, walletRoutes, withdrawalRoutes } from '../contract/wallets.js';
import { reply, type ContractHandlers } from '../http/types.js';
import { requestContext } from '../auth/handlers.js';
import { isReplayed, REPLAYED_HEADER } from '../idempotency/idempotency.js';
import { withReplayHeader } from '../idempotency/replay-header.js';
import type { Account, LedgerReport, Movement, Transaction, WalletService } from './service.js';
import type { OperatorCredit, Withdrawal, WithdrawalRequested } from './funding.js';

type Handlers = ContractHandlers<{
  accounts: typeof accountRoutes;
  wallet: typeof walletRoutes;
  billing: typeof billingRoutes;
  ledger: typeof ledgerRoutes;
  withdrawals: typeof withdrawalRoutes;
  funding: typeof fundingRoutes;
}>;

export function accountToWire(a: Account) {
  return {
    id: a.id,
    currency: a.currency,
    kind: a.kind,
    is_default: a.isDefault,
    status: a.status,
    balance: a.balance,
    held: a.held,
    available: a.available,
    created_at: a.createdAt,
  };
}

export function transactionToWire(t: Transaction) {
  return {
    id: t.id,
    entry_id: t.entryId,
    account_id: t.accountId,
    kind: t.kind,
    amount: t.amount,
    currency: t.currency,
    balance_after: t.balanceAfter,
    reference: t.reference,
    metadata: t.metadata,
    reverses_entry_id: t.reversesEntryId,
    created_at: t.createdAt,
  };
}

const movementToWire = (m: Movement) => ({ transaction: transactionToWire(m.transaction), account: accountToWire(m.account) });

export function withdrawalToWire(w: Withdrawal) {
  return {
    id: w.id,
    user_id: w.userId,
    account_id: w.accountId,
    amount: w.amount,
    currency: w.currency,
    status: w.status,
    reference: w.reference,
    destination: w.destination,
    payout_provider: w.payoutProvider,
    payout_reference: w.payoutReference,
    approvals: w.approvals.map((a) => ({ approver_id: a.approverId, approved_at: a.approvedAt })),
    approved_at: w.approvedAt,
    source: w.source,
    source_reference: w.sourceReference,
    resolved_by: w.resolvedBy,
    note: w.note,
    entry_id: w.entryId,
    created_at: w.createdAt,
    resolved_at: w.resolvedAt,
  };
}

function operatorCreditToWire(c: OperatorCredit) {
  return {
    id: c.id,
    user_id: c.userId,
    account_id: c.accountId,
    amount: c.amount,
    currency: c.currency,
    status: c.status,
    reason: c.reason,
    reference: c.reference,
    requested_by: c.requestedBy,
    resolved_by: c.resolvedBy,
    note: c.note,
    entry_id: c.entryId,
    created_at: c.createdAt,
    resolved_at: c.resolvedAt,
  };
}

/** A demo withdrawal moved money (200); a real one is pending (202). */
function withdrawResultToWire(result: Movement | WithdrawalRequested) {
  if ('withdrawal' in result) {
    const body = { transaction: null, account: accountToWire(result.account), withdrawal: withdrawalToWire(result.withdrawal) };
    return reply(body, { status: 202, headers: isReplayed(result) ? { [REPLAYED_HEADER]: 'true' } : {} });
  }
  return withReplayHeader(result, (m) => ({ ...movementToWire(m), withdrawal: null }));
}


const mismatchToWire = (m: LedgerReport['balanceMismatches'][number]) => ({ account_id: m.accountId, cached: String(m.cached), computed: String(m.computed) });

function reportToWire(r: LedgerReport) {
  return {
    ok: r.ok,
    accounts_checked: r.accountsChecked,
    entries_checked: r.entriesChecked,
    balance_mismatches: r.balanceMismatches.map(mismatchToWire),
    held_mismatches: r.heldMismatches.map(mismatchToWire),
    unbalanced_entries: r.unbalancedEntries.map((e) => ({ entry_id: e.entryId, currency: e.currency, sum: String(e.sum), postings: e.postings })),
    currency_imbalances: r.currencyImbalances.map((c) => ({ currency: c.currency, sum: String(c.sum) })),
    negative_accounts: r.negativeAccounts.map((a) => ({ account_id: a.accountId, balance: String(a.balance), held: String(a.held) })),
  };
}

const dateOrUndefined = (value: string | undefined) => (value === undefined ? undefined : new Date(value));

export function walletHandlers(wallets: WalletService): Handlers {
  const history = async (userId: string, query: { account?: string; kind?: Transaction['kind']; from?: string; to?: string; cursor?: string; limit: number }, accountId: string | undefined) => {
    const page = await wallets.transactions(userId, {
      accountId,
      kind: query.kind,
      from: dateOrUndefined(query.from),
      to: dateOrUndefined(query.to),
      cursor: query.cursor,
      limit: query.limit,
    });
    return { transactions: page.transactions.map(transactionToWire), next_cursor: page.nextCursor };
  };
  const money = (body: { amount: string; currency: string; account_id?: string; reference?: string; metadata?: Record<string, unknown> }, key: string) => ({
    amount: body.amount,
    currency: body.currency,
    accountId: body.account_id,
    reference: body.reference,
    metadata: body.metadata,
    idempotencyKey: key,
  });

  return {
    accounts: {
      list: async ({ principal }) => ({ accounts: (await wallets.listAccounts(principal.userId)).map(accountToWire) }),
      getDefault: async ({ principal }) => accountToWire(await wallets.defaultAccount(principal.userId)),
      get: async ({ principal, params }) => accountToWire(await wallets.getAccount(principal.userId, params.id)),
      open: async ({ principal, body }) => accountToWire(await wallets.openAccount(principal.userId, { currency: body.currency })),
      openDemo: async ({ principal, body }) => accountToWire(await wallets.openDemoAccount(principal.userId, { currency: body?.currency })),
      setDefault: async ({ principal, params }) => accountToWire(await wallets.setDefault(principal.userId, params.id)),
      balance: async ({ principal, params }) => {
        const a = await wallets.getAccount(principal.userId, params.id);
        return { account_id: a.id, currency: a.currency, balance: a.balance, held: a.held, available: a.available };
      },
    },
    wallet: {
      get: async ({ principal }) => accountToWire(await wallets.defaultAccount(principal.userId)),
      deposit: async ({ principal, body, request }) => withReplayHeader(await wallets.deposit(principal.userId, money(body, request.idempotencyKey!)), movementToWire),
      withdraw: async ({ principal, body, request }) => withdrawResultToWire(await wallets.withdraw(principal.userId, money(body, request.idempotencyKey!))),
      transfer: async ({ principal, body, request }) =>
        withReplayHeader(
          await wallets.transfer(principal.userId, {
            fromAccountId: body.from_account_id,
            toAccountId: body.to_account_id,
            amount: body.amount,
            currency: body.currency,
            reference: body.reference,
            metadata: body.metadata,
            idempotencyKey: request.idempotencyKey!,
          }),
          movementToWire,
        ),
      transactions: async ({ principal, query }) => {
        const accountId = query.account ?? (await wallets.defaultAccount(principal.userId)).id;
        return history(principal.userId, query, accountId);
      },
    },
    billing: {
      balance: async ({ principal }) => ({ totals: await wallets.totals(principal.userId) }),
      transactions: async ({ principal, query }) => history(principal.userId, query, query.account),
    },
    ledger: {
      adjust: async ({ principal, params, body, request }) =>
        withReplayHeader(
          await wallets.adjust(principal.userId, params.id, { ...body, idempotencyKey: request.idempotencyKey! }, requestContext(request)),
          movementToWire,
        ),
      reverse: async ({ principal, params, body, request }) =>
        withReplayHeader(await wallets.reverse(principal.userId, params.id, { reason: body.reason, idempotencyKey: request.idempotencyKey! }, requestContext(request)), (r) => ({
          entry_id: r.entryId,
          transactions: r.transactions.map(transactionToWire),
        })),
      verify: async () => reportToWire(await wallets.verifyLedger()),
    },
    withdrawals: {
      request: async ({ principal, body, request }) =>
        withReplayHeader(
          await wallets.funding.requestWithdrawal(principal.userId, {
            accountId: body.account_id,
            amount: body.amount,
            currency: body.currency,
            destination: body.destination,
            payoutProvider: body.payout_provider,
            reference: body.reference,
            idempotencyKey: request.idempotencyKey!,
          }),
          (r) => ({ withdrawal: withdrawalToWire(r.withdrawal), account: accountToWire(r.account) }),
        ),
      list: async ({ principal, query }) => {
        const page = await wallets.funding.withdrawals(principal.userId, query);
        return { withdrawals: page.withdrawals.map(withdrawalToWire), next_cursor: page.nextCursor };
      },
      get: async ({ principal, params }) => withdrawalToWire(await wallets.funding.withdrawal(principal.userId, params.id)),
      cancel: async ({ principal, params }) => withdrawalToWire(await wallets.funding.cancelWithdrawal(principal.userId, params.id)),
    },
    funding: {
      withdrawals: async ({ query }) => {
        const page = await wallets.funding.listWithdrawals(query);
        return { withdrawals: page.withdrawals.map(withdrawalToWire), next_cursor: page.nextCursor };
      },
      approveWithdrawal: async ({ principal, params, request }) => withdrawalToWire(await wallets.funding.approveWithdrawal(principal.userId, params.id, requestContext(request))),
      failWithdrawal: async ({ principal, params, body, request }) =>
        withdrawalToWire(await wallets.funding.failByOperator(principal.userId, params.id, { reason: body.reason }, requestContext(request))),
      completeWithdrawal: async ({ principal, params, body, request }) =>
        withdrawalToWire(await wallets.funding.completeByOperator(principal.userId, params.id, { reference: body?.reference }, requestContext(request))),
      rejectWithdrawal: async ({ principal, params, body, request }) =>
        withdrawalToWire(await wallets.funding.rejectByOperator(principal.userId, params.id, { reason: body.reason }, requestContext(request))),
      credit: async ({ principal, params, body, request }) =>
        withReplayHeader(await wallets.funding.creditByOperator(principal.userId, params.id, { ...body, idempotencyKey: request.idempotencyKey! }, requestContext(request)), operatorCreditToWire),
      credits: async ({ query }) => {
        const page = await wallets.funding.listCredits(query);
        return { credits: page.credits.map(operatorCreditToWire), next_cursor: page.nextCursor };
      },
      approveCredit: async ({ principal, params, request }) => operatorCreditToWire(await wallets.funding.approveCredit(principal.userId, params.id, requestContext(request))),
      rejectCredit: async ({ principal, params, body, request }) =>
        operatorCreditToWire(await wallets.funding.rejectCredit(principal.userId, params.id, { reason: body.reason }, requestContext(request))),
    },
  };
}
