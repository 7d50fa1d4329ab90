import type { AuditLog } from '../audit/audit-log.js';
import { TradeplaneError } from '../errors.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { keysetPage } from '../pagination.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { AccountRecord, DepositRecord, DepositStatus, Repositories, Storage } from '../ports/storage.js';
import type { WalletService } from '../wallets/service.js';
import type { DepositIntent, FundingProvider, ProviderEvent, ProviderWebhook } from './provider.js';

/** A deposit as its owner sees it. */
export interface Deposit {
  id: string;
  accountId: string;
  provider: string;
  providerReference: string;
  amount: string;
  currency: string;
  status: DepositStatus;
  entryId: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DepositRequested {
  deposit: Deposit;
  /** What the payer needs to complete the payment with the provider. */
  payment: Omit<DepositIntent, 'providerReference'>;
}

export interface PaymentService {
  /** Asks a provider for a payment into one of the user's real accounts: a pending deposit; money moves only when the provider confirms it. */
  requestDeposit(userId: string, input: { accountId?: string; amount: string; currency: string; provider?: string }): Promise<DepositRequested>;
  deposits(userId: string, filter?: { status?: DepositStatus; cursor?: string; limit?: number }): Promise<{ deposits: Deposit[]; nextCursor: string | null }>;
  deposit(userId: string, id: string): Promise<Deposit>;
  /**
   * A provider's callback: verified first (nothing is written for a bad or stale signature but
   * an audit record), recorded once by its event id (a redelivery changes nothing), then acted
   * on. The ledger is credited in the transaction that marks the deposit `succeeded`, once per
   * payment whatever the order or number of deliveries.
   */
  receiveWebhook(provider: string, webhook: ProviderWebhook): Promise<{ duplicate: boolean }>;
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
    entryId: d.entryId,
    failureReason: d.failureReason,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
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

  /** Acts on one verified event inside its transaction (the event is already recorded there). */
  async function apply(tx: Repositories, provider: string, event: Exclude<ProviderEvent, { type: 'ignored' }>): Promise<void> {
    const deposit = await tx.deposits.findByReference(provider, event.reference);
    // The provider may call before the deposit's own transaction has committed: refuse, write
    // nothing (the event is not recorded either), and let its retry find the deposit.
    if (!deposit) throw new TradeplaneError('conflict', `No deposit for ${provider} payment ${event.reference} yet; retry later`);
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
        const account = await tx.accounts.findById(deposit.accountId);
        if (!account) throw new Error(`deposit ${deposit.id}: account ${deposit.accountId} vanished`);
        await wallets.within.fundFromOutside(tx, {
          account,
          amount: deposit.amount,
          entryId,
          reference: deposit.id,
          metadata: { funding_source: provider, source_reference: deposit.providerReference },
          actorId: null,
        });
        return;
      }
    }
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
      const id = ids.next();
      // The provider is asked first, outside any transaction (a network call); our id is its idempotency key.
      const intent = await provider.createDeposit({ depositId: id, userId, accountId: account.id, amount: parsed.minor, currency: c });
      const now = clock.now();
      const record: DepositRecord = {
        id,
        userId,
        accountId: account.id,
        provider: provider.name,
        providerReference: intent.providerReference,
        amount: parsed.minor,
        currency: c.code,
        status: 'pending',
        entryId: null,
        failureReason: null,
        createdAt: now,
        updatedAt: now,
      };
      await storage.repos.deposits.insert(record);
      const { providerReference: _, ...payment } = intent;
      return { deposit: toDeposit(record), payment };
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

    async receiveWebhook(name, webhook) {
      const provider = providers.get(name);
      if (!provider) throw new TradeplaneError('not_found', `No payment provider ${name}`);
      let event: ProviderEvent;
      try {
        event = await provider.verifyEvent(webhook);
      } catch (error) {
        if (error instanceof TradeplaneError && (error.code === 'invalid_signature' || error.code === 'stale_webhook')) {
          await storage.transaction((tx) => audit.recordIn(tx, { actorId: null, action: 'webhook.rejected', targetType: 'provider', targetId: name, details: { code: error.code } }));
        }
        throw error;
      }
      return storage.transaction(async (tx) => {
        const recorded = await tx.providerEvents.insert({
          provider: name,
          eventId: event.id,
          type: event.type === 'ignored' ? event.providerType : event.type,
          objectId: event.type === 'ignored' ? null : event.reference,
          receivedAt: clock.now(),
        });
        if (!recorded) return { duplicate: true };
        if (event.type === 'ignored') logger.info({ event: 'webhook.ignored', provider: name, type: event.providerType, eventId: event.id }, 'A provider event tradeplane does not act on');
        else await apply(tx, name, event);
        return { duplicate: false };
      });
    },
  };
}
