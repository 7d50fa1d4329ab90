import { sql } from 'drizzle-orm';
import { bigint, boolean, check, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';

/** PostgreSQL schema; mirrors `schema.sqlite.ts` name for name. */
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['user', 'viewer', 'admin'] }).notNull(),
    status: text('status', { enum: ['active', 'pending', 'disabled'] }).notNull(),
    tokenVersion: integer('token_version').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Optional sign-in name, stored lower-cased; unique when present. */
    username: text('username'),
    /** The referral code given at sign-up, kept for the affiliate module. */
    referralCode: text('referral_code'),
  },
  (t) => [
    uniqueIndex('users_email_unique').on(t.email),
    uniqueIndex('users_username_unique').on(t.username),
    check('users_role_check', sql`${t.role} in ('user', 'viewer', 'admin')`),
    check('users_status_check', sql`${t.status} in ('active', 'pending', 'disabled')`),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenVersion: integer('token_version').notNull(),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at').notNull(),
    revokedAt: ts('revoked_at'),
    userAgent: text('user_agent'),
    deviceLabel: text('device_label'),
    ip: text('ip'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    rotatedAt: ts('rotated_at'),
  },
  (t) => [uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash), index('refresh_tokens_session_idx').on(t.sessionId)],
);

export const revokedAccessTokens = pgTable(
  'revoked_access_tokens',
  {
    jti: text('jti').primaryKey(),
    userId: text('user_id').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('revoked_access_tokens_expires_idx').on(t.expiresAt)],
);

/** Admin actions and security events: append-only. */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: text('id').primaryKey(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    requestId: text('request_id'),
    /** JSON object with action-specific facts; never secrets. */
    details: text('details'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('audit_logs_action_idx').on(t.action, t.id), index('audit_logs_target_idx').on(t.targetId, t.id)],
);

/** Failed sign-in counters per key (`account:<email>`, `ip:<address>`), shared by every instance. */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  windowStartedAt: ts('window_started_at').notNull(),
  failures: integer('failures').notNull(),
  blockedUntil: ts('blocked_until'),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The public part shown in listings (`tp_<prefix>_…`). */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key. */
    keyHash: text('key_hash').notNull(),
    /** Space-separated scopes. */
    scopes: text('scopes').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at'),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_unique').on(t.keyHash), index('api_keys_user_idx').on(t.userId)],
);

/** External identities (OIDC `iss` + `sub`) linked to users. */
export const identities = pgTable(
  'identities',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('identities_provider_subject_unique').on(t.provider, t.subject), index('identities_user_idx').on(t.userId)],
);

/** Minor units as int8: exact in JS as bigint (postgres.js sends int8 as text; drizzle maps it). */
const money = (name: string) => bigint(name, { mode: 'bigint' });

/** See `schema.sqlite.ts` for what each table holds. */
export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').references(() => users.id, { onDelete: 'restrict' }),
    currency: text('currency').notNull(),
    kind: text('kind', { enum: ['demo', 'real', 'system'] }).notNull(),
    systemCode: text('system_code', { enum: ['external', 'demo_faucet', 'demo_settlement', 'fees', 'commission', 'settlement', 'adjustments'] }),
    isDefault: boolean('is_default').notNull().default(false),
    status: text('status', { enum: ['active', 'frozen'] }).notNull(),
    balance: money('balance').notNull(),
    held: money('held').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('accounts_user_idx').on(t.userId),
    uniqueIndex('accounts_one_default_per_user').on(t.userId).where(sql`${t.isDefault}`),
    uniqueIndex('accounts_system_unique').on(t.systemCode, t.currency),
    check('accounts_kind_check', sql`${t.kind} in ('demo', 'real', 'system')`),
    check('accounts_owner_check', sql`(${t.kind} = 'system') = (${t.userId} is null) and (${t.kind} = 'system') = (${t.systemCode} is not null)`),
    check('accounts_balance_check', sql`${t.kind} = 'system' or (${t.balance} >= 0 and ${t.held} >= 0 and ${t.held} <= ${t.balance})`),
  ],
);

export const journalEntries = pgTable(
  'journal_entries',
  {
    id: text('id').primaryKey(),
    kind: text('kind', {
      enum: ['deposit', 'withdrawal', 'transfer', 'fee', 'commission', 'trade_settlement', 'adjustment', 'demo_faucet'],
    }).notNull(),
    reference: text('reference'),
    metadata: text('metadata'),
    reversesEntryId: text('reverses_entry_id').references((): AnyPgColumn => journalEntries.id),
    actorId: text('actor_id'),
    createdAt: ts('created_at').notNull(),
  },
  // Partial: only reversals are indexed, so an ordinary entry writes one index fewer (0011).
  (t) => [uniqueIndex('journal_entries_reverses_unique').on(t.reversesEntryId).where(sql`${t.reversesEntryId} is not null`)],
);

export const postings = pgTable(
  'postings',
  {
    id: text('id').primaryKey(),
    entryId: text('entry_id')
      .notNull()
      .references(() => journalEntries.id),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
    balanceAfter: money('balance_after').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('postings_account_idx').on(t.accountId, t.id), index('postings_entry_idx').on(t.entryId), check('postings_nonzero_check', sql`${t.amount} <> 0`)],
);

export const holds = pgTable(
  'holds',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    amount: money('amount').notNull(),
    status: text('status', { enum: ['pending', 'captured', 'released', 'expired'] }).notNull(),
    reference: text('reference'),
    expiresAt: ts('expires_at'),
    createdAt: ts('created_at').notNull(),
    resolvedAt: ts('resolved_at'),
    capturedAmount: money('captured_amount'),
    /** The capture's entry (no foreign key: the hold is claimed before its entry is written). */
    entryId: text('entry_id'),
  },
  (t) => [index('holds_account_status_idx').on(t.accountId, t.status), index('holds_pending_expiry_idx').on(t.status, t.expiresAt), check('holds_amount_check', sql`${t.amount} > 0`)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: text('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    outcome: text('outcome').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

/** Market data (see schema.sqlite.ts): prices are double precision, measurements rather than money. */
export const candles = pgTable(
  'candles',
  {
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    openTime: ts('open_time').notNull(),
    open: doublePrecision('open').notNull(),
    high: doublePrecision('high').notNull(),
    low: doublePrecision('low').notNull(),
    close: doublePrecision('close').notNull(),
    volume: doublePrecision('volume').notNull(),
  },
  (t) => [primaryKey({ columns: [t.symbol, t.interval, t.openTime] })],
);

/**
 * Trading: orders open trades. An order's stake is reserved by a ledger hold from placement; a
 * fill moves the same hold behind the trade, and the trade's settlement resolves it. Prices are
 * REAL (market measurements); stakes and P&L are money (INTEGER minor units).
 */
export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    symbol: text('symbol').notNull(),
    side: text('side', { enum: ['BUY', 'SELL'] }).notNull(),
    type: text('type', { enum: ['market', 'limit', 'stop'] }).notNull(),
    status: text('status', { enum: ['pending', 'filled', 'cancelled', 'rejected'] }).notNull(),
    stake: money('stake').notNull(),
    currency: text('currency').notNull(),
    price: doublePrecision('price'),
    stopLoss: doublePrecision('stop_loss'),
    takeProfit: doublePrecision('take_profit'),
    holdId: text('hold_id').notNull(),
    tradeId: text('trade_id'),
    fillPrice: doublePrecision('fill_price'),
    source: text('source', { enum: ['manual', 'strategy', 'copy'] }).notNull(),
    reference: text('reference'),
    subscriptionId: text('subscription_id'),
    rejectReason: text('reject_reason'),
    createdAt: ts('created_at').notNull(),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    index('orders_user_idx').on(t.userId, t.id),
    index('orders_pending_idx').on(t.status, t.symbol),
    check('orders_stake_check', sql`${t.stake} > 0`),
  ],
);

export const trades = pgTable(
  'trades',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    orderId: text('order_id').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side', { enum: ['BUY', 'SELL'] }).notNull(),
    stake: money('stake').notNull(),
    currency: text('currency').notNull(),
    quantity: doublePrecision('quantity').notNull(),
    entryPrice: doublePrecision('entry_price').notNull(),
    stopLoss: doublePrecision('stop_loss'),
    takeProfit: doublePrecision('take_profit'),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    exitPrice: doublePrecision('exit_price'),
    closeReason: text('close_reason', { enum: ['manual', 'stop_loss', 'take_profit', 'stop_out', 'signal', 'copy'] }),
    pnl: money('pnl'),
    holdId: text('hold_id').notNull(),
    settlementEntryId: text('settlement_entry_id'),
    source: text('source', { enum: ['manual', 'strategy', 'copy'] }).notNull(),
    reference: text('reference'),
    subscriptionId: text('subscription_id'),
    openedAt: ts('opened_at').notNull(),
    closedAt: ts('closed_at'),
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

/** A user's risk limits; users without a row get the engine's defaults. */
export const riskProfiles = pgTable('risk_profiles', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  currency: text('currency').notNull(),
  minStake: money('min_stake').notNull(),
  maxStake: money('max_stake').notNull(),
  maxDailyLoss: money('max_daily_loss').notNull(),
  maxConsecutiveLosses: integer('max_consecutive_losses').notNull(),
  /** JSON array of decimal strings. */
  stakeProgression: text('stake_progression').notNull(),
  maxOpenPositions: integer('max_open_positions').notNull(),
  maxExposurePerSymbol: money('max_exposure_per_symbol').notNull(),
  lossCooldownMinutes: integer('loss_cooldown_minutes').notNull(),
  timeZone: text('time_zone').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

/** Each user's losing streak, updated by every settlement in its transaction. */
export const riskStreaks = pgTable('risk_streaks', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  consecutiveLosses: integer('consecutive_losses').notNull(),
  lastLossAt: ts('last_loss_at'),
});

export const riskLocks = pgTable(
  'risk_locks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: ['user', 'symbol', 'side'] }).notNull(),
    symbol: text('symbol'),
    side: text('side', { enum: ['BUY', 'SELL'] }),
    reason: text('reason').notNull(),
    until: ts('until').notNull(),
    createdAt: ts('created_at').notNull(),
    clearedAt: ts('cleared_at'),
    clearedBy: text('cleared_by'),
  },
  (t) => [index('risk_locks_user_idx').on(t.userId, t.until)],
);

/** Refused signals and trades: the risk manager's rejections and those reported by trading terminals. */
export const protectionEvents = pgTable(
  'protection_events',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    source: text('source', { enum: ['risk', 'ea'] }).notNull(),
    subscriptionId: text('subscription_id'),
    externalId: text('external_id'),
    reason: text('reason').notNull(),
    symbol: text('symbol'),
    side: text('side', { enum: ['BUY', 'SELL'] }),
    stake: money('stake'),
    currency: text('currency'),
    /** JSON. */
    details: text('details'),
    occurredAt: ts('occurred_at').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('protection_events_user_idx').on(t.userId, t.id),
    index('protection_events_reason_idx').on(t.reason, t.occurredAt),
    uniqueIndex('protection_events_external_unique').on(t.userId, t.externalId),
  ],
);

/** Users' strategy bots: a panel of strategies trading one symbol and interval. */
export const strategies = pgTable(
  'strategies',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    accountId: text('account_id'),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    /** JSON. */
    config: text('config').notNull(),
    stake: text('stake'),
    stopLossPct: doublePrecision('stop_loss_pct'),
    takeProfitPct: doublePrecision('take_profit_pct'),
    status: text('status', { enum: ['active', 'paused'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('strategies_user_idx').on(t.userId), index('strategies_active_idx').on(t.status, t.symbol, t.interval)],
);

/** Every consensus round of every bot, taken or not, with its votes. */
export const signals = pgTable(
  'signals',
  {
    id: text('id').primaryKey(),
    strategyId: text('strategy_id')
      .notNull()
      .references(() => strategies.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    barTime: ts('bar_time').notNull(),
    side: text('side', { enum: ['BUY', 'SELL', 'HOLD'] }).notNull(),
    decision: text('decision').notNull(),
    confidence: doublePrecision('confidence').notNull(),
    buyScore: doublePrecision('buy_score').notNull(),
    sellScore: doublePrecision('sell_score').notNull(),
    /** JSON. */
    votes: text('votes').notNull(),
    reason: text('reason').notNull(),
    outcome: text('outcome').notNull(),
    tradeId: text('trade_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('signals_user_idx').on(t.userId, t.id), index('signals_strategy_idx').on(t.strategyId, t.id)],
);

/** Backtest runs: the request, the state of a job, and the result (JSON). */
export const backtests = pgTable(
  'backtests',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['queued', 'running', 'completed', 'failed'] }).notNull(),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    from: ts('from_time').notNull(),
    to: ts('to_time').notNull(),
    currency: text('currency').notNull(),
    initialBalance: money('initial_balance').notNull(),
    /** JSON. */
    params: text('params').notNull(),
    candles: integer('candles').notNull(),
    /** JSON: metrics and counts. */
    summary: text('summary'),
    /** JSON: trades and equity curve. */
    detail: text('detail'),
    /** JSON: `{ code, detail }`. */
    error: text('error'),
    createdAt: ts('created_at').notNull(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
    heartbeatAt: ts('heartbeat_at').notNull(),
  },
  (t) => [index('backtests_user_idx').on(t.userId, t.id), index('backtests_unfinished_idx').on(t.status, t.heartbeatAt)],
);

/** Master-trader profiles (one per user). */
export const masters = pgTable(
  'masters',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    displayName: text('display_name').notNull(),
    description: text('description'),
    markupBps: integer('markup_bps').notNull(),
    performanceFeeBps: integer('performance_fee_bps').notNull(),
    visibility: text('visibility', { enum: ['public', 'private'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [uniqueIndex('masters_user_unique').on(t.userId), index('masters_visibility_idx').on(t.visibility, t.id)],
);

/** Copy-trading subscriptions; the license token is stored as its SHA-256 only. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    followerId: text('follower_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    masterId: text('master_id')
      .notNull()
      .references(() => masters.id, { onDelete: 'cascade' }),
    masterUserId: text('master_user_id').notNull(),
    accountId: text('account_id'),
    copyMode: text('copy_mode', { enum: ['fixed', 'proportional', 'multiplier'] }).notNull(),
    fixedStake: text('fixed_stake'),
    multiplier: text('multiplier'),
    maxStake: text('max_stake'),
    status: text('status', { enum: ['active', 'paused', 'cancelled', 'expired'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: ts('expires_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('subscriptions_token_unique').on(t.tokenHash),
    index('subscriptions_follower_idx').on(t.followerId, t.id),
    index('subscriptions_master_user_idx').on(t.masterUserId, t.status),
    // One live subscription per follower and master; cancelled and expired ones stay as history.
    uniqueIndex('subscriptions_live_unique').on(t.followerId, t.masterId).where(sql`${t.status} in ('active', 'paused')`),
  ],
);

/**
 * Commission charged to followers: performance fees per settlement period (with the high-water
 * mark they leave) and markups per copied trade. `key` makes each charge happen once.
 */
export const commissionCharges = pgTable(
  'commission_charges',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    kind: text('kind', { enum: ['performance_fee', 'markup'] }).notNull(),
    subscriptionId: text('subscription_id').notNull(),
    masterId: text('master_id').notNull(),
    masterUserId: text('master_user_id').notNull(),
    followerId: text('follower_id').notNull(),
    accountId: text('account_id').notNull(),
    currency: text('currency').notNull(),
    period: text('period').notNull(),
    periodStart: ts('period_start'),
    periodEnd: ts('period_end').notNull(),
    tradeId: text('trade_id'),
    profit: money('profit').notNull(),
    equity: money('equity'),
    closedCopies: integer('closed_copies'),
    hwmBefore: money('hwm_before'),
    hwmAfter: money('hwm_after'),
    rateBps: integer('rate_bps').notNull(),
    fee: money('fee').notNull(),
    charged: money('charged').notNull(),
    masterAmount: money('master_amount').notNull(),
    platformAmount: money('platform_amount').notNull(),
    affiliateAmount: money('affiliate_amount').notNull(),
    affiliateUserId: text('affiliate_user_id'),
    entryId: text('entry_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('commission_charges_key_unique').on(t.key),
    index('commission_charges_fee_idx').on(t.subscriptionId, t.accountId, t.kind, t.periodEnd),
    index('commission_charges_follower_idx').on(t.followerId, t.id),
    index('commission_charges_master_idx').on(t.masterUserId, t.id),
    index('commission_charges_trade_idx').on(t.tradeId),
    index('commission_charges_affiliate_idx').on(t.affiliateUserId),
    check('commission_charges_split_check', sql`${t.charged} = ${t.masterAmount} + ${t.platformAmount} + ${t.affiliateAmount} and ${t.charged} >= 0 and ${t.charged} <= ${t.fee}`),
  ],
);

/** Each user's affiliate code (created on first request). */
export const affiliateCodes = pgTable(
  'affiliate_codes',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('affiliate_codes_code_unique').on(t.code)],
);

/** Who referred whom: written at sign-up from a valid `referral_code`. */
export const referrals = pgTable(
  'referrals',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    affiliateUserId: text('affiliate_user_id').notNull(),
    code: text('code').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('referrals_affiliate_idx').on(t.affiliateUserId)],
);

/** Users' notifications. */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body'),
    /** JSON. */
    data: text('data'),
    readAt: ts('read_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.id), index('notifications_unread_idx').on(t.userId, t.readAt)],
);

/** Background jobs: a lease so one instance runs each at a time, and the last run for `/health`. */
export const jobs = pgTable('jobs', {
  name: text('name').primaryKey(),
  holder: text('holder'),
  leaseUntil: ts('lease_until'),
  lastTickAt: ts('last_tick_at'),
  lastDurationMs: integer('last_duration_ms'),
  lastError: text('last_error'),
});

/** Rate-limit counters: one fixed window per key, shared by every instance. */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    windowStart: ts('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [index('rate_limits_window_idx').on(t.windowStart)],
);

export const withdrawals = pgTable(
  'withdrawals',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    holdId: text('hold_id')
      .notNull()
      .references(() => holds.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['pending', 'completed', 'rejected', 'failed', 'cancelled'] }).notNull(),
    reference: text('reference'),
    source: text('source'),
    sourceReference: text('source_reference'),
    resolvedBy: text('resolved_by'),
    note: text('note'),
    entryId: text('entry_id'),
    createdAt: ts('created_at').notNull(),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    index('withdrawals_user_idx').on(t.userId, t.id),
    index('withdrawals_status_idx').on(t.status, t.id),
    check('withdrawals_amount_check', sql`${t.amount} > 0`),
    check('withdrawals_status_check', sql`${t.status} in ('pending', 'completed', 'rejected', 'failed', 'cancelled')`),
  ],
);

export const operatorCredits = pgTable(
  'operator_credits',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['pending_approval', 'completed', 'rejected'] }).notNull(),
    reason: text('reason').notNull(),
    reference: text('reference'),
    requestedBy: text('requested_by').notNull(),
    resolvedBy: text('resolved_by'),
    note: text('note'),
    entryId: text('entry_id'),
    createdAt: ts('created_at').notNull(),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    index('operator_credits_status_idx').on(t.status, t.id),
    index('operator_credits_account_idx').on(t.accountId, t.id),
    check('operator_credits_amount_check', sql`${t.amount} > 0`),
    check('operator_credits_status_check', sql`${t.status} in ('pending_approval', 'completed', 'rejected')`),
  ],
);

export const usedTokens = pgTable(
  'used_tokens',
  {
    id: text('id').primaryKey(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('used_tokens_expires_idx').on(t.expiresAt)],
);
