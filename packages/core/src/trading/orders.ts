import { invalidFields, TradeplaneError, type FieldError } from '../errors.js';
import type { OrderRecord, TradeRecord } from '../ports/index.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { MAX_MINOR_UNITS } from '../money/currency.js';
import { isReplayed, markReplayed } from '../idempotency/idempotency.js';
import type { RiskCheck, RiskVerdict } from '../risk/service.js';
import type { Fill } from './broker.js';
import type { TradingContext } from './context.js';
import { stakeForQuantity, uncappedPnl } from './pricing.js';
import type { OrderInput, TradingService } from './service.js';

/** Risk refusals waiting to be logged once their transaction has rolled back. */
const refusals = new WeakMap<object, { check: RiskCheck; verdict: Extract<RiskVerdict, { ok: false }>; at: Date }>();

/**
 * Orders from placing to filling: checks, the risk verdict and the reserved stake in one
 * transaction, then the broker; fills open trades (retried until recorded), rejections and
 * cancellations release the stake. Registers for the broker's fills when created.
 */
export function createOrders(ctx: TradingContext) {
  const { deps, ledger, idempotency, currency, toTrade, toOrder, emit, announceOrder, ownOrder } = ctx;
  const { storage, clock, ids, logger, risk, broker } = deps;

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
          if (account.kind === 'real') await deps.entitlements?.check(tx, userId, 'realMoneyTrading');
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

  const methods: Pick<TradingService, 'execute' | 'placeOrder' | 'cancelOrder'> = {
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
  };

  return { ...methods, resume, unrecordedFills, takeFill };
}
