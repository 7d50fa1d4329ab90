import { z } from 'zod';
import { candleIntervals } from '../market/intervals.js';
import { timestamp } from './common.js';
import { defineRoute } from './route.js';

export const symbolSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$/, 'must be 1–32 letters, digits, dot, colon, underscore or dash')
  .meta({ description: 'Instrument symbol', example: 'EURUSD' });
const interval = z.enum(candleIntervals).meta({ description: 'Bar length' });
/** A price or volume: a JSON number, or a decimal string as many feeds send (`"1.08345"`). */
const quantity = z
  .union([z.number(), z.string().regex(/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a decimal number')])
  .transform((v) => Number(v))
  .pipe(z.number().refine(Number.isFinite, 'must be finite'));

const candleIn = z.strictObject({
  symbol: symbolSchema,
  interval,
  open_time: timestamp.meta({ description: 'Bar open time, aligned to the interval' }),
  open: quantity,
  high: quantity,
  low: quantity,
  close: quantity,
  volume: quantity,
});

export const candleSchema = z
  .object({ open_time: timestamp, open: z.number(), high: z.number(), low: z.number(), close: z.number(), volume: z.number() })
  .meta({ id: 'Candle' });

export const tickerSchema = z
  .object({
    symbol: z.string(),
    price: z.number().meta({ description: 'Close of the latest bar' }),
    time: timestamp.meta({ description: 'When the latest bar closes (or closed)' }),
    interval: z.enum(candleIntervals).meta({ description: 'The finest stored interval, used for the 24-hour figures' }),
    open_24h: z.number(),
    high_24h: z.number(),
    low_24h: z.number(),
    volume_24h: z.number(),
    change_24h: z.number().meta({ description: 'price − open_24h' }),
    change_percent_24h: z.number(),
  })
  .meta({ id: 'Ticker' });

export const marketRoutes = {
  ingestCandles: defineRoute({
    id: 'market.ingestCandles',
    method: 'POST',
    path: '/market/candles',
    summary: 'Store a batch of candles (re-sending a bar replaces it)',
    description:
      'Admins, or API keys of admins holding `market:write`. Each bar must be consistent (low ≤ open, close ≤ high; prices > 0; volume ≥ 0) and open on a multiple of its interval. A batch is all or nothing: one bad bar refuses it with a field error per problem. Bars are published to the in-process feed after they are stored.',
    tags: ['market'],
    auth: 'user',
    roles: ['admin'],
    scope: 'market:write',
    body: z.strictObject({ candles: z.array(candleIn).min(1).max(5000) }),
    response: z.object({ accepted: z.number().int().meta({ description: 'Distinct bars stored (duplicates within the batch count once; the last wins)' }) }),
    errors: [],
  }),
  candles: defineRoute({
    id: 'market.candles',
    method: 'GET',
    path: '/market/candles/{symbol}',
    summary: 'Stored candles of a symbol, oldest first',
    tags: ['market'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ symbol: symbolSchema }),
    query: z.object({
      interval: interval.default('1m'),
      from: timestamp.optional().meta({ description: 'Inclusive lower bound on open_time' }),
      to: timestamp.optional().meta({ description: 'Exclusive upper bound on open_time' }),
      limit: z.coerce.number().int().min(1).max(5000).default(500),
    }),
    response: z.object({ symbol: z.string(), interval: z.enum(candleIntervals), candles: z.array(candleSchema) }),
    errors: [],
  }),
  ticker: defineRoute({
    id: 'market.ticker',
    method: 'GET',
    path: '/market/ticker/{symbol}',
    summary: 'Last price and 24-hour figures of a symbol',
    tags: ['market'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ symbol: symbolSchema }),
    response: tickerSchema,
    errors: ['not_found'],
  }),
};
