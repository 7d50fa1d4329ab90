import { z } from 'zod';
import { timestamp } from '../contract/common.js';
import { defineEvent } from '../stream/events.js';
import { candleIntervals } from './intervals.js';

/** Each stored bar, on its symbol's public channel, once its batch commits. */
export const tick = defineEvent({
  channel: 'ticks:<symbol>',
  type: 'tick',
  params: { symbol: { description: 'Instrument symbol, upper case', pattern: /^[A-Z0-9._-]{1,32}$/ } },
  audience: 'public',
  summary: 'A stored bar of the symbol (anyone signed in may join)',
  data: z
    .object({
      symbol: z.string(),
      interval: z.enum(candleIntervals),
      open_time: timestamp,
      open: z.number(),
      high: z.number(),
      low: z.number(),
      close: z.number(),
      volume: z.number(),
    })
    .meta({ id: 'Tick' }),
});

export const marketEvents = [tick] as const;
