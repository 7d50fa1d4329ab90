import { z } from 'zod';
import { DECIMAL } from '../money/amount.js';

const share = z
  .string()
  .regex(DECIMAL, 'a decimal fraction such as "0.20"')
  .refine((v) => Number(v) >= 0 && Number(v) <= 1 && (v.split('.')[1]?.length ?? 0) <= 4, 'between 0 and 1, at most 4 decimals');

/** `createEngine({ copy })`: how copy trading charges commission and pays affiliates. */
export const copyOptionsSchema = z.strictObject({
  commission: z
    .strictObject({
      /** The settlement period of performance fees (UTC): `daily` (default), `weekly` (ISO weeks) or `monthly`. */
      period: z.enum(['daily', 'weekly', 'monthly']).default('daily'),
      /** The platform's share of every performance fee and markup (the master gets the rest). */
      platformShare: share.default('0.20'),
    })
    .prefault({}),
  affiliates: z
    .strictObject({
      /** The affiliate's share of the platform's part of fees paid by the users they referred. */
      share: share.default('0.10'),
    })
    .prefault({}),
});

export type CopyOptionsInput = z.input<typeof copyOptionsSchema>;
export type CopyOptions = z.output<typeof copyOptionsSchema>;
