import { TradeplaneError } from '../errors.js';
import type { SubscriptionRecord } from '../ports/index.js';
import { formatAmount, parseAmount, parseFormatted } from '../money/amount.js';
import { decimalFraction, divideRounded } from '../money/decimal.js';
import type { Trade, TradeEvent } from '../trading/service.js';
import type { CopyServiceDeps } from './service.js';

/**
 * The copy hook (see `CopyService`): the trade listener that opens followers' copies of a
 * master's new trade and closes them when it closes. `current` brings a subscription up to
 * date (expiring it when its time has passed) before it is used.
 */
export function createCopyHook(
  { storage, logger, wallets, risk, trading }: Pick<CopyServiceDeps, 'storage' | 'logger' | 'wallets' | 'risk' | 'trading'>,
  current: (s: SubscriptionRecord) => Promise<SubscriptionRecord>,
): (event: TradeEvent) => Promise<void> {
  /**
   * The copy's stake in the follower's currency, or a reason to skip it. A copy goes only onto
   * an account of the master trade's kind: a demo trade risks nothing, so it must never size,
   * place or be charged for a copy in real money (nor a real trade in demo money).
   */
  async function copyStake(s: SubscriptionRecord, trade: Trade, masterKind: string): Promise<{ stake: string; accountId: string } | { skip: string }> {
    const account = await (s.accountId ? wallets.getAccount(s.followerId, s.accountId) : wallets.defaultAccount(s.followerId)).catch(() => undefined);
    if (!account) return { skip: 'account_unavailable' };
    if (account.kind !== masterKind) return { skip: 'account_kind_mismatch' };
    const currency = wallets.currencies.get(account.currency)!;
    let stake: bigint;
    if (s.copyMode === 'fixed') {
      const fixed = parseAmount(s.fixedStake!, currency);
      if (!fixed.ok) return { skip: 'stake_not_in_account_currency' };
      stake = fixed.minor;
    } else {
      if (trade.currency !== account.currency) return { skip: 'currency_mismatch' };
      const masterStake = parseFormatted(trade.stake, currency);
      if (s.copyMode === 'multiplier') {
        const k = decimalFraction(s.multiplier!);
        stake = divideRounded(masterStake * k.digits, 10n ** BigInt(k.scale));
      } else {
        const master = await wallets.getAccount(s.masterUserId, trade.accountId).catch(() => undefined);
        const masterEquity = master ? parseFormatted(master.balance, currency) : 0n;
        if (masterEquity <= 0n) return { skip: 'master_equity_unknown' };
        stake = divideRounded(masterStake * parseFormatted(account.balance, currency), masterEquity);
      }
    }
    // The profile's limits are in its own currency: they bound copies in that currency only.
    const profile = await risk.profile(s.followerId);
    const caps = profile.currency === account.currency ? [parseFormatted(profile.maxStake, currency)] : [];
    if (s.maxStake) {
      const cap = parseAmount(s.maxStake, currency);
      if (cap.ok) caps.push(cap.minor);
    }
    for (const cap of caps) if (stake > cap) stake = cap;
    if (stake <= 0n) return { skip: 'stake_too_small' };
    return { stake: formatAmount(stake, currency), accountId: account.id };
  }

  async function onTrade(event: TradeEvent): Promise<void> {
    if (event.trade.source === 'copy') return;
    if (event.type === 'opened') {
      const subscriptions = await storage.repos.copy.listActiveForMasterUser(event.userId);
      if (subscriptions.length === 0) return;
      const masterKind = (await storage.repos.accounts.findById(event.trade.accountId))?.kind;
      if (masterKind !== 'demo' && masterKind !== 'real') {
        logger.warn({ event: 'copy.skipped', tradeId: event.trade.id, reason: 'master_account_unavailable' }, 'A trade was not copied');
        return;
      }
      for (const found of subscriptions) {
        const s = await current(found);
        if (s.status !== 'active') continue;
        try {
          const sized = await copyStake(s, event.trade, masterKind);
          if ('skip' in sized) {
            // A subscription on the other kind of account is not meant to copy this trade: that is the rule, not a problem.
            const log = sized.skip === 'account_kind_mismatch' ? logger.info : logger.warn;
            log.call(logger, { event: 'copy.skipped', subscriptionId: s.id, tradeId: event.trade.id, reason: sized.skip }, 'A trade was not copied');
            continue;
          }
          // The account checked above, not "the default" again: the default may change meanwhile.
          await trading.execute(s.followerId, {
            accountId: sized.accountId,
            symbol: event.trade.symbol,
            side: event.trade.side,
            stake: sized.stake,
            stopLoss: event.trade.stopLoss ?? undefined,
            takeProfit: event.trade.takeProfit ?? undefined,
            idempotencyKey: `copy:${s.id}:${event.trade.id}`,
            source: 'copy',
            reference: event.trade.id,
            subscriptionId: s.id,
          });
        } catch (error) {
          // Risk refusals are already protection events; anything else is logged, the others still copy.
          if (!(error instanceof TradeplaneError && error.code === 'risk_rejected')) {
            logger.warn({ event: 'copy.failed', subscriptionId: s.id, tradeId: event.trade.id, error: error instanceof Error ? error.message : String(error) }, 'A trade could not be copied');
          }
        }
      }
    } else {
      for (const copy of await storage.repos.trades.listOpenCopies(event.trade.id)) {
        try {
          await trading.closeTrade(copy.userId, copy.id, 'copy');
        } catch (error) {
          if (!(error instanceof TradeplaneError && error.code === 'trade_not_open')) {
            logger.warn({ event: 'copy.close_failed', tradeId: copy.id, error: error instanceof Error ? error.message : String(error) }, 'A copy could not be closed');
          }
        }
      }
    }
  }

  return onTrade;
}
