import { TradeplaneError } from '../errors.js';
import type { AccountRecord, HoldRecord, Repositories } from '../ports/index.js';
import type { WalletContext } from './context.js';
import { systemFor, type Journal, type Line, type Posted } from './journal.js';
import type { CashMovement, LedgerSteps } from './service.js';

/** The ledger steps other services (and funding) compose into their own transaction. */
export function createLedgerSteps(ctx: WalletContext, journal: Pick<Journal, 'systemAccount' | 'apply' | 'post'>): LedgerSteps {
  const { clock, ids, deps, ownAccount, accountAfter, cashMovement, withBalance } = ctx;
  const { systemAccount, apply, post } = journal;

  const within: LedgerSteps = {
    ownAccount,
    async payeeAccount(tx, userId, code, kind) {
      const accounts = (await tx.accounts.listForUser(userId)).filter((a) => a.currency === code && a.kind === kind && a.status === 'active');
      const found = accounts.find((a) => a.isDefault) ?? accounts.sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1))[0];
      if (found) return found;
      await tx.accounts.lockOwner(userId);
      // Opened at zero even when it is a demo account: it receives money, it is not a new player.
      const account: AccountRecord = { id: ids.next(), userId, currency: code, kind, systemCode: null, isDefault: false, status: 'active', balance: 0n, held: 0n, createdAt: clock.now() };
      await tx.accounts.insert(account);
      return account;
    },
    async distribute(tx, { entryId, kind, from, shares, reference, metadata }) {
      const total = shares.reduce((sum, share) => sum + share.amount, 0n);
      const lines: Line[] = [{ account: from, amount: -total }];
      for (const share of shares) {
        if (share.amount === 0n) continue;
        const account = typeof share.to === 'string' ? await systemAccount(tx, share.to, from.currency) : share.to;
        if (account.kind !== 'system' && (account.currency !== from.currency || account.kind !== from.kind)) throw new Error('A share must go to an account of the same currency and kind');
        // Two shares to one account (a master who is also the affiliate) become one posting.
        const same = lines.find((l) => l.account.id === account.id);
        if (same) same.amount += share.amount;
        else lines.push({ account, amount: share.amount });
      }
      if (total === 0n) return;
      await post(tx, { id: entryId, kind, reference, metadata: metadata ?? null, actorId: null }, lines);
    },
    async reserve(tx, account, amount, { reference, expiresAt = null }) {
      const now = clock.now();
      await apply(tx, { account, amount: 0n, heldDelta: amount }, now);
      const record: HoldRecord = {
        id: ids.next(),
        accountId: account.id,
        amount,
        status: 'pending',
        reference,
        expiresAt,
        createdAt: now,
        resolvedAt: null,
        capturedAmount: null,
        entryId: null,
      };
      await tx.holds.insert(record);
      return record;
    },
    async release(tx, holdId, detail = 'The stake is no longer reserved') {
      const resolved = await tx.holds.resolve(holdId, { status: 'released', at: clock.now() });
      if (!resolved) throw new TradeplaneError('hold_not_pending', detail);
      await tx.accounts.applyDelta(resolved.accountId, 0n, -resolved.amount);
      return resolved;
    },
    async settle(tx, { holdId, pnl, entryId, reference, metadata }) {
      if (pnl === 0n) {
        await within.release(tx, holdId);
        return;
      }
      const hold = await tx.holds.findById(holdId);
      if (!hold) throw new TradeplaneError('not_found', 'No such hold');
      if (-pnl > hold.amount) throw new Error(`A settlement cannot take more than the held ${hold.amount}, asked ${-pnl}`);
      const resolved = await tx.holds.resolve(hold.id, { status: 'captured', at: clock.now(), capturedAmount: pnl < 0n ? -pnl : 0n, entryId });
      if (!resolved) throw new TradeplaneError('hold_not_pending', 'The stake is no longer reserved');
      const account = (await tx.accounts.findById(hold.accountId))!;
      const settlement = await systemAccount(tx, systemFor(account, 'settlement'), account.currency);
      await post(tx, { id: entryId, kind: 'trade_settlement', reference, metadata, actorId: account.userId }, [
        { account, amount: pnl, heldDelta: -hold.amount },
        { account: settlement, amount: -pnl },
      ]);
    },
    async fundFromOutside(tx, { account, amount, entryId, reference, metadata, actorId }) {
      const external = await systemAccount(tx, 'external', account.currency);
      const result = await post(tx, { id: entryId, kind: 'deposit', reference, metadata, actorId }, [
        { account, amount },
        { account: external, amount: -amount },
      ]);
      await tellHolder(tx, 'deposit', account, result);
    },
    async payOut(tx, { holdId, entryId, reference, metadata, actorId }) {
      const hold = await tx.holds.findById(holdId);
      if (!hold) throw new TradeplaneError('not_found', 'No such hold');
      const resolved = await tx.holds.resolve(hold.id, { status: 'captured', at: clock.now(), capturedAmount: hold.amount, entryId });
      if (!resolved) throw new TradeplaneError('hold_not_pending', 'The withdrawal no longer holds its amount');
      const account = (await tx.accounts.findById(hold.accountId))!;
      const external = await systemAccount(tx, 'external', account.currency);
      const result = await post(tx, { id: entryId, kind: 'withdrawal', reference, metadata, actorId }, [
        { account, amount: -hold.amount, heldDelta: -hold.amount },
        { account: external, amount: hold.amount },
      ]);
      await tellHolder(tx, 'withdrawal', account, result);
    },
    async returnToPayer(tx, { account, amount, holdId, entryId, kind, reference, metadata }) {
      // Locks the account row (a zero change) and reads what it holds now: the split below must
      // not race a withdrawal or a trade taking the same money.
      const locked = await tx.accounts.applyDelta(account.id, 0n, 0n);
      if (!locked) throw new Error(`account ${account.id} vanished`);
      let held = 0n;
      if (holdId !== null) {
        const hold = await tx.holds.findById(holdId);
        const captured = hold ? await tx.holds.resolve(hold.id, { status: 'captured', at: clock.now(), capturedAmount: hold.amount < amount ? hold.amount : amount, entryId }) : undefined;
        if (captured) held = captured.amount;
      }
      const fromHold = held < amount ? held : amount;
      const available = locked.balance - locked.held;
      const rest = amount - fromHold;
      const fromAvailable = available <= 0n ? 0n : available < rest ? available : rest;
      const shortfall = rest - fromAvailable;
      const fromAccount = fromHold + fromAvailable;
      const external = await systemAccount(tx, 'external', account.currency);
      const lines: Line[] = [{ account: external, amount }];
      // A captured hold stops reserving all it held; a hold larger than the amount leaves its surplus available.
      if (fromAccount > 0n || held > 0n) lines.unshift({ account, amount: -fromAccount, heldDelta: -held });
      if (shortfall > 0n) lines.push({ account: await systemAccount(tx, systemFor(account, 'receivable'), account.currency), amount: -shortfall });
      await post(tx, { id: entryId, kind, reference, metadata, actorId: null }, lines);
      return { fromAccount, shortfall };
    },
    async settleOwed(tx, { account, amount, how, entryId, reference, metadata, actorId }) {
      const receivable = await systemAccount(tx, systemFor(account, 'receivable'), account.currency);
      const payer = how === 'collect' ? account : await systemAccount(tx, systemFor(account, 'adjustments'), account.currency);
      await post(tx, { id: entryId, kind: 'adjustment', reference, metadata, actorId }, [
        { account: payer, amount: -amount },
        { account: receivable, amount },
      ]);
    },
  };

  /** The deposit or withdrawal notice, in the movement's transaction (real money that an operator or a source moved). */
  async function tellHolder(tx: Repositories, kind: CashMovement['kind'], account: AccountRecord, result: Posted): Promise<void> {
    const cash = deps.cashNotifications;
    if (!cash || account.userId === null) return;
    const after = accountAfter(account, result.after.get(account.id)!);
    const amount = result.transactions.find((t) => t.accountId === account.id)!.amount;
    await cash.notifications.notifyIn(tx, account.userId, withBalance(cash.notice(cashMovement(kind, account.userId, account, result.entryId, amount)), after.balance));
  }

  return within;
}
