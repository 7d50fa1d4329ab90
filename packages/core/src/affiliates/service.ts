import { randomInt } from 'node:crypto';
import { TradeplaneError } from '../errors.js';
import type { Clock } from '../ports/index.js';
import type { Repositories, Storage, UserRecord } from '../ports/storage.js';
import type { CurrencyRegistry } from '../money/currency.js';
import { formatStored } from '../money/amount.js';

export interface AffiliateCode {
  code: string;
  createdAt: string;
}

export interface AffiliateStats {
  /** Null until `GET /users/affiliate/code` creates one. */
  code: string | null;
  referredUsers: number;
  /** Referred users whose account is active. */
  activeUsers: number;
  /** Affiliate commission received, per currency. */
  commissionEarned: { currency: string; amount: string }[];
}

/**
 * Affiliates: each user's referral code, the users who signed up with it, and what
 * the affiliate earned — a share (`copy.affiliates.share`) of the platform's part of the
 * commission those users pay, posted to the affiliate's account in the same ledger entry.
 *
 * Codes are 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L), grouped
 * `XXXX-XXXX` for reading aloud, and compared case-insensitively and with or without the dash.
 */
export interface AffiliateService {
  /** The user's code, created on first call. */
  code(userId: string): Promise<AffiliateCode>;
  stats(userId: string): Promise<AffiliateStats>;
  /** Sign-up's hook, in its transaction: links the new user to the code's owner; an unknown code is a 422 and rolls the sign-up back. */
  linkIn(tx: Repositories, user: UserRecord): Promise<void>;
  /** Who referred the user, if anyone. */
  affiliateOf(tx: Repositories, userId: string): Promise<string | null>;
}

const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** `ab12-cd34` → `AB12CD34`: the stored form. */
export const normalizeAffiliateCode = (code: string) => code.toUpperCase().replace(/[-_\s]/g, '');
const display = (stored: string) => `${stored.slice(0, 4)}-${stored.slice(4)}`;

export function createAffiliateService(deps: { storage: Storage; clock: Clock; currencies: CurrencyRegistry }): AffiliateService {
  const { storage, clock, currencies } = deps;
  const fresh = () => Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

  return {
    async code(userId) {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const existing = await storage.repos.affiliates.findCodeByUser(userId);
        if (existing) return { code: display(existing.code), createdAt: existing.createdAt.toISOString() };
        // 31⁸ ≈ 8.5 × 10¹¹ codes: a collision is rare, and then another code is drawn.
        await storage.repos.affiliates.insertCode({ userId, code: fresh(), createdAt: clock.now() });
      }
      throw new Error('Could not create a unique affiliate code');
    },

    async stats(userId) {
      const [code, counts, earned] = await Promise.all([
        storage.repos.affiliates.findCodeByUser(userId),
        storage.repos.affiliates.referralCounts(userId),
        storage.repos.commission.affiliateEarnings(userId),
      ]);
      return {
        code: code ? display(code.code) : null,
        referredUsers: counts.referred,
        activeUsers: counts.active,
        commissionEarned: earned.map((e) => ({ currency: e.currency, amount: formatStored(e.amount, currencies.get(e.currency)) })),
      };
    },

    async linkIn(tx, user) {
      if (!user.referralCode) return;
      const found = await tx.affiliates.findCode(normalizeAffiliateCode(user.referralCode));
      if (!found) {
        throw new TradeplaneError('validation_failed', 'Unknown referral code', {
          fields: [{ in: 'body', path: 'referral_code', code: 'unknown_code', message: 'no affiliate has this code' }],
        });
      }
      await tx.affiliates.insertReferral({ userId: user.id, affiliateUserId: found.userId, code: found.code, createdAt: clock.now() });
    },

    async affiliateOf(tx, userId) {
      return (await tx.affiliates.findReferral(userId))?.affiliateUserId ?? null;
    },
  };
}
