import { signalSchema } from '../contract/strategies.js';
import { orderSchema, tradeSchema } from '../contract/trading.js';
import { defineEvent, everyValue } from '../stream/events.js';
import type { TradeEvent } from './service.js';
import type { OrderStatus } from './records.js';

const orderStatuses = everyValue<OrderStatus>({ pending: true, filled: true, cancelled: true, rejected: true });
const tradeEventTypes = everyValue<TradeEvent['type']>({ opened: true, closed: true });

/** An order as it was committed: placed (`pending`), filled, cancelled or rejected. */
export const orderChanged = defineEvent({
  channel: 'orders',
  type: 'order.<status>',
  params: { status: { description: 'The order’s status after the change', values: orderStatuses } },
  audience: 'user',
  summary: 'An order placed, filled, cancelled or rejected (as `GET /orders/{id}` shows it)',
  data: orderSchema,
});

/** A trade opened or closed (by you, a stop, a target, a stop-out, a bot or a copy). */
export const tradeChanged = defineEvent({
  channel: 'trades',
  type: 'trade.<event>',
  params: { event: { description: 'What happened to the trade', values: tradeEventTypes } },
  audience: 'user',
  summary: 'A trade opened or closed (as `GET /trades/{id}` shows it)',
  data: tradeSchema,
});

/** Each signal a strategy bot of yours recorded, acted on or not. */
export const signalCreated = defineEvent({
  channel: 'signals',
  type: 'signal.created',
  audience: 'user',
  summary: 'A strategy bot’s signal (as `GET /signals` lists it)',
  data: signalSchema,
});

export const tradingEvents = [orderChanged, tradeChanged, signalCreated] as const;
