import { text, timestamp } from '../columns.js';
import { index, table, uniqueIndex } from '../kit.js';
import { users } from './auth.js';

/*
 * The affiliates module's tables: codes and referrals.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Each user's affiliate code (created on first request). */
export const affiliateCodes = table(
  'affiliate_codes',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [uniqueIndex('affiliate_codes_code_unique').on(t.code)],
);

/** Who referred whom: written at sign-up from a valid `referral_code`. */
export const referrals = table(
  'referrals',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    affiliateUserId: text('affiliate_user_id').notNull(),
    code: text('code').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('referrals_affiliate_idx').on(t.affiliateUserId)],
);
