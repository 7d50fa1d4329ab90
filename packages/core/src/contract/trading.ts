import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { symbolSchema } from './market.js';
import { amountSchema } from './wallets.js';

const id = z.string().min(1).max(64);
const side = z.enum(['BUY', 'SELL']);
const price = z.number().positive().refine(Number.isFinite, 'must be finite');
const cursor = z.string().min(1).max(64).optional().meta({ description: 'The `next_cursor` of the previous page' });
const limit = z.coerce.number().int().min(1).max(200).default(50);
const source = z.enum(['manual', 'strategy', 'copy']);

export const tradeSchema = z
  .object({
    id: z.string(),
    account_id: z.string(),
    order_id: z.string(),
    symbol: z.string(),
    side,
    stake: z.string().meta({ description: 'Money at risk, in the account currency' }),
    currency: z.string(),
    quantity: z.number().meta({ description: 'Units of the instrument: stake ÷ entry price' }),
    entry_price: z.number(),
    stop_loss: z.number().nullable(),
    take_profit: z.number().nullable(),
    status: z.enum(['open', 'closed']),
    exit_price: z.number().nullable(),
    close_reason: z.enum(['manual', 'stop_loss', 'take_profit', 'stop_out', 'signal', 'copy']).nullable(),
    pnl: z.string().nullable().meta({ description: 'Realised P&L: direction × stake × (exit − entry) ÷ entry, rounded half away from zero, never below −stake' }),
    source,
    reference: z.string().nullable(),
    subscription_id: z.string().nullable().meta({ description: 'The copy-trading subscription a copy was placed through' }),
    opened_at: timestamp,
    closed_at: timestamp.nullable(),
  })
  .meta({ id: 'Trade' });

export const orderSchema = z
  .object({
    id: z.string(),
    account_id: z.string(),
    symbol: z.string(),
    side,
    type: z.enum(['market', 'limit', 'stop']),
    status: z.enum(['pending', 'filled', 'cancelled', 'rejected']),
    stake: z.string().meta({ description: 'Reserved from placement until the order fills or is cancelled' }),
    currency: z.string(),
    price: z.number().nullable().meta({ description: 'Limit or stop price' }),
    stop_loss: z.number().nullable(),
    take_profit: z.number().nullable(),
    trade_id: z.string().nullable(),
    fill_price: z.number().nullable(),
    source,
    reference: z.string().nullable(),
    reject_reason: z.string().nullable(),
    created_at: timestamp,
    resolved_at: timestamp.nullable(),
  })
  .meta({ id: 'Order' });

export const positionSchema = z
  .object({
    account_id: z.string(),
    symbol: z.string(),
    side,
    trades: z.number().int(),
    quantity: z.number(),
    stake: z.string(),
    currency: z.string(),
    average_entry_price: z.number(),
    price: z.number().nullable().meta({ description: 'Last price' }),
    unrealised_pnl: z.string().nullable().meta({ description: 'Σ of each open trade’s P&L at the last price' }),
  })
  .meta({ id: 'Position' });

const tradeBody = {
  account_id: id.optional().meta({ description: 'Defaults to your default account' }),
  symbol: symbolSchema,
  side,
  stake: amountSchema.optional().meta({ description: 'Stake in the account currency. Give a stake or a quantity; neither → the recommended stake for your losing streak' }),
  quantity: price.optional().meta({ description: 'Units of the instrument, converted to a stake at the order price (rounded up)' }),
  stop_loss: price.optional(),
  take_profit: price.optional(),
  reference: z.string().min(1).max(128).optional(),
};

const placementErrors = ['not_found', 'risk_rejected', 'no_market_price', 'order_rejected', 'insufficient_funds', 'idempotency_conflict', 'conflict'] as const;
const tradePage = z.object({ trades: z.array(tradeSchema), next_cursor: z.string().nullable() });
const tradeQuery = z.object({ symbol: symbolSchema.optional(), cursor, limit });

export const tradeRoutes = {
  execute: defineRoute({
    id: 'trades.execute',
    method: 'POST',
    path: '/trades/execute',
    summary: 'Open a trade at market, after the risk check, with the stake reserved',
    description:
      'Checks your risk profile (locks, daily loss, losing streak, stake limits, open positions, exposure per symbol), reserves the stake with a ledger hold and sends a market order to the broker; the fill opens the trade. A refusal is `risk_rejected` with the reason as the field error code, and is logged as a protection event.',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:write',
    body: z.strictObject(tradeBody),
    response: tradeSchema,
    successStatus: 201,
    errors: [...placementErrors],
    idempotent: true,
    rateLimit: 'trading',
  }),
  list: defineRoute({
    id: 'trades.list',
    method: 'GET',
    path: '/trades',
    summary: 'Your trades, newest first',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    query: tradeQuery.extend({ status: z.enum(['open', 'closed']).optional() }),
    response: tradePage,
    errors: [],
  }),
  open: defineRoute({
    id: 'trades.open',
    method: 'GET',
    path: '/trades/open',
    summary: 'Your open trades, newest first',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    query: tradeQuery,
    response: tradePage,
    errors: [],
  }),
  get: defineRoute({
    id: 'trades.get',
    method: 'GET',
    path: '/trades/{id}',
    summary: 'One of your trades',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ id }),
    response: tradeSchema,
    errors: ['not_found'],
  }),
  close: defineRoute({
    id: 'trades.close',
    method: 'POST',
    path: '/trades/{id}/close',
    summary: 'Close an open trade at market and settle its P&L into the account',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:write',
    params: z.strictObject({ id }),
    response: tradeSchema,
    errors: ['not_found', 'trade_not_open', 'no_market_price', 'order_rejected'],
    rateLimit: 'trading',
  }),
  profit: defineRoute({
    id: 'trades.profit',
    method: 'GET',
    path: '/trades/{id}/profit',
    summary: 'A trade’s P&L: realised when closed, at the last price while open',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ id }),
    response: z
      .object({
        trade_id: z.string(),
        status: z.enum(['open', 'closed']),
        price: z.number(),
        pnl: z.string(),
        pnl_percent: z.number().meta({ description: 'pnl ÷ stake × 100' }),
        realised: z.boolean(),
        currency: z.string(),
      })
      .meta({ id: 'TradeProfit' }),
    errors: ['not_found', 'no_market_price'],
  }),
};

export const orderRoutes = {
  list: defineRoute({
    id: 'orders.list',
    method: 'GET',
    path: '/orders',
    summary: 'Your orders, newest first',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    query: z.object({ status: z.enum(['pending', 'filled', 'cancelled', 'rejected']).optional(), symbol: symbolSchema.optional(), cursor, limit }),
    response: z.object({ orders: z.array(orderSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  place: defineRoute({
    id: 'orders.place',
    method: 'POST',
    path: '/orders',
    summary: 'Place a market, limit or stop order (the stake is reserved until it fills or is cancelled)',
    description:
      'Market orders fill at once. Limit and stop orders rest until a bar crosses their price: a limit BUY fills at or below its price, a stop BUY at or above it (SELL mirrored). The fill opens a trade.',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:write',
    body: z.strictObject({ ...tradeBody, type: z.enum(['market', 'limit', 'stop']).default('market'), price: price.optional().meta({ description: 'Required for limit and stop orders' }) }),
    response: orderSchema,
    successStatus: 201,
    errors: [...placementErrors],
    idempotent: true,
    rateLimit: 'trading',
  }),
  get: defineRoute({
    id: 'orders.get',
    method: 'GET',
    path: '/orders/{id}',
    summary: 'One of your orders',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ id }),
    response: orderSchema,
    errors: ['not_found'],
  }),
  cancel: defineRoute({
    id: 'orders.cancel',
    method: 'DELETE',
    path: '/orders/{id}',
    summary: 'Cancel a pending order and release its stake',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:write',
    params: z.strictObject({ id }),
    response: orderSchema,
    errors: ['not_found', 'order_not_pending'],
  }),
};

export const positionRoutes = {
  list: defineRoute({
    id: 'positions.list',
    method: 'GET',
    path: '/positions',
    summary: 'Your open positions per account, symbol and side, with unrealised P&L at the last price',
    tags: ['trading'],
    auth: 'user',
    scope: 'trading:read',
    response: z.object({ positions: z.array(positionSchema) }),
    errors: [],
  }),
};
