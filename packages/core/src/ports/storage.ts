/**
 * The storage port. Services never see SQL: they ask for repositories, and every service
 * method that writes does so inside exactly one `storage.transaction(...)`.
 *
 * `@tradeplane/engine` implements this for SQLite and PostgreSQL; both implementations pass
 * one shared conformance suite, so the services behave the same on either database.
 */

export type Role = 'user' | 'viewer' | 'admin';
export type UserStatus = 'active' | 'pending' | 'disabled';

export interface UserRecord {
  id: string;
  /** Stored lower-cased; unique. */
  email: string;
  passwordHash: string;
  role: Role;
  status: UserStatus;
  /** Bumped on password change and admin actions; tokens carrying an older value are refused. */
  tokenVersion: number;
  createdAt: Date;
  updatedAt: Date;
  /** Optional sign-in name, stored lower-cased; unique when present. */
  username: string | null;
  /** The referral code given at sign-up (for the affiliate module). */
  referralCode: string | null;
}

/**
 * A session: what one sign-in grants. Its refresh tokens form a family (each rotation adds one);
 * access tokens name it in their `sid` claim. Revoking the session ends all of them at once.
 */
export interface SessionRecord {
  id: string;
  userId: string;
  /** The user's token_version at sign-in; a later bump ends the session. */
  tokenVersion: number;
  createdAt: Date;
  lastUsedAt: Date;
  revokedAt: Date | null;
  userAgent: string | null;
  /** A name the client gave this device at sign-in ("Alice's iPhone"). */
  deviceLabel: string | null;
  /** Client address at sign-in. */
  ip: string | null;
}

export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  userId: string;
  /** SHA-256 of the opaque token; the token itself is never stored. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set when this token was exchanged for its successor; presenting it again is reuse. */
  rotatedAt: Date | null;
}

export interface RevokedAccessToken {
  jti: string;
  userId: string;
  /** The token's own `exp`: after it the row is useless and may be purged. */
  expiresAt: Date;
}

export interface UserListFilter {
  status?: UserStatus;
  role?: Role;
  /** Substring of the email or username (case-insensitive). */
  search?: string;
  /** Newest first; `cursor` is the last id of the previous page. */
  limit: number;
  cursor?: string;
}

export interface UserChanges {
  passwordHash?: string;
  role?: Role;
  status?: UserStatus;
  updatedAt: Date;
  /** Adds one to token_version, ending every session and access token issued before. */
  bumpTokenVersion?: boolean;
}

export interface UsersRepository {
  /** Inserts a user. Throws `TradeplaneError('email_taken' | 'username_taken')` on a duplicate. */
  insert(user: UserRecord): Promise<void>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /** Applies `changes` and returns the updated user; undefined if there is no such user. */
  update(id: string, changes: UserChanges): Promise<UserRecord | undefined>;
  list(filter: UserListFilter): Promise<UserRecord[]>;
  /** Active admins, for the rule that the last one cannot be demoted or disabled. */
  countActiveAdmins(): Promise<number>;
}

export interface AuthState {
  role: Role;
  status: UserStatus;
  tokenVersion: number;
}

export interface SessionsRepository {
  insert(session: SessionRecord): Promise<void>;
  /**
   * Marks a live session used and returns it; undefined if it is revoked or unknown.
   * It is a conditional UPDATE, so on PostgreSQL it also locks the session row until the
   * transaction ends: a refresh and a logout of the same session cannot interleave.
   */
  touch(id: string, at: Date): Promise<SessionRecord | undefined>;
  /** Revokes a live session; false if it was already revoked or does not exist. */
  revoke(id: string, at: Date): Promise<boolean>;
  /** Revokes every live session of a user except `exceptId`; returns how many. */
  revokeAllForUser(userId: string, at: Date, exceptId?: string): Promise<number>;
  /** A user's sessions that are not revoked, newest first. */
  listLive(userId: string): Promise<SessionRecord[]>;
  /**
   * Everything authenticating an access token needs, in one lookup: the user's current role,
   * status and token_version — returned only if the session is live, belongs to the user, and
   * the token id is not deny-listed. Runs on every authenticated request.
   */
  authState(input: { sessionId: string; userId: string; tokenId: string }): Promise<AuthState | undefined>;
}

export interface RefreshTokensRepository {
  insert(token: RefreshTokenRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Marks a token rotated only if it has not been rotated yet. Returns false when another
   * request got there first, so two refreshes of the same token cannot both succeed.
   */
  markRotated(id: string, at: Date): Promise<boolean>;
  /** Deletes tokens that expired before `now`; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

export interface RevokedTokensRepository {
  /** Idempotent: revoking an already revoked jti is not an error. Read by `sessions.authState`. */
  add(token: RevokedAccessToken): Promise<void>;
  /** Deletes entries whose token expired before `now` (it is refused as expired anyway). */
  purgeExpired(now: Date): Promise<number>;
}

export interface AuditRecord {
  id: string;
  /** The user who acted; null for the system or an anonymous caller (failed sign-in). */
  actorId: string | null;
  /** `admin.user_approved`, `auth.login_failed`, `auth.refresh_reuse`, `api_key.created`, … */
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  /** Action-specific facts; never secrets. */
  details: Record<string, unknown> | null;
  createdAt: Date;
}

export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetId?: string;
  /** Newest first; `cursor` is the last id of the previous page. */
  limit: number;
  cursor?: string;
}

export interface AuditRepository {
  insert(record: AuditRecord): Promise<void>;
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}

export interface ThrottleState {
  failures: number;
  blockedUntil: Date | null;
}

export interface LoginThrottleRepository {
  /** The current block of each key that is blocked at `now`. */
  blocked(keys: string[], now: Date): Promise<{ key: string; blockedUntil: Date }[]>;
  /**
   * Counts one failure for `key` in one atomic statement: a window older than `windowMs`
   * restarts at 1; reaching `maxFailures` sets `blockedUntil = now + blockMs`.
   */
  recordFailure(key: string, now: Date, policy: { windowMs: number; maxFailures: number; blockMs: number }): Promise<ThrottleState>;
  clear(key: string): Promise<void>;
  /** Deletes counters whose window started before `windowStartedBefore` and that block nothing at `now`; returns how many. */
  purge(windowStartedBefore: Date, now: Date): Promise<number>;
}

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  /** SHA-256 of the whole key; the key itself is never stored. */
  keyHash: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** An API key joined with its owner's current state, for authenticating a request. */
export interface ApiKeyAuthState {
  key: ApiKeyRecord;
  role: Role;
  status: UserStatus;
}

export interface ApiKeysRepository {
  insert(key: ApiKeyRecord): Promise<void>;
  authState(keyHash: string): Promise<ApiKeyAuthState | undefined>;
  /** The user's keys that are not revoked, newest first. */
  listForUser(userId: string): Promise<ApiKeyRecord[]>;
  /** Revokes the user's key; false if it is not theirs, unknown or already revoked. */
  revoke(id: string, userId: string, at: Date): Promise<boolean>;
  revokeAllForUser(userId: string, at: Date): Promise<number>;
  /** Records use, at most once per `minIntervalMs` (a write per request would be wasteful). */
  touch(id: string, at: Date, minIntervalMs: number): Promise<void>;
}

export interface IdentityRecord {
  id: string;
  /** The configured provider id (`google`). */
  provider: string;
  /** The provider's `sub` claim. */
  subject: string;
  userId: string;
  email: string | null;
  createdAt: Date;
}

export interface IdentitiesRepository {
  find(provider: string, subject: string): Promise<IdentityRecord | undefined>;
  /** Throws `TradeplaneError('conflict')` if the identity is already linked. */
  insert(identity: IdentityRecord): Promise<void>;
}

/** `demo` and `real` accounts belong to users; `system` accounts are the ledger's other side. */
export type AccountKind = 'demo' | 'real' | 'system';
export type AccountStatus = 'active' | 'frozen';
/**
 * The system accounts, one per currency, that make both sides of every movement explicit:
 * `external` is money outside the platform (deposits come from it, withdrawals go to it),
 * `demo_faucet` funds demo accounts, `fees` collects fees, `commission` pays commissions,
 * `settlement` is the counterparty of trade settlements, `adjustments` of admin corrections.
 * Their balances may go negative: `external` is minus everything deposited.
 */
/**
 * Per-currency system accounts. Demo money moves only through `demo_faucet` (where it comes from
 * and returns to) and `demo_settlement` (the other side of demo trades' results), so no system
 * account real money moves through ever holds demo money.
 */
export type SystemAccountCode = 'external' | 'demo_faucet' | 'demo_settlement' | 'fees' | 'commission' | 'settlement' | 'adjustments';

export interface AccountRecord {
  id: string;
  /** Null for system accounts. */
  userId: string | null;
  currency: string;
  kind: AccountKind;
  systemCode: SystemAccountCode | null;
  isDefault: boolean;
  status: AccountStatus;
  /** Minor units; the sum of the account's postings (a cache kept in the same transaction). */
  balance: bigint;
  /** Minor units reserved by pending holds; available = balance − held. */
  held: bigint;
  createdAt: Date;
}

export type EntryKind =
  | 'deposit'
  | 'withdrawal'
  | 'transfer'
  | 'fee'
  | 'commission'
  | 'trade_settlement'
  | 'adjustment'
  | 'demo_faucet';

export interface JournalEntryRecord {
  id: string;
  kind: EntryKind;
  /** The caller's reference (an order id, a payment id). */
  reference: string | null;
  metadata: Record<string, unknown> | null;
  /** Set on a reversing entry: the entry it cancels (each entry can be reversed once). */
  reversesEntryId: string | null;
  /** The user who caused the movement (null for the system). */
  actorId: string | null;
  createdAt: Date;
}

export interface PostingRecord {
  id: string;
  entryId: string;
  accountId: string;
  currency: string;
  /** Signed minor units: positive raises the account's balance, negative lowers it. */
  amount: bigint;
  /** The account's balance right after this posting. */
  balanceAfter: bigint;
  createdAt: Date;
}

/** A posting with its entry's facts, as transaction history shows it. */
export interface PostingWithEntry extends PostingRecord {
  kind: EntryKind;
  reference: string | null;
  metadata: Record<string, unknown> | null;
  reversesEntryId: string | null;
}

export interface PostingFilter {
  accountIds: string[];
  kind?: EntryKind;
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Newest first; `cursor` is the last posting id of the previous page. */
  cursor?: string;
  limit: number;
}

export type HoldStatus = 'pending' | 'captured' | 'released' | 'expired';

export interface HoldRecord {
  id: string;
  accountId: string;
  /** Minor units reserved. */
  amount: bigint;
  status: HoldStatus;
  reference: string | null;
  expiresAt: Date | null;
  createdAt: Date;
  resolvedAt: Date | null;
  /** Minor units taken on capture (≤ amount; the rest was released). */
  capturedAmount: bigint | null;
  /** The capture's journal entry. */
  entryId: string | null;
}

/** What `verifyLedger()` found; an empty report is a clean ledger. */
export interface LedgerCheck {
  accountsChecked: number;
  entriesChecked: number;
  /** Accounts whose cached balance differs from the sum of their postings. */
  balanceMismatches: { accountId: string; cached: bigint; computed: bigint }[];
  /** Accounts whose cached `held` differs from the sum of their pending holds. */
  heldMismatches: { accountId: string; cached: bigint; computed: bigint }[];
  /** Entries whose postings do not sum to zero in some currency, or that have fewer than two. */
  unbalancedEntries: { entryId: string; currency: string; sum: bigint; postings: number }[];
  /** Currencies whose postings do not sum to zero across the whole ledger. */
  currencyImbalances: { currency: string; sum: bigint }[];
  /** User accounts with a negative balance or available amount (the CHECK should make this impossible). */
  negativeAccounts: { accountId: string; balance: bigint; held: bigint }[];
}

export interface AccountsRepository {
  insert(account: AccountRecord): Promise<void>;
  /**
   * The system account for `code` and `currency` (id `sys_<code>_<currency>`), created on first
   * use. `existed` is true when another, committed transaction had already created it.
   */
  ensureSystem(code: SystemAccountCode, currency: string, now: Date): Promise<{ id: string; existed: boolean }>;
  findById(id: string): Promise<AccountRecord | undefined>;
  /** The user's default account, if they have one. */
  findDefault(userId: string): Promise<AccountRecord | undefined>;
  /** A user's accounts, oldest first. */
  listForUser(userId: string): Promise<AccountRecord[]>;
  /**
   * Serialises changes to one user's set of accounts (opening one, switching the default) by
   * locking the user's row until the transaction ends. Balance updates never take this lock, so
   * it cannot deadlock with them. (SQLite transactions are serial already.)
   */
  lockOwner(userId: string): Promise<void>;
  /** Makes `id` the user's only default account; false if it is not theirs. Call `lockOwner` first. */
  setDefault(userId: string, id: string): Promise<boolean>;
  /**
   * Adds `delta` to the balance and `heldDelta` to the held amount in one conditional UPDATE:
   * for user accounts only if neither goes negative and held stays ≤ balance. Returns the new
   * values, or undefined when refused (no row changes). On PostgreSQL it locks the row until
   * the transaction ends; callers apply deltas in ascending account id order so two
   * transactions touching the same accounts cannot deadlock.
   */
  applyDelta(id: string, delta: bigint, heldDelta?: bigint): Promise<{ balance: bigint; held: bigint } | undefined>;
}

export interface JournalRepository {
  /** Appends an entry and its postings (`balanceAfter` is read from the account in SQL). */
  insert(entry: JournalEntryRecord, postings: Omit<PostingRecord, 'balanceAfter'>[]): Promise<void>;
  findEntry(id: string): Promise<{ entry: JournalEntryRecord; postings: PostingRecord[] } | undefined>;
  /** True if `entryId` already has a reversing entry. */
  isReversed(entryId: string): Promise<boolean>;
  listPostings(filter: PostingFilter): Promise<PostingWithEntry[]>;
  /** Recomputes every balance, held amount and entry sum from the rows (a full scan). */
  verify(): Promise<LedgerCheck>;
}

export interface HoldsRepository {
  insert(hold: HoldRecord): Promise<void>;
  findById(id: string): Promise<HoldRecord | undefined>;
  /** Moves a pending hold to a final state; undefined if it was no longer pending. */
  resolve(
    id: string,
    change: { status: Exclude<HoldStatus, 'pending'>; at: Date; capturedAmount?: bigint; entryId?: string },
  ): Promise<HoldRecord | undefined>;
  /** Pending holds whose `expiresAt` ≤ `now` (optionally of one account), oldest first. */
  listExpired(now: Date, accountId?: string, limit?: number): Promise<HoldRecord[]>;
}

export interface IdempotencyRecord {
  /** Keys are scoped per user. */
  userId: string;
  key: string;
  /** SHA-256 of the operation and its normalised input. */
  requestHash: string;
  /** The stored outcome, replayed for a retry: `{ ok: true, value }` or `{ ok: false, code, detail, fields }`. */
  outcome: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export interface IdempotencyRepository {
  find(userId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Stores an outcome. Returns false when a live record for the key already exists (another
   * request won); an expired one is replaced. Inside a PostgreSQL transaction a concurrent
   * insert of the same key waits for the first to commit or roll back.
   */
  insert(record: IdempotencyRecord): Promise<boolean>;
  /** Deletes outcomes kept past their time; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

/** One stored OHLCV bar. */
export interface CandleRecord {
  symbol: string;
  interval: string;
  openTime: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface CandleRange {
  /** Inclusive lower bound on open time. */
  from?: Date;
  /** Exclusive upper bound on open time. */
  to?: Date;
  limit: number;
  /** `asc` (default): the oldest `limit` bars in the range; `desc`: the newest, newest first. */
  order?: 'asc' | 'desc';
}

export interface CandlesRepository {
  /** Inserts each bar, or replaces the stored one with the same symbol, interval and open time. Keys must be unique within a call. */
  upsert(candles: CandleRecord[]): Promise<void>;
  list(symbol: string, interval: string, range: CandleRange): Promise<CandleRecord[]>;
  /** The intervals stored for a symbol. */
  intervals(symbol: string): Promise<string[]>;
}

export type TradeSide = 'BUY' | 'SELL';
export type OrderType = 'market' | 'limit' | 'stop';
/** `pending` waits for its price; `filled` opened a trade; `cancelled` by the user; `rejected` by the broker. */
export type OrderStatus = 'pending' | 'filled' | 'cancelled' | 'rejected';
export type TradeStatus = 'open' | 'closed';
/** Why a trade closed. `stop_out`: a short's loss reached its whole stake. */
export type TradeCloseReason = 'manual' | 'stop_loss' | 'take_profit' | 'stop_out' | 'signal' | 'copy';
/** Who asked for it: the user, one of their running strategies, or copy trading. */
export type TradeSource = 'manual' | 'strategy' | 'copy';

/**
 * An order to open a trade. Its stake is reserved by a ledger hold from placement until the
 * order fills (the hold then backs the trade) or is cancelled (the hold is released).
 */
export interface OrderRecord {
  id: string;
  userId: string;
  accountId: string;
  symbol: string;
  side: TradeSide;
  type: OrderType;
  status: OrderStatus;
  /** Minor units of `currency`, reserved by `holdId`. */
  stake: bigint;
  currency: string;
  /** The limit or stop price; null for market orders. */
  price: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  holdId: string;
  /** The trade the fill opened. */
  tradeId: string | null;
  fillPrice: number | null;
  source: TradeSource;
  /** The signal, strategy or master trade that caused it (null for manual orders). */
  reference: string | null;
  /** The copy-trading subscription a copy was placed through. */
  subscriptionId: string | null;
  /** Why the broker refused it. */
  rejectReason: string | null;
  createdAt: Date;
  /** When it left `pending`. */
  resolvedAt: Date | null;
}

export interface OrderChanges {
  status: Exclude<OrderStatus, 'pending'>;
  resolvedAt: Date;
  tradeId?: string;
  fillPrice?: number;
  rejectReason?: string;
}

/** An open or closed trade: a stake at risk on one symbol, backed by its order's hold while open. */
export interface TradeRecord {
  id: string;
  userId: string;
  accountId: string;
  orderId: string;
  symbol: string;
  side: TradeSide;
  stake: bigint;
  currency: string;
  /** Units of the instrument: stake ÷ entry price (informative; P&L is computed from the stake). */
  quantity: number;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  status: TradeStatus;
  exitPrice: number | null;
  closeReason: TradeCloseReason | null;
  /** Realised P&L in minor units (negative: a loss, never below −stake). */
  pnl: bigint | null;
  holdId: string;
  /** The `trade_settlement` journal entry (null when the P&L was exactly zero). */
  settlementEntryId: string | null;
  source: TradeSource;
  reference: string | null;
  /** The copy-trading subscription a copy was placed through. */
  subscriptionId: string | null;
  openedAt: Date;
  closedAt: Date | null;
}

export interface TradeClose {
  exitPrice: number;
  closeReason: TradeCloseReason;
  pnl: bigint;
  settlementEntryId: string | null;
  closedAt: Date;
}

export interface TradeFilter {
  userId: string;
  status?: TradeStatus;
  symbol?: string;
  /** Newest first; `cursor` is the last id of the previous page. */
  cursor?: string;
  limit: number;
}

export interface OrderFilter {
  userId: string;
  status?: OrderStatus;
  symbol?: string;
  cursor?: string;
  limit: number;
}

export interface OrdersRepository {
  insert(order: OrderRecord): Promise<void>;
  findById(id: string): Promise<OrderRecord | undefined>;
  /** Moves a pending order to a final state; undefined if it was no longer pending (someone else resolved it). */
  resolve(id: string, changes: OrderChanges): Promise<OrderRecord | undefined>;
  list(filter: OrderFilter): Promise<OrderRecord[]>;
  /** Every pending order (of one symbol), oldest first: what the broker must be watching. */
  listPending(symbol?: string): Promise<OrderRecord[]>;
}

export interface TradesRepository {
  insert(trade: TradeRecord): Promise<void>;
  findById(id: string): Promise<TradeRecord | undefined>;
  /** Closes an open trade; undefined if it was already closed (a concurrent close won). */
  close(id: string, change: TradeClose): Promise<TradeRecord | undefined>;
  list(filter: TradeFilter): Promise<TradeRecord[]>;
  /** Open trades of a symbol with a stop-loss or take-profit to watch, or of a SELL (stop-out), oldest first. */
  listOpenBySymbol(symbol: string): Promise<TradeRecord[]>;
  /** Open copies of a master's trade (source `copy`, reference = the master trade's id). */
  listOpenCopies(masterTradeId: string): Promise<TradeRecord[]>;
  /** Open trades plus pending orders of the user, and the stake of both on `symbol`. */
  exposure(userId: string, symbol: string): Promise<{ positions: number; symbolStake: bigint }>;
  /** Σ pnl of the user's trades in `currency` closed at or after `since`. */
  realisedSince(userId: string, currency: string, since: Date): Promise<bigint>;
}

/** A user's stored risk limits (money in minor units of `currency`). */
export interface RiskProfileRecord {
  userId: string;
  currency: string;
  minStake: bigint;
  maxStake: bigint;
  maxDailyLoss: bigint;
  maxConsecutiveLosses: number;
  stakeProgression: string[];
  maxOpenPositions: number;
  maxExposurePerSymbol: bigint;
  lossCooldownMinutes: number;
  timeZone: string;
  updatedAt: Date;
}

export interface RiskLockRecord {
  id: string;
  userId: string;
  scope: 'user' | 'symbol' | 'side';
  symbol: string | null;
  side: TradeSide | null;
  reason: string;
  until: Date;
  createdAt: Date;
  clearedAt: Date | null;
  clearedBy: string | null;
}

/**
 * A signal or trade refused for the user's protection: by tradeplane's risk manager
 * (`source: 'risk'`) or reported by the follower's trading terminal (`source: 'ea'`).
 */
export interface ProtectionEventRecord {
  id: string;
  userId: string;
  source: 'risk' | 'ea';
  subscriptionId: string | null;
  /** The reporter's own event id, unique per user (EA reports are idempotent on it). */
  externalId: string | null;
  reason: string;
  symbol: string | null;
  side: TradeSide | null;
  /** The stake asked for, minor units of `currency`. */
  stake: bigint | null;
  currency: string | null;
  details: Record<string, unknown> | null;
  occurredAt: Date;
  createdAt: Date;
}

export interface ProtectionEventFilter {
  /** Omitted: every user's (admin). */
  userId?: string;
  source?: 'risk' | 'ea';
  subscriptionId?: string;
  /** The reporter's own id (a retried report finds the stored event). */
  externalId?: string;
  reason?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

export type ProtectionEventGrouping = 'reason' | 'symbol' | 'day';

export interface RiskRepository {
  findProfile(userId: string): Promise<RiskProfileRecord | undefined>;
  upsertProfile(profile: RiskProfileRecord): Promise<void>;
  /** The user's losing streak: how many settled trades in a row lost, and when the last one did. */
  streak(userId: string): Promise<{ consecutiveLosses: number; lastLossAt: Date | null }>;
  /** Counts a settlement into the streak in one statement: a loss adds one, anything else resets it. */
  recordResult(userId: string, lost: boolean, at: Date): Promise<{ consecutiveLosses: number; lastLossAt: Date | null }>;
  insertLock(lock: RiskLockRecord): Promise<void>;
  findLock(id: string): Promise<RiskLockRecord | undefined>;
  /** Locks not cleared whose `until` is after `now` (all of the user's when `now` is omitted), newest first. */
  listLocks(userId: string, now?: Date): Promise<RiskLockRecord[]>;
  /** Clears a lock; undefined if it was already cleared. */
  clearLock(id: string, by: string, at: Date): Promise<RiskLockRecord | undefined>;
  /** Inserts an event; false if the user already has one with the same `externalId`. */
  insertEvent(event: ProtectionEventRecord): Promise<boolean>;
  listEvents(filter: ProtectionEventFilter): Promise<ProtectionEventRecord[]>;
  /** Counts per reason, symbol or UTC day (`key`: the day's start, ISO date), largest count first. */
  summarizeEvents(filter: Omit<ProtectionEventFilter, 'cursor' | 'limit'>, groupBy: ProtectionEventGrouping): Promise<{ key: string | null; count: number }[]>;
}

/** A user's strategy bot: a panel of strategies trading one symbol and interval on every stored bar while active. */
export interface StrategyRecord {
  id: string;
  userId: string;
  name: string;
  /** Null: the user's default account at the time of each trade. */
  accountId: string | null;
  symbol: string;
  interval: string;
  /** `{ strategies: [{ name, params }], consensus: { minConfidence, minVotes, margin, weights } }`. */
  config: { strategies: { name: string; params?: Record<string, unknown> }[]; consensus?: Record<string, unknown> };
  /** Decimal string in the account's currency; null → the risk manager's recommended stake. */
  stake: string | null;
  /** Stop-loss and take-profit as fractions of the entry price (0.02 = 2 %). */
  stopLossPct: number | null;
  takeProfitPct: number | null;
  status: 'active' | 'paused';
  createdAt: Date;
  updatedAt: Date;
}

/** One consensus round of a strategy bot, kept whether or not it traded. */
export interface SignalRecord {
  id: string;
  strategyId: string;
  userId: string;
  symbol: string;
  interval: string;
  /** Open time of the bar the signal was computed on. */
  barTime: Date;
  side: 'BUY' | 'SELL' | 'HOLD';
  decision: string;
  confidence: number;
  buyScore: number;
  sellScore: number;
  votes: { strategy: string; side: string; confidence: number; reason: string }[];
  reason: string;
  /** `traded`, `held`, `already_open`, `risk_rejected:<reason>`, `failed:<code>`. */
  outcome: string;
  tradeId: string | null;
  createdAt: Date;
}

export interface StrategiesRepository {
  insert(strategy: StrategyRecord): Promise<void>;
  findById(id: string): Promise<StrategyRecord | undefined>;
  listForUser(userId: string): Promise<StrategyRecord[]>;
  /** Active bots on a symbol and interval, oldest first. */
  listActive(symbol: string, interval: string): Promise<StrategyRecord[]>;
  setStatus(id: string, status: StrategyRecord['status'], at: Date): Promise<StrategyRecord | undefined>;
}

export interface SignalsRepository {
  insert(signal: SignalRecord): Promise<void>;
  /** Newest first. */
  list(filter: { userId: string; strategyId?: string; cursor?: string; limit: number }): Promise<SignalRecord[]>;
}

export type BacktestStatus = 'queued' | 'running' | 'completed' | 'failed';

/** A backtest run: what was asked, where it stands, and once completed what came of it. */
export interface BacktestRecord {
  id: string;
  userId: string;
  status: BacktestStatus;
  symbol: string;
  interval: string;
  /** Bars with from ≤ open time < to. */
  from: Date;
  to: Date;
  currency: string;
  initialBalance: bigint;
  /** The rest of the request (strategies, consensus, risk, stake, stops), as given. */
  params: Record<string, unknown>;
  /** Bars replayed so far. */
  candles: number;
  /** The metrics and counts (small; listed). */
  summary: Record<string, unknown> | null;
  /** The trades and the equity curve (large; only read one backtest at a time). Undefined when not selected. */
  detail?: Record<string, unknown> | null;
  error: { code: string; detail: string } | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Last sign of life of the process running it. */
  heartbeatAt: Date;
}

export interface BacktestsRepository {
  insert(backtest: BacktestRecord): Promise<void>;
  /** With `detail`. */
  findById(id: string): Promise<BacktestRecord | undefined>;
  /** Newest first, without `detail`. */
  list(filter: { userId: string; cursor?: string; limit: number }): Promise<BacktestRecord[]>;
  update(id: string, patch: Partial<Pick<BacktestRecord, 'status' | 'candles' | 'summary' | 'detail' | 'error' | 'startedAt' | 'completedAt' | 'heartbeatAt'>>): Promise<void>;
  /** Marks queued or running backtests whose heartbeat is older than `before` as failed with `error`; returns how many. */
  failStale(before: Date, error: { code: string; detail: string }, at: Date): Promise<number>;
}

/** A user's master-trader profile: others may subscribe to copy their trades. */
export interface MasterRecord {
  id: string;
  userId: string;
  displayName: string;
  description: string | null;
  /** Markup on a master bot's clients' profit, basis points (500–5000). */
  markupBps: number;
  /** Performance fee on followers' gains above their high-water mark, basis points. */
  performanceFeeBps: number;
  visibility: 'public' | 'private';
  createdAt: Date;
  updatedAt: Date;
}

export type SubscriptionStatus = 'active' | 'paused' | 'cancelled' | 'expired';
export type CopyMode = 'fixed' | 'proportional' | 'multiplier';

/** A follower copying a master, authenticated from their terminal by a license token. */
export interface SubscriptionRecord {
  id: string;
  followerId: string;
  masterId: string;
  /** The master's user id (denormalised: the copy hook looks subscriptions up by it). */
  masterUserId: string;
  /** The follower's account the copies trade on; null → their default account at each trade. */
  accountId: string | null;
  copyMode: CopyMode;
  /** `fixed`: the stake, decimal string in the account's currency. */
  fixedStake: string | null;
  /** `multiplier`: k as a decimal string. */
  multiplier: string | null;
  /** A cap on each copied stake, decimal string; the follower's risk profile applies as well. */
  maxStake: string | null;
  status: SubscriptionStatus;
  /** SHA-256 of the license token; the token itself is never stored. */
  tokenHash: string;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CopyRepository {
  insertMaster(master: MasterRecord): Promise<void>;
  findMaster(id: string): Promise<MasterRecord | undefined>;
  findMasterByUser(userId: string): Promise<MasterRecord | undefined>;
  /** Public masters, oldest first, keyset on id. */
  listPublicMasters(filter: { cursor?: string; limit: number }): Promise<MasterRecord[]>;
  /**
   * A master's active subscriptions, per kind of the account they copy onto (the subscription's
   * account, or the follower's default account when it names none).
   */
  countFollowers(masterId: string): Promise<{ demo: number; real: number }>;
  insertSubscription(subscription: SubscriptionRecord): Promise<void>;
  findSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  findSubscriptionByTokenHash(tokenHash: string): Promise<SubscriptionRecord | undefined>;
  /** The follower's subscription to a master that is active or paused, if any. */
  findLiveSubscription(followerId: string, masterId: string): Promise<SubscriptionRecord | undefined>;
  /** Newest first, keyset on id. */
  listSubscriptions(filter: { followerId: string; cursor?: string; limit: number }): Promise<SubscriptionRecord[]>;
  listActiveForMasterUser(masterUserId: string): Promise<SubscriptionRecord[]>;
  /** Applies `changes` when the subscription's status is one of `from`; returns the updated row, or undefined. */
  updateSubscription(id: string, from: readonly SubscriptionStatus[], changes: Partial<Pick<SubscriptionRecord, 'status' | 'tokenHash' | 'updatedAt'>>): Promise<SubscriptionRecord | undefined>;
  /** Active or paused subscriptions whose `expiresAt` ≤ `now`, oldest expiry first. */
  listDueToExpire(now: Date, limit: number): Promise<SubscriptionRecord[]>;
}

export type CommissionKind = 'performance_fee' | 'markup';

/**
 * One commission charge on a follower: a period's performance fee (over the high-water mark)
 * or one copied trade's markup. Its `key` makes it happen once; the ledger entry `entryId`
 * moves `charged` from the follower's account to the master (`masterAmount`), the platform
 * (`platformAmount`) and the follower's affiliate (`affiliateAmount`).
 */
export interface CommissionChargeRecord {
  id: string;
  /** `fee:<subscription>:<account>:<period>` or `markup:<trade>`: unique. */
  key: string;
  kind: CommissionKind;
  subscriptionId: string;
  masterId: string;
  masterUserId: string;
  followerId: string;
  /** The follower's account the copies traded on and the charge is taken from. */
  accountId: string;
  currency: string;
  /** Performance fee: the settlement period (`2026-11-24`, `2026-W48`, `2026-11`); markup: the close's UTC day. */
  period: string;
  periodStart: Date | null;
  /** Performance fee: the end of the period (exclusive); markup: the trade's close. */
  periodEnd: Date;
  /** Markup: the copied trade. */
  tradeId: string | null;
  /** Performance fee: the change in copy equity since the last fee; markup: the trade's P&L. Minor units. */
  profit: bigint;
  /** Performance fee: Σ P&L of the subscription's closed copies on the account, up to `periodEnd`. */
  equity: bigint | null;
  /** Closed copies counted in `equity`. */
  closedCopies: number | null;
  hwmBefore: bigint | null;
  hwmAfter: bigint | null;
  rateBps: number;
  /** What the rules ask for. */
  fee: bigint;
  /** What was taken: `fee`, or less when the available balance fell short. */
  charged: bigint;
  masterAmount: bigint;
  platformAmount: bigint;
  affiliateAmount: bigint;
  affiliateUserId: string | null;
  /** The ledger entry (null when nothing was charged). */
  entryId: string | null;
  createdAt: Date;
}

/** The result so far of a subscription's copies on one account. */
export interface CopyResult {
  subscriptionId: string;
  accountId: string;
  currency: string;
  pnl: bigint;
  closedCopies: number;
}

export interface CommissionRepository {
  /** Inserts a charge; false when its `key` is taken (the charge already happened). */
  insertCharge(charge: CommissionChargeRecord): Promise<boolean>;
  /** The subscription's latest performance-fee charge on the account (by period end). */
  latestFee(subscriptionId: string, accountId: string): Promise<CommissionChargeRecord | undefined>;
  /** Σ P&L and count of closed copies per subscription and account, closed before `until`. */
  copyResults(until: Date): Promise<CopyResult[]>;
  /** Closed copies with a profit, closed before `until`, that have no markup charge yet (oldest first). */
  unchargedMarkups(until: Date, limit: number): Promise<TradeRecord[]>;
  /** Newest first, keyset on id; `userId` matches the follower or the master. */
  listCharges(filter: { userId?: string; as?: 'follower' | 'master'; period?: string; kind?: CommissionKind; cursor?: string; limit: number }): Promise<CommissionChargeRecord[]>;
  /** Σ affiliate amounts per currency for an affiliate. */
  affiliateEarnings(affiliateUserId: string): Promise<{ currency: string; amount: bigint }[]>;
}

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

export interface NotificationRecord {
  id: string;
  userId: string;
  /** `subscription.paused`, `commission.charged`, `protection.event`, `wallet.deposit`, `admin.action`, … */
  type: string;
  title: string;
  body: string | null;
  data: Record<string, unknown> | null;
  readAt: Date | null;
  createdAt: Date;
}

export interface NotificationsRepository {
  insert(notification: NotificationRecord): Promise<void>;
  /** Newest first, keyset on id. */
  list(filter: { userId: string; unread?: boolean; cursor?: string; limit: number }): Promise<NotificationRecord[]>;
  /** Marks one read (once); undefined when it is not the user's. */
  markRead(userId: string, id: string, at: Date): Promise<NotificationRecord | undefined>;
  /** Marks all the user's unread ones read; returns how many. */
  markAllRead(userId: string, at: Date): Promise<number>;
  countUnread(userId: string): Promise<number>;
}

/** A background job's shared state: who holds it, and how its last run went. */
export interface JobRecord {
  name: string;
  /** The instance running it now (or last), and until when its lease holds. */
  holder: string | null;
  leaseUntil: Date | null;
  lastTickAt: Date | null;
  lastDurationMs: number | null;
  lastError: string | null;
}

export interface JobsRepository {
  /**
   * Takes the job's lease for `holder` until `until` when it is free (no row, or the lease
   * ended before `now`); returns the row, or undefined when another instance holds it.
   */
  acquire(name: string, holder: string, now: Date, until: Date): Promise<JobRecord | undefined>;
  /** Records a run and gives the lease up (only the holder can). */
  finish(name: string, holder: string, result: { at: Date; durationMs: number; error: string | null }): Promise<void>;
  list(): Promise<JobRecord[]>;
}

/**
 * Fixed-window request counters, shared by every instance on the database. `hit` counts one
 * request in `key`'s window starting at `windowStart` (a new window resets the count) in one
 * atomic statement and returns the count so far.
 */
export interface RateLimitsRepository {
  hit(key: string, windowStart: Date): Promise<number>;
  /** Deletes counters of windows that started before `before`. */
  purge(before: Date): Promise<number>;
}

/** Single-use tokens (stream tickets): each id is accepted once, across every instance. */
export interface UsedTokensRepository {
  /** Marks `id` spent until `expiresAt`; true the first time, false if it was already spent. */
  consume(id: string, expiresAt: Date): Promise<boolean>;
  /** Forgets tokens that expired before `now` (they are refused as expired anyway). */
  purgeExpired(now: Date): Promise<number>;
}

export type WithdrawalStatus = 'pending' | 'completed' | 'rejected' | 'failed' | 'cancelled';

/** A withdrawal from a real account: the amount is held until it is paid out or refused. */
export interface WithdrawalRecord {
  id: string;
  userId: string;
  accountId: string;
  holdId: string;
  /** Minor units. */
  amount: bigint;
  currency: string;
  status: WithdrawalStatus;
  reference: string | null;
  /** The funding source that paid it out (`operator`, a provider's id) and its own reference. */
  source: string | null;
  sourceReference: string | null;
  /** The operator who resolved it (null when a source or the user did). */
  resolvedBy: string | null;
  note: string | null;
  entryId: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface WithdrawalsRepository {
  insert(record: WithdrawalRecord): Promise<void>;
  findById(id: string): Promise<WithdrawalRecord | undefined>;
  /** Newest first, `cursor` being the last id of the previous page; optionally one user's or one status's. */
  list(filter: { userId?: string; status?: WithdrawalStatus; cursor?: string; limit: number }): Promise<WithdrawalRecord[]>;
  /** Moves a pending withdrawal to a final state; undefined if it was no longer pending. */
  resolve(
    id: string,
    change: Pick<WithdrawalRecord, 'resolvedAt' | 'resolvedBy' | 'note' | 'entryId' | 'source' | 'sourceReference'> & { status: Exclude<WithdrawalStatus, 'pending'> },
  ): Promise<WithdrawalRecord | undefined>;
}

export type OperatorCreditStatus = 'pending_approval' | 'completed' | 'rejected';

/** Real money credited by an operator, with the reason; above a set amount it waits for a second operator. */
export interface OperatorCreditRecord {
  id: string;
  userId: string;
  accountId: string;
  /** Minor units. */
  amount: bigint;
  currency: string;
  status: OperatorCreditStatus;
  reason: string;
  reference: string | null;
  requestedBy: string;
  resolvedBy: string | null;
  note: string | null;
  entryId: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface OperatorCreditsRepository {
  insert(record: OperatorCreditRecord): Promise<void>;
  findById(id: string): Promise<OperatorCreditRecord | undefined>;
  /** Newest first, `cursor` being the last id of the previous page. */
  list(filter: { status?: OperatorCreditStatus; cursor?: string; limit: number }): Promise<OperatorCreditRecord[]>;
  /** Moves a credit awaiting approval to a final state; undefined if it was no longer awaiting. */
  resolve(
    id: string,
    change: Pick<OperatorCreditRecord, 'resolvedAt' | 'resolvedBy' | 'note' | 'entryId'> & { status: Exclude<OperatorCreditStatus, 'pending_approval'> },
  ): Promise<OperatorCreditRecord | undefined>;
}

/** Business-facing counts for `GET /status`. */
export interface BusinessCounts {
  users: Record<UserStatus, number>;
  activeAdmins: number;
  openTrades: number;
  activeSubscriptions: number;
}

export interface SystemRepository {
  businessCounts(): Promise<BusinessCounts>;
}

export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  refreshTokens: RefreshTokensRepository;
  revokedTokens: RevokedTokensRepository;
  audit: AuditRepository;
  loginThrottle: LoginThrottleRepository;
  apiKeys: ApiKeysRepository;
  identities: IdentitiesRepository;
  accounts: AccountsRepository;
  journal: JournalRepository;
  holds: HoldsRepository;
  idempotency: IdempotencyRepository;
  candles: CandlesRepository;
  orders: OrdersRepository;
  trades: TradesRepository;
  risk: RiskRepository;
  strategies: StrategiesRepository;
  signals: SignalsRepository;
  backtests: BacktestsRepository;
  copy: CopyRepository;
  commission: CommissionRepository;
  affiliates: AffiliatesRepository;
  notifications: NotificationsRepository;
  jobs: JobsRepository;
  system: SystemRepository;
  rateLimits: RateLimitsRepository;
  usedTokens: UsedTokensRepository;
  withdrawals: WithdrawalsRepository;
  operatorCredits: OperatorCreditsRepository;
}

export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one database transaction: it commits if `fn` resolves and rolls back if it
   * throws (the error is re-thrown). Nested calls are not supported.
   */
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Single-statement reads and writes outside an explicit transaction. */
  readonly repos: Repositories;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: commits a whole two-posting movement (balances, entry, postings, Idempotency-Key,
   * notification) at once, everything decided up front except the resulting balances. Both
   * built-in storages have it: PostgreSQL as one statement, one round trip (there a transaction's
   * round trips, not its statements, are most of a movement's cost), movements that arrive
   * together sharing one statement and one commit, each still all or nothing; SQLite as compiled
   * statements run back to back without the general path's work between them. Resolves to the two
   * accounts' states after it (in `lines` order), or to `undefined` when it wrote nothing
   * because the happy path did not apply — a debit not covered, a balance out of range, the key
   * already stored — and the caller must run its general path, which knows what to do about
   * each. Any other failure rejects, also having written nothing.
   */
  postMovement?(movement: MovementStatement): Promise<[AccountState, AccountState] | undefined>;
}

/** An account's balance and held amount (minor units). */
export interface AccountState {
  balance: bigint;
  held: bigint;
}

/**
 * Text with holes for the values a statement produces: `parts[0] + value(holes[0]) + parts[1] +
 * … + parts[n]`, each hole naming a line of the movement and which of its amounts goes there,
 * formatted as a decimal string with `minorUnit` (`"0.01"`) as the value of one minor unit.
 */
export interface TextTemplate {
  parts: string[];
  holes: { line: 0 | 1; value: 'balance' | 'held' | 'available' }[];
}

export interface MovementLine {
  accountId: string;
  delta: bigint;
  expected?: Pick<AccountRecord, 'userId' | 'currency' | 'kind' | 'status' | 'isDefault'>;
}

/** See `Storage.postMovement`. Everything is decided up front except the resulting balances. */
export interface MovementStatement {
  /**
   * The two balance changes, in lock order (ascending account id). Each is refused, not applied,
   * if it would overdraw a user account or leave the 64-bit range, or if the account no longer
   * is as `expected` (a record the caller remembered): then the caller's checks and answer,
   * made from that record, would be stale.
   */
  lines: [MovementLine, MovementLine];
  /** One minor unit of the movement's currency as a decimal string: `"0.01"`, `"1"`. */
  minorUnit: string;
  entry: JournalEntryRecord;
  /** Their `balanceAfter` is ignored: the statement fills it in from its line. */
  postings: [PostingRecord, PostingRecord];
  /** Inserted, not upserted: a key already stored (expired or not) refuses the statement. */
  key: Omit<IdempotencyRecord, 'outcome'> & { outcome: TextTemplate };
  notification?: Omit<NotificationRecord, 'data'> & { data: TextTemplate };
}
