import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { CommissionChargeRecord, CommissionKind, CopyResult, Repositories, Storage, SubscriptionRecord, TradeRecord } from '../ports/storage.js';
import { formatStored } from '../money/amount.js';
import { bpsOf, rateOf, shareOf as share } from './rates.js';
import type { CurrencyRegistry } from '../money/currency.js';
import { keysetPage } from '../pagination.js';
import type { WalletService } from '../wallets/service.js';
import type { NotificationService } from '../notifications/service.js';
import type { AffiliateService } from '../affiliates/service.js';
import type { CopyOptions } from './options.js';

export type SettlementPeriod = 'daily' | 'weekly' | 'monthly';

export interface CommissionCharge {
  id: string;
  kind: CommissionKind;
  subscriptionId: string;
  masterId: string;
  followerId: string;
  accountId: string;
  currency: string;
  period: string;
  periodStart: string | null;
  periodEnd: string;
  tradeId: string | null;
  /** Performance fee: the change in copy equity since the previous fee; markup: the trade's P&L. */
  profit: string;
  equity: string | null;
  highWaterMark: { before: string | null; after: string | null };
  rate: string;
  fee: string;
  charged: string;
  /** `fee − charged`: what the follower's available balance could not cover (not pursued). */
  shortfall: string;
  split: { master: string; platform: string; affiliate: string };
  entryId: string | null;
  createdAt: string;
}

export interface SettlementReport {
  period: string;
  periodStart: string;
  periodEnd: string;
  /** Performance-fee statements written (zero fees included). */
  statements: number;
  /** Markups charged by the sweep (ones the close-time hook missed). */
  markups: number;
  /** Subscriptions and accounts with nothing new since their last statement, or already settled. */
  skipped: number;
}

/**
 * Commission on copy trading, posted to the ledger.
 *
 * **Performance fee**, per subscription and follower account, at each settlement period:
 * equity E = Σ P&L of the subscription's closed copies on that account so far (before fees);
 * fee = rate × (E − HWM) when positive, where HWM is the high-water mark the last fee left
 * (absent at first: 0, which makes the first fee the plain `profit × rate if profit > 0`);
 * then HWM = max(HWM, E). So a loss charges nothing, a recovery below the mark charges nothing,
 * and a new high is charged on the excess only. Fees are rounded down to the minor unit.
 *
 * **Markup**: each copied trade that closes with a profit charges profit × the master's markup
 * rate, when it closes (the trade-event hook) or, if that was missed, at the next settlement.
 *
 * Each charge moves from the follower's account to the master's account of the same currency
 * and kind (opened at zero if they have none), minus the platform's share (`commission` system
 * account; for demo money, back to `demo_faucet`), of which the follower's affiliate gets theirs
 * (into their account of the same kind) — one journal entry of kind
 * `commission`. A charge's key (`fee:<subscription>:<account>:<period>`, `markup:<trade>`) is
 * unique, inserted in the entry's transaction: running a settlement twice, or on two instances
 * at once, charges once. When the available balance is short, what is there is charged and the
 * rest is recorded as `shortfall`.
 */
export interface CommissionService {
  /** Settles performance fees for a completed period (default: the last one) and sweeps missed markups. */
  settle(input?: { period?: string }): Promise<SettlementReport>;
  /** Charges one closed copy's markup (idempotent); called on each copy's close. */
  chargeMarkup(trade: TradeRecord): Promise<void>;
  /** Charges where the user is the follower or the master (or one side with `as`), newest first. */
  statements(userId: string, filter?: { as?: 'follower' | 'master'; period?: string; kind?: CommissionKind; cursor?: string; limit?: number }): Promise<{ charges: CommissionCharge[]; nextCursor: string | null }>;
  /** The period `at` falls in (its label, start and exclusive end). */
  periodOf(at: Date): { label: string; start: Date; end: Date };
  /** Parses a period label of the configured kind; undefined when it is not one. */
  parsePeriod(label: string): { label: string; start: Date; end: Date } | undefined;
}

const DAY = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Label, start and end of UTC periods. Weeks are ISO weeks (Monday first, `2026-W48`). */
export function periods(kind: SettlementPeriod) {
  function of(at: Date): { label: string; start: Date; end: Date } {
    const y = at.getUTCFullYear();
    const m = at.getUTCMonth();
    if (kind === 'monthly') return { label: `${y}-${pad(m + 1)}`, start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
    const dayStart = Date.UTC(y, m, at.getUTCDate());
    if (kind === 'daily') return { label: new Date(dayStart).toISOString().slice(0, 10), start: new Date(dayStart), end: new Date(dayStart + DAY) };
    const weekday = (new Date(dayStart).getUTCDay() + 6) % 7; // Monday 0
    const start = dayStart - weekday * DAY;
    const thursday = new Date(start + 3 * DAY); // an ISO week belongs to its Thursday's year
    const isoYear = thursday.getUTCFullYear();
    const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * DAY)) + 1;
    return { label: `${isoYear}-W${pad(week)}`, start: new Date(start), end: new Date(start + 7 * DAY) };
  }
  function parse(label: string): { label: string; start: Date; end: Date } | undefined {
    let at: Date | undefined;
    if (kind === 'daily' && /^\d{4}-\d{2}-\d{2}$/.test(label)) at = new Date(`${label}T00:00:00Z`);
    if (kind === 'monthly' && /^\d{4}-\d{2}$/.test(label)) at = new Date(`${label}-01T00:00:00Z`);
    const week = kind === 'weekly' ? /^(\d{4})-W(\d{2})$/.exec(label) : null;
    if (week) {
      // The Monday of week 1 is the Monday of the week holding 4 January.
      const jan4 = Date.UTC(Number(week[1]), 0, 4);
      const monday1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY;
      at = new Date(monday1 + (Number(week[2]) - 1) * 7 * DAY);
    }
    if (!at || Number.isNaN(at.getTime())) return undefined;
    const found = of(at);
    return found.label === label ? found : undefined;
  }
  return { of, parse };
}


export function createCommissionService(deps: {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  wallets: WalletService;
  notifications: NotificationService;
  affiliates: AffiliateService;
  options: CopyOptions;
}): CommissionService {
  const { storage, clock, ids, logger, wallets, notifications, affiliates, options } = deps;
  const currencies: CurrencyRegistry = wallets.currencies;
  const calendar = periods(options.commission.period);
  const platformBps = bpsOf(options.commission.platformShare);
  const affiliateBps = bpsOf(options.affiliates.share);

  const money = (minor: bigint | null, code: string) => (minor === null ? null : formatStored(minor, currencies.get(code)));

  const toView = (c: CommissionChargeRecord): CommissionCharge => ({
    id: c.id,
    kind: c.kind,
    subscriptionId: c.subscriptionId,
    masterId: c.masterId,
    followerId: c.followerId,
    accountId: c.accountId,
    currency: c.currency,
    period: c.period,
    periodStart: c.periodStart ? c.periodStart.toISOString() : null,
    periodEnd: c.periodEnd.toISOString(),
    tradeId: c.tradeId,
    profit: money(c.profit, c.currency)!,
    equity: money(c.equity, c.currency),
    highWaterMark: { before: money(c.hwmBefore, c.currency), after: money(c.hwmAfter, c.currency) },
    rate: rateOf(c.rateBps),
    fee: money(c.fee, c.currency)!,
    charged: money(c.charged, c.currency)!,
    shortfall: money(c.fee - c.charged, c.currency)!,
    split: { master: money(c.masterAmount, c.currency)!, platform: money(c.platformAmount, c.currency)!, affiliate: money(c.affiliateAmount, c.currency)! },
    entryId: c.entryId,
    createdAt: c.createdAt.toISOString(),
  });

  /**
   * Inserts the charge (claiming its key) and posts what it takes, in the caller's transaction.
   * Returns false when the key was already taken.
   */
  async function charge(tx: Repositories, s: SubscriptionRecord, draft: Omit<CommissionChargeRecord, 'id' | 'charged' | 'masterAmount' | 'platformAmount' | 'affiliateAmount' | 'affiliateUserId' | 'entryId' | 'createdAt' | 'masterId' | 'masterUserId' | 'followerId' | 'subscriptionId'>): Promise<boolean> {
    const now = clock.now();
    const account = await tx.accounts.findById(draft.accountId);
    if (!account) throw new Error(`Account ${draft.accountId} of a copy is gone`);
    const available = account.balance - account.held;
    const charged = draft.fee <= 0n ? 0n : draft.fee < available ? draft.fee : available > 0n ? available : 0n;
    const platform = share(charged, platformBps);
    const affiliateUserId = charged > 0n ? await affiliates.affiliateOf(tx, s.followerId) : null;
    const affiliate = affiliateUserId ? share(platform, affiliateBps) : 0n;
    const record: CommissionChargeRecord = {
      ...draft,
      id: ids.next(),
      subscriptionId: s.id,
      masterId: s.masterId,
      masterUserId: s.masterUserId,
      followerId: s.followerId,
      charged,
      masterAmount: charged - platform,
      platformAmount: platform - affiliate,
      affiliateAmount: affiliate,
      affiliateUserId: affiliate > 0n ? affiliateUserId : null,
      entryId: charged > 0n ? ids.next() : null,
      createdAt: now,
    };
    if (!(await tx.commission.insertCharge(record))) return false;
    if (charged > 0n) {
      // Paid in the kind of money that earned it: demo commission goes to the master's and the
      // affiliate's demo accounts, and the platform's part back to the demo faucet — demo money
      // never lands in the platform's (real) commission account.
      const kind = account.kind === 'demo' ? 'demo' : 'real';
      const shares: { to: Parameters<WalletService['within']['distribute']>[1]['shares'][number]['to']; amount: bigint }[] = [
        { to: await wallets.within.payeeAccount(tx, s.masterUserId, account.currency, kind), amount: record.masterAmount },
        { to: kind === 'demo' ? 'demo_faucet' : 'commission', amount: record.platformAmount },
      ];
      if (record.affiliateUserId) shares.push({ to: await wallets.within.payeeAccount(tx, record.affiliateUserId, account.currency, kind), amount: record.affiliateAmount });
      await wallets.within.distribute(tx, {
        entryId: record.entryId!,
        kind: 'commission',
        from: account,
        shares,
        reference: record.key,
        metadata: { kind: record.kind, subscription_id: s.id, period: record.period, trade_id: record.tradeId },
      });
    }
    if (record.fee > 0n) {
      const what = record.kind === 'markup' ? 'Markup' : 'Performance fee';
      const data = { charge_id: record.id, kind: record.kind, subscription_id: s.id, period: record.period, fee: money(record.fee, record.currency), charged: money(charged, record.currency), currency: record.currency };
      await notifications.notifyIn(tx, s.followerId, { type: 'commission.charged', title: `${what} charged: ${money(charged, record.currency)} ${record.currency}`, data });
      if (record.masterAmount > 0n) await notifications.notifyIn(tx, s.masterUserId, { type: 'commission.earned', title: `${what} earned: ${money(record.masterAmount, record.currency)} ${record.currency}`, data: { ...data, amount: money(record.masterAmount, record.currency) } });
      if (record.affiliateUserId) await notifications.notifyIn(tx, record.affiliateUserId, { type: 'affiliate.earned', title: `Affiliate commission: ${money(record.affiliateAmount, record.currency)} ${record.currency}`, data: { ...data, amount: money(record.affiliateAmount, record.currency) } });
    }
    return true;
  }

  async function markup(trade: TradeRecord): Promise<boolean> {
    if (trade.status !== 'closed' || !trade.subscriptionId || trade.pnl === null || trade.pnl <= 0n || !trade.closedAt) return false;
    const closedAt = trade.closedAt;
    const pnl = trade.pnl;
    const subscriptionId = trade.subscriptionId;
    return storage.transaction(async (tx) => {
      const s = await tx.copy.findSubscription(subscriptionId);
      const master = s && (await tx.copy.findMaster(s.masterId));
      if (!s || !master) return false;
      await tx.accounts.lockOwner(s.followerId);
      return charge(tx, s, {
        key: `markup:${trade.id}`,
        kind: 'markup',
        accountId: trade.accountId,
        currency: trade.currency,
        period: periods('daily').of(closedAt).label,
        periodStart: null,
        periodEnd: closedAt,
        tradeId: trade.id,
        profit: pnl,
        equity: null,
        closedCopies: null,
        hwmBefore: null,
        hwmAfter: null,
        rateBps: master.markupBps,
        fee: share(pnl, BigInt(master.markupBps)),
      });
    });
  }

  async function performanceFee(result: CopyResult, period: { label: string; start: Date; end: Date }): Promise<boolean> {
    return storage.transaction(async (tx) => {
      const s = await tx.copy.findSubscription(result.subscriptionId);
      const master = s && (await tx.copy.findMaster(s.masterId));
      if (!s || !master) return false;
      await tx.accounts.lockOwner(s.followerId);
      const last = await tx.commission.latestFee(s.id, result.accountId);
      // Settled already (this period, or a later one whose equity includes this one's).
      if (last && last.periodEnd.getTime() >= period.end.getTime()) return false;
      // Nothing closed since the last statement.
      if (last && last.closedCopies === result.closedCopies && last.equity === result.pnl) return false;
      const mark = last?.hwmAfter ?? 0n;
      const excess = result.pnl - mark;
      return charge(tx, s, {
        key: `fee:${s.id}:${result.accountId}:${period.label}`,
        kind: 'performance_fee',
        accountId: result.accountId,
        currency: result.currency,
        period: period.label,
        periodStart: period.start,
        periodEnd: period.end,
        tradeId: null,
        profit: result.pnl - (last?.equity ?? 0n),
        equity: result.pnl,
        closedCopies: result.closedCopies,
        hwmBefore: last?.hwmAfter ?? null,
        hwmAfter: excess > 0n ? result.pnl : mark,
        rateBps: master.performanceFeeBps,
        fee: excess > 0n ? share(excess, BigInt(master.performanceFeeBps)) : 0n,
      });
    });
  }

  return {
    periodOf: calendar.of,
    parsePeriod: calendar.parse,

    async settle(input = {}) {
      const now = clock.now();
      let period = calendar.of(new Date(calendar.of(now).start.getTime() - 1));
      if (input.period !== undefined) {
        const parsed = calendar.parse(input.period);
        if (!parsed) throw new TradeplaneError('validation_failed', 'Not a settlement period', { fields: [{ in: 'body', path: 'period', code: 'not_a_period', message: `must be a ${options.commission.period} period such as ${calendar.of(now).label}` }] });
        if (parsed.end.getTime() > now.getTime()) throw new TradeplaneError('validation_failed', 'The period is not over', { fields: [{ in: 'body', path: 'period', code: 'not_over', message: `ends at ${parsed.end.toISOString()}` }] });
        period = parsed;
      }
      const report: SettlementReport = { period: period.label, periodStart: period.start.toISOString(), periodEnd: period.end.toISOString(), statements: 0, markups: 0, skipped: 0 };
      // Markups first: a safety net for closes whose hook did not run (a crash, a restart).
      for (;;) {
        const missed = await storage.repos.commission.unchargedMarkups(period.end, 200);
        let charged = 0;
        for (const trade of missed) if (await markup(trade)) charged += 1;
        report.markups += charged;
        if (missed.length < 200 || charged === 0) break;
      }
      for (const result of await storage.repos.commission.copyResults(period.end)) {
        if (await performanceFee(result, period)) report.statements += 1;
        else report.skipped += 1;
      }
      logger.info({ event: 'commission.settled', ...report }, 'Commission settled');
      return report;
    },

    async chargeMarkup(trade) {
      await markup(trade);
    },

    async statements(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.commission.listCharges({ userId, as: filter.as, period: filter.period, kind: filter.kind, cursor: filter.cursor, limit: n }), toView);
      return { charges: page.items, nextCursor: page.nextCursor };
    },
  };
}
