import { createHash } from 'node:crypto';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { isTradeplaneError, TradeplaneError } from '../errors.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { keysetPage } from '../pagination.js';
import { takeProviderEvent } from '../webhooks/intake.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { AccountRecord, DepositRecord, DepositStatus, DisputeRecord, DisputeStatus, ReceivableRecord, ReceivableStatus, Repositories, Storage } from '../ports/storage.js';
import type { WalletService } from '../wallets/service.js';
import type { DepositIntent, FundingProvider, ProviderEvent, ProviderWebhook } from './provider.js';

/** A deposit as its owner sees it. */
export interface Deposit {
  id: string;
  accountId: string;
  provider: string;
  /** Null until the provider has answered. */
  providerReference: string | null;
  amount: string;
  currency: string;
  status: DepositStatus;
  /** What the provider has returned to the payer so far. */
  refundedAmount: string;
  entryId: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DepositRequested {
  deposit: Deposit;
  /** What the payer needs to complete the payment with the provider. */
  payment: Omit<DepositIntent, 'providerReference'>;
  /** True when the answer repeats an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** A chargeback as operators see it. */
export interface Dispute {
  id: string;
  provider: string;
  disputeId: string;
  depositId: string;
  userId: string;
  accountId: string;
  amount: string;
  currency: string;
  status: DisputeStatus;
  reason: string;
  holdId: string | null;
  entryId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Money a user owes after a provider took back what had already left their account. */
export interface Receivable {
  id: string;
  userId: string;
  accountId: string;
  amount: string;
  currency: string;
  status: ReceivableStatus;
  cause: 'refund' | 'chargeback';
  sourceId: string;
  entryId: string;
  createdAt: string;
  settledAt: string | null;
}

export interface PaymentService {
  /**
   * Asks a provider for a payment into one of the user's real accounts: a pending deposit; money
   * moves only when the provider confirms it. The deposit row is written before the provider is
   * asked, keyed by the Idempotency-Key, and its id is the provider's idempotency key: a retried
   * request answers the same deposit and the same payment.
   */
  requestDeposit(userId: string, input: { accountId?: string; amount: string; currency: string; provider?: string; idempotencyKey: string }): Promise<DepositRequested>;
  deposits(userId: string, filter?: { status?: DepositStatus; cursor?: string; limit?: number }): Promise<{ deposits: Deposit[]; nextCursor: string | null }>;
  deposit(userId: string, id: string): Promise<Deposit>;
  /**
   * A provider's callback: verified first (nothing is written for a bad or stale signature but
   * an audit record), recorded once by its event id (a redelivery changes nothing), then acted
   * on. The ledger is credited in the transaction that marks the deposit `succeeded`, once per
   * payment whatever the order or number of deliveries.
   */
  receiveWebhook(provider: string, webhook: ProviderWebhook): Promise<{ duplicate: boolean }>;
  /**
   * An operator returns (part of) a succeeded deposit to the card or bank it came from, through
   * its provider (audited). The ledger moves when the provider's refund event arrives; a retry
   * with the same Idempotency-Key asks the provider for the same refund.
   */
  refundDeposit(actorId: string, depositId: string, input: { amount?: string; reason: string; idempotencyKey: string }, context?: RequestContext): Promise<Deposit>;
  /** Chargebacks, newest first (operators). */
  disputes(filter?: { status?: DisputeStatus; cursor?: string; limit?: number }): Promise<{ disputes: Dispute[]; nextCursor: string | null }>;
  /** What users owe after refunds and chargebacks the account could not cover, newest first (operators). */
  receivables(filter?: { userId?: string; status?: ReceivableStatus; cursor?: string; limit?: number }): Promise<{ receivables: Receivable[]; nextCursor: string | null }>;
  /**
   * An operator settles what a user owes (audited): `collect` takes it from the account's
   * available balance (`insufficient_funds` if it is not there yet), `write_off` books the loss
   * to the platform's `adjustments` account.
   */
  settleReceivable(actorId: string, id: string, input: { how: 'collect' | 'write_off'; note: string }, context?: RequestContext): Promise<Receivable>;
}

const iso = (d: Date) => d.toISOString();

export function createPaymentService(deps: {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditLog;
  wallets: Pick<WalletService, 'currencies' | 'within'>;
  providers: readonly FundingProvider[];
}): PaymentService {
  const { storage, clock, ids, logger, audit, wallets } = deps;
  const providers = new Map(deps.providers.map((p) => [p.name, p]));

  const currency = (code: string) => {
    const found = wallets.currencies.get(code);
    if (!found) throw new TradeplaneError('validation_failed', `Unknown currency ${code}`, { fields: [{ in: 'body', path: 'currency', code: 'unknown_currency', message: `${code} is not a configured currency` }] });
    return found;
  };
  const toDeposit = (d: DepositRecord): Deposit => ({
    id: d.id,
    accountId: d.accountId,
    provider: d.provider,
    providerReference: d.providerReference,
    amount: formatAmount(d.amount, currency(d.currency)),
    currency: d.currency,
    status: d.status,
    refundedAmount: formatAmount(d.refundedAmount, currency(d.currency)),
    entryId: d.entryId,
    failureReason: d.failureReason,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  });

  const toDispute = (d: DisputeRecord): Dispute => ({
    id: d.id,
    provider: d.provider,
    disputeId: d.disputeId,
    depositId: d.depositId,
    userId: d.userId,
    accountId: d.accountId,
    amount: formatAmount(d.amount, currency(d.currency)),
    currency: d.currency,
    status: d.status,
    reason: d.reason,
    holdId: d.holdId,
    entryId: d.entryId,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  });
  const toReceivable = (r: ReceivableRecord): Receivable => ({
    id: r.id,
    userId: r.userId,
    accountId: r.accountId,
    amount: formatAmount(r.amount, currency(r.currency)),
    currency: r.currency,
    status: r.status,
    cause: r.cause,
    sourceId: r.sourceId,
    entryId: r.entryId,
    createdAt: iso(r.createdAt),
    settledAt: r.settledAt ? iso(r.settledAt) : null,
  });

  function providerFor(name: string | undefined): FundingProvider {
    if (providers.size === 0) throw new TradeplaneError('funding_provider_required', 'No payment provider is configured here: real money is credited by an operator');
    const provider = name === undefined ? providers.values().next().value : providers.get(name);
    if (!provider) {
      throw new TradeplaneError('validation_failed', `Unknown payment provider ${name}`, {
        fields: [{ in: 'body', path: 'provider', code: 'unknown_provider', message: `must be one of ${[...providers.keys()].join(', ')}` }],
      });
    }
    return provider;
  }

  async function ownRealAccount(userId: string, accountId: string | undefined): Promise<AccountRecord> {
    const account = accountId === undefined ? await storage.repos.accounts.findDefault(userId) : await storage.repos.accounts.findById(accountId);
    if (!account || account.userId !== userId) throw new TradeplaneError('not_found', 'No such account');
    if (account.kind !== 'real') throw new TradeplaneError('transfer_not_allowed', 'Only real accounts take real money: demo money comes from the demo faucet');
    return account;
  }

  /** A deposit whose money has reached the ledger, for an event that takes money back; 409 (retry later) before that. */
  function credited(deposit: DepositRecord, what: string): void {
    if (deposit.status !== 'succeeded') {
      // Deliveries come in any order: a refund or dispute may arrive before the payment's own
      // success. Nothing is recorded, and the provider's retry finds the deposit credited.
      throw new TradeplaneError('conflict', `The deposit for this ${what} has not been credited yet; retry later`);
    }
  }

  /** Books a shortfall a refund or chargeback left: the user owes it, and operators are told through the audit log. */
  async function owe(tx: Repositories, deposit: DepositRecord, shortfall: bigint, cause: ReceivableRecord['cause'], sourceId: string, entryId: string): Promise<void> {
    if (shortfall === 0n) return;
    const receivable: ReceivableRecord = {
      id: ids.next(),
      userId: deposit.userId,
      accountId: deposit.accountId,
      amount: shortfall,
      currency: deposit.currency,
      status: 'open',
      cause,
      sourceId,
      entryId,
      createdAt: clock.now(),
      settledAt: null,
    };
    await tx.receivables.insert(receivable);
    await audit.recordIn(tx, {
      actorId: null,
      action: 'receivable.opened',
      targetType: 'account',
      targetId: deposit.accountId,
      details: { receivable_id: receivable.id, cause, source_id: sourceId, amount: shortfall.toString(), currency: deposit.currency },
    });
  }

  async function accountOf(tx: Repositories, deposit: DepositRecord): Promise<AccountRecord> {
    const account = await tx.accounts.findById(deposit.accountId);
    if (!account) throw new Error(`deposit ${deposit.id}: account ${deposit.accountId} vanished`);
    return account;
  }

  /** Acts on one verified event inside its transaction (the event is already recorded there). */
  async function apply(tx: Repositories, provider: string, event: Exclude<ProviderEvent, { type: 'ignored' }>): Promise<void> {
    const found = await tx.deposits.findByReference(provider, event.reference);
    // The provider may call before the deposit's own transaction has committed: refuse, write
    // nothing (the event is not recorded either), and let its retry find the deposit.
    if (!found) throw new TradeplaneError('conflict', `No deposit for ${provider} payment ${event.reference} yet; retry later`);
    let deposit = found;
    const at = clock.now();
    switch (event.type) {
      case 'deposit.processing':
        await tx.deposits.transition(deposit.id, ['pending'], { status: 'processing', at });
        return;
      case 'deposit.failed':
      case 'deposit.canceled':
        await tx.deposits.transition(deposit.id, ['pending', 'processing'], { status: event.type === 'deposit.failed' ? 'failed' : 'canceled', failureReason: event.reason, at });
        return;
      case 'deposit.succeeded': {
        if (event.amount !== deposit.amount || event.currency !== deposit.currency) {
          // Never credit what was not asked for: flag it for an operator instead.
          const reason = `amount_mismatch: the provider reported ${event.amount} ${event.currency} (minor units), the deposit asked ${deposit.amount} ${deposit.currency}`;
          const flagged = await tx.deposits.transition(deposit.id, ['pending', 'processing', 'failed', 'canceled'], { status: 'failed', failureReason: reason, at });
          if (flagged) await audit.recordIn(tx, { actorId: null, action: 'deposit.mismatch', targetType: 'deposit', targetId: deposit.id, details: { provider, event_id: event.id, reason } });
          return;
        }
        const entryId = ids.next();
        // A payment that failed on one attempt may still succeed on the next: any state but succeeded moves on.
        const succeeded = await tx.deposits.transition(deposit.id, ['pending', 'processing', 'failed', 'canceled'], { status: 'succeeded', entryId, failureReason: null, at });
        if (!succeeded) return;
        await wallets.within.fundFromOutside(tx, {
          account: await accountOf(tx, deposit),
          amount: deposit.amount,
          entryId,
          reference: deposit.id,
          metadata: { funding_source: provider, source_reference: event.reference },
          actorId: null,
        });
        return;
      }
      case 'deposit.refunded': {
        credited(deposit, 'refund');
        if (event.currency !== deposit.currency || event.refundedTotal > deposit.amount) {
          await audit.recordIn(tx, {
            actorId: null,
            action: 'deposit.mismatch',
            targetType: 'deposit',
            targetId: deposit.id,
            details: { provider, event_id: event.id, reason: `refund_mismatch: the provider reported ${event.refundedTotal} ${event.currency} refunded of ${deposit.amount} ${deposit.currency}` },
          });
          return;
        }
        const account = await accountOf(tx, deposit);
        // The account row is locked first, so two refund events of one payment apply one after the other.
        await tx.accounts.applyDelta(account.id, 0n, 0n);
        deposit = (await tx.deposits.findById(deposit.id)) ?? deposit;
        const previous = deposit.refundedAmount;
        if (event.refundedTotal <= previous) return;
        await tx.deposits.raiseRefunded(deposit.id, event.refundedTotal, at);
        const entryId = ids.next();
        const { shortfall } = await wallets.within.returnToPayer(tx, {
          account,
          amount: event.refundedTotal - previous,
          holdId: null,
          entryId,
          kind: 'refund',
          reference: deposit.id,
          metadata: { funding_source: provider, source_reference: event.reference, refunded_total: event.refundedTotal.toString() },
        });
        await owe(tx, deposit, shortfall, 'refund', deposit.id, entryId);
        return;
      }
      case 'deposit.disputed': {
        credited(deposit, 'dispute');
        const account = await accountOf(tx, deposit);
        const locked = await tx.accounts.applyDelta(account.id, 0n, 0n);
        if (!locked) throw new Error(`account ${account.id} vanished`);
        let dispute = await tx.disputes.findByDisputeId(provider, event.disputeId);
        if (!dispute) {
          // First news of this dispute (whatever its state): an open one holds what the account has, up to the amount.
          const available = locked.balance - locked.held;
          const holdAmount = event.status !== 'open' || available <= 0n ? 0n : available < event.amount ? available : event.amount;
          const hold = holdAmount > 0n ? await wallets.within.reserve(tx, account, holdAmount, { reference: `dispute:${event.disputeId}` }) : null;
          dispute = {
            id: ids.next(),
            provider,
            disputeId: event.disputeId,
            depositId: deposit.id,
            userId: deposit.userId,
            accountId: deposit.accountId,
            amount: event.amount,
            currency: deposit.currency,
            status: 'open',
            reason: event.reason,
            holdId: hold?.id ?? null,
            entryId: null,
            createdAt: at,
            updatedAt: at,
          };
          await tx.disputes.insert(dispute);
          await audit.recordIn(tx, {
            actorId: null,
            action: 'dispute.opened',
            targetType: 'account',
            targetId: deposit.accountId,
            details: { dispute_id: dispute.id, provider, provider_dispute: event.disputeId, deposit_id: deposit.id, amount: event.amount.toString(), held: holdAmount.toString() },
          });
        }
        // A closed dispute stays closed: an older `open` state delivered late changes nothing.
        if (event.status === 'open' || dispute.status !== 'open') return;
        if (event.status === 'won') {
          const closed = await tx.disputes.close(dispute.id, { status: 'won', entryId: null, at });
          if (closed?.holdId) await wallets.within.release(tx, closed.holdId, 'The dispute no longer holds its amount');
        } else {
          const entryId = ids.next();
          const closed = await tx.disputes.close(dispute.id, { status: 'lost', entryId, at });
          if (!closed) return;
          const { shortfall } = await wallets.within.returnToPayer(tx, {
            account,
            amount: closed.amount,
            holdId: closed.holdId,
            entryId,
            kind: 'chargeback',
            reference: deposit.id,
            metadata: { funding_source: provider, source_reference: event.reference, dispute: event.disputeId },
          });
          await owe(tx, deposit, shortfall, 'chargeback', closed.id, entryId);
        }
        await audit.recordIn(tx, {
          actorId: null,
          action: `dispute.${event.status}`,
          targetType: 'account',
          targetId: deposit.accountId,
          details: { dispute_id: dispute.id, provider, provider_dispute: event.disputeId, deposit_id: deposit.id },
        });
        return;
      }
    }
  }

  /** The deposit a retried request names, checked to be the same request. */
  function sameRequest(found: DepositRecord, wanted: Pick<DepositRecord, 'accountId' | 'amount' | 'currency' | 'provider'>): DepositRecord {
    if (found.accountId !== wanted.accountId || found.amount !== wanted.amount || found.currency !== wanted.currency || found.provider !== wanted.provider) {
      throw new TradeplaneError('idempotency_conflict', 'This Idempotency-Key was already used with a different request');
    }
    return found;
  }

  return {
    async requestDeposit(userId, input) {
      const provider = providerFor(input.provider);
      const account = await ownRealAccount(userId, input.accountId);
      const c = currency(input.currency);
      if (account.currency !== c.code) {
        throw new TradeplaneError('currency_mismatch', `The account holds ${account.currency}, not ${c.code}`, {
          fields: [{ in: 'body', path: 'currency', code: 'currency_mismatch', message: `must be ${account.currency}, the account's currency` }],
        });
      }
      const parsed = parseAmount(input.amount, c);
      if (!parsed.ok) throw new TradeplaneError('validation_failed', `amount ${parsed.message}`, { fields: [{ in: 'body', path: 'amount', code: parsed.problem, message: parsed.message }] });
      if (parsed.minor <= 0n) throw new TradeplaneError('validation_failed', 'amount must be positive', { fields: [{ in: 'body', path: 'amount', code: 'too_small', message: 'must be more than zero' }] });
      const wanted = { accountId: account.id, amount: parsed.minor, currency: c.code, provider: provider.name };
      const repos = storage.repos;
      let record = await repos.deposits.findByIdempotencyKey(userId, input.idempotencyKey);
      let replayed = record !== undefined;
      if (record) sameRequest(record, wanted);
      else {
        const now = clock.now();
        const fresh: DepositRecord = {
          id: ids.next(),
          userId,
          ...wanted,
          providerReference: null,
          idempotencyKey: input.idempotencyKey,
          status: 'pending',
          refundedAmount: 0n,
          entryId: null,
          failureReason: null,
          createdAt: now,
          updatedAt: now,
        };
        // Written before the provider is asked: a concurrent request with the same key finds this row.
        if (await repos.deposits.insert(fresh)) record = fresh;
        else {
          const winner = await repos.deposits.findByIdempotencyKey(userId, input.idempotencyKey);
          if (!winner) throw new TradeplaneError('conflict', 'The deposit could not be recorded; retry');
          record = sameRequest(winner, wanted);
          replayed = true;
        }
      }
      const deposit = record;
      let intent: DepositIntent;
      try {
        // Outside any transaction (a network call). The deposit's id is the provider's idempotency
        // key, so asking again for the same deposit answers the same payment.
        intent = await provider.createDeposit({ depositId: deposit.id, userId, accountId: account.id, amount: deposit.amount, currency: c });
      } catch (error) {
        if (isTradeplaneError(error)) {
          // The provider refused the request itself: the deposit cannot go ahead.
          await repos.deposits.transition(deposit.id, ['pending'], { status: 'failed', failureReason: `${error.code}: ${error.detail}`, at: clock.now() });
          throw error;
        }
        logger.warn({ event: 'deposit.provider_unavailable', provider: provider.name, depositId: deposit.id, err: error }, 'The payment provider did not answer a deposit request');
        throw new TradeplaneError('service_unavailable', 'The payment provider did not answer; retry with the same Idempotency-Key', { cause: error });
      }
      if (!(await repos.deposits.setReference(deposit.id, intent.providerReference, clock.now()))) {
        throw new TradeplaneError('idempotency_conflict', 'The provider answered a different payment for this deposit (its idempotency window has passed): use a new Idempotency-Key');
      }
      const current = (await repos.deposits.findById(deposit.id)) ?? deposit;
      const { providerReference: _, ...payment } = intent;
      return { deposit: toDeposit(current), payment, replayed };
    },

    async deposits(userId, filter = {}) {
      const page = await keysetPage(filter.limit ?? 50, (n) => storage.repos.deposits.list({ userId, status: filter.status, cursor: filter.cursor, limit: n }), toDeposit);
      return { deposits: page.items, nextCursor: page.nextCursor };
    },

    async deposit(userId, id) {
      const found = await storage.repos.deposits.findById(id);
      if (!found || found.userId !== userId) throw new TradeplaneError('not_found', 'No such deposit');
      return toDeposit(found);
    },

    receiveWebhook(name, webhook) {
      const provider = providers.get(name);
      return takeProviderEvent<ProviderEvent>(
        { storage, audit, clock, logger },
        {
          name,
          verify: provider && ((w) => provider.verifyEvent(w)),
          targetType: 'provider',
          webhook,
          describe: (event) => (event.type === 'ignored' ? { type: event.providerType, objectId: null, ignored: true } : { type: event.type, objectId: event.reference, ignored: false }),
          act: (tx, event) => (event.type === 'ignored' ? Promise.resolve() : apply(tx, name, event)),
        },
      );
    },

    async refundDeposit(actorId, depositId, input, context) {
      const found = await storage.repos.deposits.findById(depositId);
      if (!found) throw new TradeplaneError('not_found', 'No such deposit');
      const provider = providers.get(found.provider);
      if (found.status !== 'succeeded' || found.providerReference === null) throw new TradeplaneError('deposit_not_refundable', `The deposit is ${found.status}: only a succeeded deposit can be refunded`);
      if (!provider?.refund) throw new TradeplaneError('deposit_not_refundable', `The provider ${found.provider} cannot refund through its API: return the money by hand and record it`);
      const c = currency(found.currency);
      const left = found.amount - found.refundedAmount;
      let amount = left;
      if (input.amount !== undefined) {
        const parsed = parseAmount(input.amount, c);
        if (!parsed.ok) throw new TradeplaneError('validation_failed', `amount ${parsed.message}`, { fields: [{ in: 'body', path: 'amount', code: parsed.problem, message: parsed.message }] });
        amount = parsed.minor;
      }
      if (amount <= 0n || amount > left) {
        throw new TradeplaneError('validation_failed', `amount must be more than zero and at most the ${formatAmount(left, c)} not refunded yet`, {
          fields: [{ in: 'body', path: 'amount', code: amount <= 0n ? 'too_small' : 'too_big', message: `at most ${formatAmount(left, c)}` }],
        });
      }
      // The same operator request retried asks the provider for the same refund.
      const refundId = `rf_${createHash('sha256').update(`${depositId}\n${actorId}\n${input.idempotencyKey}`).digest('base64url').slice(0, 32)}`;
      const refund = await provider.refund({ refundId, reference: found.providerReference, amount, currency: c, reason: input.reason });
      await storage.transaction((tx) =>
        audit.recordIn(
          tx,
          {
            actorId,
            action: 'deposit.refund_requested',
            targetType: 'deposit',
            targetId: depositId,
            details: { provider: found.provider, refund_reference: refund.providerReference, amount: formatAmount(amount, c), currency: c.code, reason: input.reason },
          },
          context,
        ),
      );
      return toDeposit(found);
    },

    async disputes(filter = {}) {
      const page = await keysetPage(filter.limit ?? 50, (n) => storage.repos.disputes.list({ status: filter.status, cursor: filter.cursor, limit: n }), toDispute);
      return { disputes: page.items, nextCursor: page.nextCursor };
    },

    async receivables(filter = {}) {
      const page = await keysetPage(filter.limit ?? 50, (n) => storage.repos.receivables.list({ userId: filter.userId, status: filter.status, cursor: filter.cursor, limit: n }), toReceivable);
      return { receivables: page.items, nextCursor: page.nextCursor };
    },

    async settleReceivable(actorId, id, input, context) {
      return storage.transaction(async (tx) => {
        const found = await tx.receivables.findById(id);
        if (!found) throw new TradeplaneError('not_found', 'No such receivable');
        const account = await tx.accounts.findById(found.accountId);
        if (!account) throw new Error(`receivable ${id}: account ${found.accountId} vanished`);
        const settled = await tx.receivables.settle(id, clock.now());
        if (!settled) throw new TradeplaneError('conflict', 'The receivable is already settled');
        const entryId = ids.next();
        await wallets.within.settleOwed(tx, { account, amount: found.amount, how: input.how, entryId, reference: id, metadata: { receivable: id, how: input.how }, actorId });
        await audit.recordIn(
          tx,
          { actorId, action: `receivable.${input.how === 'collect' ? 'collected' : 'written_off'}`, targetType: 'account', targetId: found.accountId, details: { receivable_id: id, amount: formatAmount(found.amount, currency(found.currency)), currency: found.currency, note: input.note, entry_id: entryId } },
          context,
        );
        return toReceivable(settled);
      });
    },
  };
}
