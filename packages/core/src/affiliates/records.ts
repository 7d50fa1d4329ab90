/**
 * Storage records and repositories of the affiliates module: codes and referrals.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
export interface AffiliateCodeRecord {
  userId: string;
  code: string;
  createdAt: Date;
}

export interface ReferralRecord {
  /** The referred user. */
  userId: string;
  affiliateUserId: string;
  code: string;
  createdAt: Date;
}

export interface AffiliatesRepository {
  findCodeByUser(userId: string): Promise<AffiliateCodeRecord | undefined>;
  findCode(code: string): Promise<AffiliateCodeRecord | undefined>;
  /** False when the user already has a code or the code is taken. */
  insertCode(record: AffiliateCodeRecord): Promise<boolean>;
  insertReferral(record: ReferralRecord): Promise<void>;
  findReferral(userId: string): Promise<ReferralRecord | undefined>;
  /** Users the affiliate referred, and how many of them are `active`. */
  referralCounts(affiliateUserId: string): Promise<{ referred: number; active: number }>;
}
