import { sql } from 'drizzle-orm';
import { money, real, text, timestamp } from '../columns.js';
import { check, index, table, uniqueIndex } from '../kit.js';
import { orderStatuses, orderTypes, signalSides, strategyStatuses, tradeCloseReasons, tradeSides, tradeSources, tradeStatuses } from '../values.js';
import { users } from './auth.js';
import { accounts } from './wallets.js';

/*
 * The trading module's tables: orders and trades, and the strategy bots with their signals.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/**
 * Trading: orders open trades. An order's stake is reserved by a ledger hold from placement; a
 * fill moves the same hold behind the trade, and the trade's settlement resolves it. Prices are
 * `real` (market measurements); stakes and P&L are `money` (minor units).
 */
export const orders = table(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    symbol: text('symbol').notNull(),
    side: text('side', tradeSides).notNull(),
    type: text('type', orderTypes).notNull(),
    status: text('status', orderStatuses).notNull(),
    stake: money('stake').notNull(),
    currency: text('currency').notNull(),
    price: real('price'),
    stopLoss: real('stop_loss'),
    takeProfit: real('take_profit'),
    holdId: text('hold_id').notNull(),
    tradeId: text('trade_id'),
    fillPrice: real('fill_price'),
    source: text('source', tradeSources).notNull(),
    reference: text('reference'),
    subscriptionId: text('subscription_id'),
    rejectReason: text('reject_reason'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
  },
  (t) => [
    index('orders_user_idx').on(t.userId, t.id),
    index('orders_pending_idx').on(t.status, t.symbol),
    check('orders_stake_check', sql`${t.stake} > 0`),
  ],
);

export const trades = table(
  'trades',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    orderId: text('order_id').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side', tradeSides).notNull(),
    stake: money('stake').notNull(),
    currency: text('currency').notNull(),
    quantity: real('quantity').notNull(),
    entryPrice: real('entry_price').notNull(),
    stopLoss: real('stop_loss'),
    takeProfit: real('take_profit'),
    status: text('status', tradeStatuses).notNull(),
    exitPrice: real('exit_price'),
    closeReason: text('close_reason', tradeCloseReasons),
    pnl: money('pnl'),
    holdId: text('hold_id').notNull(),
    settlementEntryId: text('settlement_entry_id'),
    source: text('source', tradeSources).notNull(),
    reference: text('reference'),
    subscriptionId: text('subscription_id'),
    openedAt: timestamp('opened_at').notNull(),
    closedAt: timestamp('closed_at'),
  },
  (t) => [
    index('trades_user_idx').on(t.userId, t.id),
    // With the id last, a user's open trades on a symbol come newest first straight from the index:
    // without it SQLite walked all the user's trades by id (backtests slowed as trades piled up).
    index('trades_user_open_idx').on(t.userId, t.status, t.symbol, t.id),
    index('trades_user_closed_idx').on(t.userId, t.closedAt),
    index('trades_open_symbol_idx').on(t.status, t.symbol),
    index('trades_subscription_idx').on(t.subscriptionId, t.accountId),
    uniqueIndex('trades_order_unique').on(t.orderId),
    check('trades_stake_check', sql`${t.stake} > 0`),
    check('trades_pnl_check', sql`${t.pnl} is null or ${t.pnl} >= -${t.stake}`),
  ],
);

/** Users' strategy bots: a panel of strategies trading one symbol and interval. */
export const strategies = table(
  'strategies',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    accountId: text('account_id'),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    /** JSON. */
    config: text('config').notNull(),
    stake: text('stake'),
    stopLossPct: real('stop_loss_pct'),
    takeProfitPct: real('take_profit_pct'),
    status: text('status', strategyStatuses).notNull(),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('strategies_user_idx').on(t.userId), index('strategies_active_idx').on(t.status, t.symbol, t.interval)],
);

/** Every consensus round of every bot, taken or not, with its votes. */
export const signals = table(
  'signals',
  {
    id: text('id').primaryKey(),
    strategyId: text('strategy_id')
      .notNull()
      .references(() => strategies.columns.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    barTime: timestamp('bar_time').notNull(),
    side: text('side', signalSides).notNull(),
    decision: text('decision').notNull(),
    confidence: real('confidence').notNull(),
    buyScore: real('buy_score').notNull(),
    sellScore: real('sell_score').notNull(),
    /** JSON. */
    votes: text('votes').notNull(),
    reason: text('reason').notNull(),
    outcome: text('outcome').notNull(),
    tradeId: text('trade_id'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('signals_user_idx').on(t.userId, t.id), index('signals_strategy_idx').on(t.strategyId, t.id)],
);
