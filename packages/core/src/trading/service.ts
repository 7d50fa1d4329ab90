import { invalidFields, TradeplaneError, type FieldError } from '../errors.js';
import type { Clock, Ids, Logger, Storage } from '../ports/index.js';
import type { OrderRecord, OrderStatus, OrderType, Repositories, TradeCloseReason, TradeRecord, TradeSide, TradeSource, TradeStatus } from '../ports/storage.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { MAX_MINOR_UNITS, type Currency } from '../money/currency.js';
import { systemFor, type LedgerSteps, type WalletService } from '../wallets/service.js';
import { createIdempotency, isReplayed, markReplayed } from '../idempotency/idempotency.js';
import type { RiskCheck, RiskService, RiskVerdict } from '../risk/service.js';
import type { Broker, BrokerBar, Fill, PaperBroker } from './broker.js';
import { stakeForQuantity, stakePnl, uncappedPnl } from './pricing.js';
import { keysetPage } from '../pagination.js';
import { exitOnBar } from './triggers.js';

/** A trade as the API shows it: money as decimal strings, prices as numbers. */
export interface Trade {
  id: string;
  accountId: string;
  orderId: string;
  symbol: string;
  side: TradeSide;
  stake: string;
  currency: string;
  quantity: number;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  status: TradeStatus;
  exitPrice: number | null;
  closeReason: TradeCloseReason | null;
  /** Realised P&L (null while open). */
  pnl: string | null;
  source: TradeSource;
  reference: string | null;
  /** The copy-trading subscription a copy was placed through. */
  subscriptionId: string | null;
  openedAt: string;
  closedAt: string | null;
}

export interface Order {
  id: string;
  accountId: string;
  symbol: string;
  side: TradeSide;
  type: OrderType;
  status: OrderStatus;
  stake: string;
  currency: string;
  price: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  tradeId: string | null;
  fillPrice: number | null;
  source: TradeSource;
  reference: string | null;
  rejectReason: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** The user's open trades on one symbol and side of one account, taken together. */
export interface Position {
  accountId: string;
  symbol: string;
  side: TradeSide;
  trades: number;
  quantity: number;
  stake: string;
  currency: string;
  /** Σ stake ÷ Σ quantity: the price the position was bought (or sold) at on average. */
  averageEntryPrice: number;
  /** The last price (null when the broker has none). */
  price: number | null;
  /** Σ of each trade's P&L at `price` (null without a price). */
  unrealisedPnl: string | null;
}

export interface TradeProfit {
  tradeId: string;
  status: TradeStatus;
  /** The exit price of a closed trade, or the last price of an open one. */
  price: number;
  pnl: string;
  /** pnl ÷ stake × 100. */
  pnlPercent: number;
  realised: boolean;
  currency: string;
}

export interface OrderInput {
  accountId?: string;
  symbol: string;
  side: TradeSide;
  /** Default `market`. */
  type?: OrderType;
  /** The limit or stop price: required for those types, refused for market orders. */
  price?: number;
  /** Decimal string in the account's currency. Give a stake or a quantity; neither → the risk manager's recommended stake. */
  stake?: string;
  /** Units of the instrument; converted to a stake at the order's price (market: the current ask or bid). */
  quantity?: number;
  stopLoss?: number;
  takeProfit?: number;
  idempotencyKey: string;
  source?: TradeSource;
  reference?: string;
  /** For copy trading: the subscription the order came through (recorded with rejections). */
  subscriptionId?: string;
}

export interface ListFilter {
  symbol?: string;
  cursor?: string;
  limit?: number;
}

/**
 * Orders, trades and positions on the ledger.
 *
 * Placing an order asks the risk manager (inside the transaction that also locks the user's
 * row, so two orders cannot both take the last open position), reserves the stake with a
 * ledger hold and stores the order; then the broker gets it. A fill opens a trade backed by
 * the same hold. Closing settles the trade's P&L (`stakePnl`) into the account in one
 * `trade_settlement` entry, counts it into the losing streak, and stores the locks that trips.
 * Stop-loss, take-profit and stop-out are watched here, on every stored bar (`exitOnBar`).
 */
export interface TradingService {
  readonly broker: Broker;
  /** Opens a trade at market (`POST /trades/execute`). */
  execute(userId: string, input: Omit<OrderInput, 'type' | 'price'>): Promise<Trade>;
  placeOrder(userId: string, input: OrderInput): Promise<Order>;
  cancelOrder(userId: string, orderId: string): Promise<Order>;
  order(userId: string, orderId: string): Promise<Order>;
  orders(userId: string, filter?: ListFilter & { status?: OrderStatus }): Promise<{ orders: Order[]; nextCursor: string | null }>;
  trade(userId: string, tradeId: string): Promise<Trade>;
  trades(userId: string, filter?: ListFilter & { status?: TradeStatus }): Promise<{ trades: Trade[]; nextCursor: string | null }>;
  /** Closes an open trade at market. */
  closeTrade(userId: string, tradeId: string, reason?: TradeCloseReason): Promise<Trade>;
  profit(userId: string, tradeId: string): Promise<TradeProfit>;
  positions(userId: string): Promise<Position[]>;
  /** Feeds a stored bar: the broker fills resting orders it crosses, then stops and targets are checked. */
  onBar(bar: BrokerBar): Promise<void>;
  /**
   * Calls `listener` after each trade opens or closes (after its transaction commits), in the
   * order they happened. Copy trading mirrors masters' trades from here; backtests follow their
   * equity. A failing listener is logged and does not undo the trade. Returns an unsubscribe function.
   */
  subscribe(listener: (event: TradeEvent) => void | Promise<void>): () => void;
}

/** A trade that opened (from a fill) or closed (settled), with the user it belongs to. */
export type TradeEvent = { type: 'opened' | 'closed'; userId: string; trade: Trade };

export interface TradingServiceDeps {
  /** Told of each order placed or resolved, after its transaction commits (the real-time stream). */
  onOrderCommitted?: (userId: string, order: Order) => void;
  afterCommit?: (tx: Repositories, fn: () => void) => void;
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  wallets: WalletService;
  risk: RiskService;
  broker: Broker;
  idempotencyTtl: number;
}

const isPaper = (broker: Broker): broker is PaperBroker => typeof (broker as Partial<PaperBroker>).onBar === 'function';
const iso = (d: Date) => d.toISOString();
const opposite = (side: TradeSide): TradeSide => (side === 'BUY' ? 'SELL' : 'BUY');

/** Risk refusals waiting to be logged once their transaction has rolled back. */
const refusals = new WeakMap<object, { check: RiskCheck; verdict: Extract<RiskVerdict, { ok: false }>; at: Date }>();

export function createTradingService(deps: TradingServiceDeps): TradingService {
  const { storage, clock, ids, logger, wallets, risk, broker } = deps;
  const ledger: LedgerSteps = wallets.within;
  const idempotency = createIdempotency({ storage, clock, ttlSeconds: deps.idempotencyTtl });
  const listeners = new Set<(event: TradeEvent) => void | Promise<void>>();

  async function emit(type: TradeEvent['type'], record: TradeRecord): Promise<void> {
    if (listeners.size === 0) return;
    const event: TradeEvent = { type, userId: record.userId, trade: toTrade(record) };
    for (const listener of listeners) {
      try {
        await listener(event);
      } catch (error) {
        logger.error({ event: 'trading.listener_failed', tradeId: record.id, type, error: error instanceof Error ? error.message : String(error) }, 'A trade listener failed');
      }
    }
  }

  /** Tells `onOrderCommitted` of an order's new state once its transaction commits. */
  function announceOrder(tx: Repositories, order: OrderRecord): void {
    const hook = deps.onOrderCommitted;
    if (hook && deps.afterCommit) deps.afterCommit(tx, () => hook(order.userId, toOrder(order)));
  }

  const currency = (code: string): Currency => wallets.currencies.get(code)!;
  const money = (minor: bigint, code: string) => formatAmount(minor, currency(code));

  const toTrade = (t: TradeRecord): Trade => ({
    id: t.id,
    accountId: t.accountId,
    orderId: t.orderId,
    symbol: t.symbol,
    side: t.side,
    stake: money(t.stake, t.currency),
    currency: t.currency,
    quantity: t.quantity,
    entryPrice: t.entryPrice,
    stopLoss: t.stopLoss,
    takeProfit: t.takeProfit,
    status: t.status,
    exitPrice: t.exitPrice,
    closeReason: t.closeReason,
    pnl: t.pnl === null ? null : money(t.pnl, t.currency),
    source: t.source,
    reference: t.reference,
    subscriptionId: t.subscriptionId,
    openedAt: iso(t.openedAt),
    closedAt: t.closedAt ? iso(t.closedAt) : null,
  });

  const toOrder = (o: OrderRecord): Order => ({
    id: o.id,
    accountId: o.accountId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    status: o.status,
    stake: money(o.stake, o.currency),
    currency: o.currency,
    price: o.price,
    stopLoss: o.stopLoss,
    takeProfit: o.takeProfit,
    tradeId: o.tradeId,
    fillPrice: o.fillPrice,
    source: o.source,
    reference: o.reference,
    rejectReason: o.rejectReason,
    createdAt: iso(o.createdAt),
    resolvedAt: o.resolvedAt ? iso(o.resolvedAt) : null,
  });

  function invalid(fields: FieldError[]): never {
    throw invalidFields(fields);
  }

  /** Checks what can be checked without the database; returns the price that sizes the order and frames its stops. */
  async function referencePrice(input: OrderInput): Promise<number> {
    const type = input.type ?? 'market';
    const fields: FieldError[] = [];
    const at = (path: string, code: string, message: string) => fields.push({ in: 'body', path, code, message });
    if (input.stake !== undefined && input.quantity !== undefined) at('quantity', 'exclusive', 'give a stake or a quantity, not both');
    if (input.quantity !== undefined && !(Number.isFinite(input.quantity) && input.quantity > 0)) at('quantity', 'not_positive', 'must be a positive number');
    if (type === 'market' && input.price !== undefined) at('price', 'not_allowed', 'market orders take no price');
    if (type !== 'market' && input.price === undefined) at('price', 'required', `${type} orders need a price`);
    for (const key of ['price', 'stopLoss', 'takeProfit'] as const) {
      const value = input[key];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) at(key === 'price' ? 'price' : key === 'stopLoss' ? 'stop_loss' : 'take_profit', 'not_positive', 'must be a positive number');
    }
    if (fields.length > 0) invalid(fields);
    let reference: number;
    if (type === 'market') {
      const quote = await broker.quote(input.symbol);
      if (!quote) throw new TradeplaneError('no_market_price', `There is no price for ${input.symbol} yet`);
      reference = input.side === 'BUY' ? quote.ask : quote.bid;
    } else {
      reference = input.price!;
    }
    // Stops must sit on the losing side of the entry and targets on the winning side.
    const below = input.side === 'BUY' ? 'stopLoss' : 'takeProfit';
    const above = input.side === 'BUY' ? 'takeProfit' : 'stopLoss';
    const name = (key: 'stopLoss' | 'takeProfit') => (key === 'stopLoss' ? 'stop_loss' : 'take_profit');
    if (input[below] !== undefined && input[below]! >= reference) at(name(below), 'wrong_side', `must be below the entry price (${reference}) for a ${input.side}`);
    if (input[above] !== undefined && input[above]! <= reference) at(name(above), 'wrong_side', `must be above the entry price (${reference}) for a ${input.side}`);
    if (fields.length > 0) invalid(fields);
    return reference;
  }

  function stakeOf(input: OrderInput, account: { currency: string }, reference: number): bigint | undefined {
    const c = currency(account.currency);
    if (input.stake !== undefined) {
      const parsed = parseAmount(input.stake, c);
      if (!parsed.ok) invalid([{ in: 'body', path: 'stake', code: parsed.problem, message: parsed.message }]);
      return parsed.minor;
    }
    if (input.quantity !== undefined) {
      const stake = stakeForQuantity(input.quantity, reference, c.exponent);
      if (stake <= 0n) invalid([{ in: 'body', path: 'quantity', code: 'too_small', message: 'is worth less than the smallest amount of the currency' }]);
      if (stake > MAX_MINOR_UNITS) {
        invalid([{ in: 'body', path: 'quantity', code: 'too_large', message: `at ${reference} it is worth more than the largest amount, ${formatAmount(MAX_MINOR_UNITS, c)} ${c.code}` }]);
      }
      return stake;
    }
    return undefined;
  }

  /** Stores the order with its stake reserved; nothing reaches the broker yet. */
  async function reserveOrder(userId: string, input: OrderInput): Promise<{ orderId: string }> {
    const reference = await referencePrice(input);
    const type = input.type ?? 'market';
    const source = input.source ?? 'manual';
    try {
      return await idempotency.run(
        {
          userId,
          key: input.idempotencyKey,
          operation: 'place_order',
          input: [input.accountId ?? null, input.symbol, input.side, type, input.price ?? null, input.stake ?? null, input.quantity ?? null, input.stopLoss ?? null, input.takeProfit ?? null, source, input.reference ?? null],
        },
        async (tx) => {
          await tx.accounts.lockOwner(userId);
          const account = await ledger.ownAccount(tx, userId, input.accountId);
          const now = clock.now();
          const check: RiskCheck = { userId, symbol: input.symbol, side: input.side, currency: account.currency, stake: stakeOf(input, account, reference), source, subscriptionId: input.subscriptionId ?? null };
          const verdict = await risk.checkIn(tx, check, now);
          if (!verdict.ok) {
            const error = new TradeplaneError('risk_rejected', verdict.detail, {
              fields: [{ in: 'body', path: verdict.reason.startsWith('stake_') ? 'stake' : '', code: verdict.reason, message: verdict.detail }],
            });
            refusals.set(error, { check, verdict, at: now });
            throw error;
          }
          // A target whose P&L could not be represented could never be paid: refused like a bad field.
          if (input.takeProfit !== undefined && uncappedPnl(verdict.stake, input.side, reference, input.takeProfit) > MAX_MINOR_UNITS) {
            const c = currency(account.currency);
            invalid([{ in: 'body', path: 'take_profit', code: 'too_large', message: `the P&L of ${formatAmount(verdict.stake, c)} ${c.code} at this target would be more than the largest amount, ${formatAmount(MAX_MINOR_UNITS, c)}` }]);
          }
          const orderId = ids.next();
          const hold = await ledger.reserve(tx, account, verdict.stake, { reference: orderId });
          const order: OrderRecord = {
            id: orderId,
            userId,
            accountId: account.id,
            symbol: input.symbol,
            side: input.side,
            type,
            status: 'pending',
            stake: verdict.stake,
            currency: account.currency,
            price: input.price ?? null,
            stopLoss: input.stopLoss ?? null,
            takeProfit: input.takeProfit ?? null,
            holdId: hold.id,
            tradeId: null,
            fillPrice: null,
            source,
            reference: input.reference ?? null,
            subscriptionId: input.subscriptionId ?? null,
            rejectReason: null,
            createdAt: now,
            resolvedAt: null,
          };
          await tx.orders.insert(order);
          announceOrder(tx, order);
          return { orderId };
        },
      );
    } catch (error) {
      const refusal = typeof error === 'object' && error !== null ? refusals.get(error) : undefined;
      if (refusal) await risk.recordRejection(refusal.check, refusal.verdict, refusal.at);
      throw error;
    }
  }

  /** Hands a stored pending order to the broker and records what it says. */
  async function submit(order: OrderRecord): Promise<void> {
    submitted.add(order.id);
    const c = currency(order.currency);
    const result = await broker.placeOrder({
      id: order.id,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      price: order.price,
      size: { notional: formatAmount(order.stake, c) },
      placedAt: order.createdAt,
    });
    if (result.status === 'filled') await recordFill(result.fill);
    else if (result.status === 'rejected') await rejectOrder(order.id, result.reason);
  }

  /**
   * The broker has filled the order: that is a fact to record, so a failed attempt (a dropped
   * connection, a deadlock) is retried — applying a fill twice is a no-op, since only a pending
   * order can be filled. If every attempt fails, the order stays pending with its hold, and is
   * submitted again when the next process starts (`resume`).
   */
  async function recordFill(fill: Fill): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await applyFill(fill);
      } catch (error) {
        if (attempt >= 3) throw error;
        logger.warn({ event: 'trading.fill_retry', orderId: fill.orderId, attempt, error: error instanceof Error ? error.message : String(error) }, 'Recording a fill failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  async function rejectOrder(orderId: string, reason: string): Promise<void> {
    await storage.transaction(async (tx) => {
      const order = await tx.orders.resolve(orderId, { status: 'rejected', resolvedAt: clock.now(), rejectReason: reason });
      if (order) {
        await ledger.release(tx, order.holdId);
        announceOrder(tx, order);
      }
    });
  }

  /** A fill opens the order's trade, backed by the order's hold. A fill for an order no longer pending is ignored. */
  async function applyFill(fill: Fill): Promise<void> {
    const opened = await storage.transaction(async (tx): Promise<TradeRecord | undefined> => {
      const tradeId = ids.next();
      const order = await tx.orders.resolve(fill.orderId, { status: 'filled', resolvedAt: fill.time, tradeId, fillPrice: fill.price });
      if (!order) {
        logger.warn({ event: 'trading.fill_ignored', orderId: fill.orderId }, 'A fill arrived for an order that is not pending');
        return undefined;
      }
      announceOrder(tx, order);
      const trade: TradeRecord = {
        id: tradeId,
        userId: order.userId,
        accountId: order.accountId,
        orderId: order.id,
        symbol: order.symbol,
        side: order.side,
        stake: order.stake,
        currency: order.currency,
        quantity: fill.quantity,
        entryPrice: fill.price,
        stopLoss: order.stopLoss,
        takeProfit: order.takeProfit,
        status: 'open',
        exitPrice: null,
        closeReason: null,
        pnl: null,
        holdId: order.holdId,
        settlementEntryId: null,
        source: order.source,
        reference: order.reference,
        subscriptionId: order.subscriptionId,
        openedAt: fill.time,
        closedAt: null,
      };
      await tx.trades.insert(trade);
      return trade;
    });
    if (opened) await emit('opened', opened);
  }

  /**
   * Settles an open trade at `exitPrice`: P&L into the ledger, the streak and locks updated, all in
   * one transaction. A gain no balance can hold — the account's, or the settlement account's on
   * the other side, past 2^63 − 1 minor units — makes that posting fail; the trade is then settled
   * with the gain cut to what both can hold (the uncapped figure kept in the entry's metadata and
   * logged), so a trade is always closable and settling never throws on overflow.
   */
  async function settle(trade: TradeRecord, exitPrice: number, reason: TradeCloseReason, at: Date): Promise<TradeRecord> {
    const pnl = stakePnl(trade.stake, trade.side, trade.entryPrice, exitPrice);
    try {
      return await settleAt(trade, exitPrice, reason, at, pnl);
    } catch (error) {
      if (pnl <= 0n || (error instanceof TradeplaneError && error.code === 'trade_not_open')) throw error;
      const room = await settlementRoom(trade);
      if (pnl <= room) throw error;
      const uncapped = uncappedPnl(trade.stake, trade.side, trade.entryPrice, exitPrice);
      logger.warn({ event: 'trading.pnl_capped', tradeId: trade.id, pnl: String(uncapped), paid: String(room) }, 'A P&L past the largest amount was cut to what the accounts can hold');
      return settleAt(trade, exitPrice, reason, at, room, uncapped);
    }
  }

  /** The most a gain on this trade can pay: what keeps its account and the settlement account within 2^63 − 1 minor units. */
  async function settlementRoom(trade: TradeRecord): Promise<bigint> {
    const account = await storage.repos.accounts.findById(trade.accountId);
    const counterparty = await storage.repos.accounts.ensureSystem(systemFor(account ?? { kind: 'real' }, 'settlement'), trade.currency, clock.now());
    const settlement = await storage.repos.accounts.findById(counterparty.id);
    const room = [MAX_MINOR_UNITS - (account?.balance ?? 0n), MAX_MINOR_UNITS + (settlement?.balance ?? 0n)].reduce((a, b) => (a < b ? a : b));
    return room > 0n ? room : 0n;
  }

  async function settleAt(trade: TradeRecord, exitPrice: number, reason: TradeCloseReason, at: Date, pnl: bigint, uncapped?: bigint): Promise<TradeRecord> {
    const closed = await storage.transaction(async (tx: Repositories) => {
      await tx.accounts.lockOwner(trade.userId);
      const entryId = pnl === 0n ? null : ids.next();
      const closed = await tx.trades.close(trade.id, { exitPrice, closeReason: reason, pnl, settlementEntryId: entryId, closedAt: at });
      if (!closed) throw new TradeplaneError('trade_not_open', 'The trade is already closed');
      await ledger.settle(tx, {
        holdId: trade.holdId,
        pnl,
        entryId: entryId ?? '',
        reference: trade.id,
        metadata: { symbol: trade.symbol, side: trade.side, entry_price: trade.entryPrice, exit_price: exitPrice, close_reason: reason, ...(uncapped === undefined ? {} : { pnl_uncapped: String(uncapped) }) },
      });
      await risk.afterSettlementIn(tx, trade.userId, trade.currency, pnl, at);
      return closed;
    });
    await emit('closed', closed);
    return closed;
  }

  async function ownTrade(userId: string, tradeId: string): Promise<TradeRecord> {
    const trade = await storage.repos.trades.findById(tradeId);
    if (!trade || trade.userId !== userId) throw new TradeplaneError('not_found', 'No such trade');
    return trade;
  }

  async function ownOrder(userId: string, orderId: string): Promise<OrderRecord> {
    const order = await storage.repos.orders.findById(orderId);
    if (!order || order.userId !== userId) throw new TradeplaneError('not_found', 'No such order');
    return order;
  }

  /**
   * Places an order end to end. A retry with the same Idempotency-Key does not submit again: it
   * returns the order as it stands now (an order stored by a process that died before handing
   * it to the broker is submitted when the next process starts, see `resume`).
   */
  async function place(userId: string, input: OrderInput): Promise<{ order: OrderRecord; replayed: boolean }> {
    const stored = await reserveOrder(userId, input);
    const replayed = isReplayed(stored);
    const order = (await storage.repos.orders.findById(stored.orderId))!;
    // A retry of an order that was stored but never reached the broker (the first attempt
    // failed in between) hands it over now, as a restart would (`resume`).
    if (!replayed || (order.status === 'pending' && !submitted.has(order.id))) await submit(order);
    return { order: (await storage.repos.orders.findById(stored.orderId))!, replayed };
  }

  /** Orders this process has handed to the broker (brokers take an order id once: see `Broker.placeOrder`). */
  const submitted = new Set<string>();

  /** Places the pending orders stored before this process started (the paper broker keeps resting orders in memory). */
  let resumed: Promise<void> | undefined;
  const resume = () =>
    (resumed ??= (async () => {
      for (const order of await storage.repos.orders.listPending()) {
        // One order the broker or the database fails on must not keep the others (or, since this
        // runs once, every later order of every user) from going through.
        try {
          await submit(order);
        } catch (error) {
          logger.error({ event: 'trading.resume_failed', orderId: order.id, error: error instanceof Error ? error.message : String(error) }, 'A pending order could not be handed to the broker again');
        }
      }
    })().catch((error: unknown) => {
      // Listing the pending orders failed: try again on the next call rather than never.
      resumed = undefined;
      throw error;
    }));

  /**
   * Fills whose recording failed (after `recordFill`'s retries), by order id: retried at the next
   * bar, so one order's failure neither stops the fills after it nor loses its own. A restart
   * resubmits the still-pending order instead (`resume`).
   */
  const unrecordedFills = new Map<string, Fill>();
  async function takeFill(fill: Fill): Promise<void> {
    try {
      await recordFill(fill);
      unrecordedFills.delete(fill.orderId);
    } catch (error) {
      unrecordedFills.set(fill.orderId, fill);
      logger.error({ event: 'trading.fill_failed', orderId: fill.orderId, error: error instanceof Error ? error.message : String(error) }, 'A fill could not be recorded; it is retried on the next bar');
    }
  }
  broker.onFill(takeFill);

  /**
   * Exits that a bar triggered but that could not be settled, by trade id: retried at the next
   * bar at the price and time of the bar that triggered them (that bar did reach the level).
   */
  const unsettledExits = new Map<string, { trade: TradeRecord; price: number; reason: TradeCloseReason; at: Date }>();
  async function exit(pending: { trade: TradeRecord; price: number; reason: TradeCloseReason; at: Date }): Promise<void> {
    try {
      await settle(pending.trade, pending.price, pending.reason, pending.at);
      unsettledExits.delete(pending.trade.id);
    } catch (error) {
      // A manual close (or another instance) got there first: nothing left to do.
      if (error instanceof TradeplaneError && error.code === 'trade_not_open') {
        unsettledExits.delete(pending.trade.id);
        return;
      }
      unsettledExits.set(pending.trade.id, pending);
      logger.error(
        { event: 'trading.trigger_failed', tradeId: pending.trade.id, reason: pending.reason, price: pending.price, error: error instanceof Error ? error.message : String(error) },
        'A triggered exit could not be settled; it is retried on the next bar',
      );
    }
  }

  /** What a triggered exit fills at: through the paper broker's spread and slippage, as a market close would. */
  const exitFill = (trade: TradeRecord, level: number): number =>
    isPaper(broker) && typeof broker.exitFillPrice === 'function' ? broker.exitFillPrice(opposite(trade.side), level) : level;

  return {
    broker,

    async execute(userId, input) {
      await resume();
      const { order, replayed } = await place(userId, { ...input, type: 'market' });
      if (order.status === 'rejected') {
        throw new TradeplaneError(order.rejectReason === 'no_market_price' ? 'no_market_price' : 'order_rejected', `The broker refused the order (${order.rejectReason})`);
      }
      if (order.status !== 'filled' || !order.tradeId) throw new TradeplaneError('conflict', 'The order is still being processed; retry shortly');
      const trade = toTrade((await storage.repos.trades.findById(order.tradeId))!);
      return replayed ? markReplayed(trade) : trade;
    },

    async placeOrder(userId, input) {
      await resume();
      const { order, replayed } = await place(userId, input);
      const view = toOrder(order);
      return replayed ? markReplayed(view) : view;
    },

    async cancelOrder(userId, orderId) {
      const order = await ownOrder(userId, orderId);
      if (order.status !== 'pending') throw new TradeplaneError('order_not_pending', `The order is already ${order.status}`);
      await broker.cancelOrder(orderId);
      const cancelled = await storage.transaction(async (tx) => {
        const resolved = await tx.orders.resolve(orderId, { status: 'cancelled', resolvedAt: clock.now() });
        if (!resolved) throw new TradeplaneError('order_not_pending', 'The order was filled or cancelled meanwhile');
        await ledger.release(tx, resolved.holdId);
        announceOrder(tx, resolved);
        return resolved;
      });
      return toOrder(cancelled);
    },

    async order(userId, orderId) {
      return toOrder(await ownOrder(userId, orderId));
    },

    async orders(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.orders.list({ userId, status: filter.status, symbol: filter.symbol, cursor: filter.cursor, limit: n }), toOrder);
      return { orders: page.items, nextCursor: page.nextCursor };
    },

    async trade(userId, tradeId) {
      return toTrade(await ownTrade(userId, tradeId));
    },

    async trades(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.trades.list({ userId, status: filter.status, symbol: filter.symbol, cursor: filter.cursor, limit: n }), toTrade);
      return { trades: page.items, nextCursor: page.nextCursor };
    },

    async closeTrade(userId, tradeId, reason = 'manual') {
      const trade = await ownTrade(userId, tradeId);
      if (trade.status !== 'open') throw new TradeplaneError('trade_not_open', 'The trade is already closed');
      const now = clock.now();
      const result = await broker.placeOrder({
        id: ids.next(),
        accountId: trade.accountId,
        symbol: trade.symbol,
        side: opposite(trade.side),
        type: 'market',
        price: null,
        size: { quantity: trade.quantity },
        placedAt: now,
      });
      if (result.status === 'rejected') {
        throw new TradeplaneError(result.reason === 'no_market_price' ? 'no_market_price' : 'order_rejected', `The broker refused the closing order (${result.reason})`);
      }
      if (result.status !== 'filled') throw new TradeplaneError('order_rejected', 'The broker did not fill the closing market order at once');
      return toTrade(await settle(trade, result.fill.price, reason, now));
    },

    async profit(userId, tradeId) {
      const trade = await ownTrade(userId, tradeId);
      let price: number;
      let pnl: bigint;
      if (trade.status === 'closed') {
        price = trade.exitPrice!;
        pnl = trade.pnl!;
      } else {
        const quote = await broker.quote(trade.symbol);
        if (!quote) throw new TradeplaneError('no_market_price', `There is no price for ${trade.symbol}`);
        price = quote.price;
        pnl = stakePnl(trade.stake, trade.side, trade.entryPrice, price);
      }
      return {
        tradeId: trade.id,
        status: trade.status,
        price,
        pnl: money(pnl, trade.currency),
        pnlPercent: (Number(pnl) / Number(trade.stake)) * 100,
        realised: trade.status === 'closed',
        currency: trade.currency,
      };
    },

    async positions(userId) {
      const open = await storage.repos.trades.list({ userId, status: 'open', limit: 10_000 });
      const groups = new Map<string, TradeRecord[]>();
      for (const t of open) {
        const key = `${t.accountId}\u0000${t.symbol}\u0000${t.side}`;
        groups.set(key, [...(groups.get(key) ?? []), t]);
      }
      const prices = new Map<string, number | null>();
      for (const symbol of new Set(open.map((t) => t.symbol))) prices.set(symbol, (await broker.quote(symbol))?.price ?? null);
      return [...groups.values()]
        .map((trades) => {
          const first = trades[0]!;
          const c = currency(first.currency);
          const stake = trades.reduce((sum, t) => sum + t.stake, 0n);
          const quantity = trades.reduce((sum, t) => sum + t.quantity, 0);
          const price = prices.get(first.symbol) ?? null;
          const total = price === null ? null : trades.reduce((sum, t) => sum + stakePnl(t.stake, t.side, t.entryPrice, price), 0n);
          // Like each trade's, the position's P&L is never shown past the largest amount.
          const unrealised = total !== null && total > MAX_MINOR_UNITS ? MAX_MINOR_UNITS : total;
          return {
            accountId: first.accountId,
            symbol: first.symbol,
            side: first.side,
            trades: trades.length,
            quantity,
            stake: formatAmount(stake, c),
            currency: first.currency,
            averageEntryPrice: Number(stake) / 10 ** c.exponent / quantity,
            price,
            unrealisedPnl: unrealised === null ? null : formatAmount(unrealised, c),
          };
        })
        .sort((a, b) => (a.symbol === b.symbol ? a.side.localeCompare(b.side) : a.symbol.localeCompare(b.symbol)));
    },

    async onBar(bar) {
      await resume();
      // Each trigger stands alone: one that fails is logged and retried at the next bar, and every
      // other trade's stops and every resting order on this bar still run.
      for (const pending of [...unsettledExits.values()]) await exit(pending);
      for (const fill of [...unrecordedFills.values()]) await takeFill(fill);
      // Stops first, on trades that were open when the bar began; then the broker's resting orders.
      for (const trade of await storage.repos.trades.listOpenBySymbol(bar.symbol)) {
        if (trade.openedAt.getTime() > bar.openTime.getTime() || unsettledExits.has(trade.id)) continue;
        const hit = exitOnBar(trade, bar);
        if (hit) await exit({ trade, price: exitFill(trade, hit.price), reason: hit.reason, at: bar.closeTime });
      }
      if (isPaper(broker)) {
        try {
          await broker.onBar(bar);
        } catch (error) {
          // Our own listener never throws (see takeFill): this is another listener's, already delivered past.
          logger.error({ event: 'trading.bar_fill_listener_failed', symbol: bar.symbol, error: error instanceof Error ? error.message : String(error) }, 'A fill listener failed');
        }
      }
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
