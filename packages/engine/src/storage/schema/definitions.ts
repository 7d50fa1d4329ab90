import { sql } from 'drizzle-orm';
import { boolean, integer, money, real, text, timestamp, type ColumnSpec } from './columns.js';
import { check, index, isTrue, oneOf, primaryKey, table, uniqueIndex } from './kit.js';
import {
  accountKinds,
  accountStatuses,
  backtestStatuses,
  commissionKinds,
  copyModes,
  entryKinds,
  holdStatuses,
  liveSubscriptionStatuses,
  lockScopes,
  masterVisibilities,
  operatorCreditStatuses,
  orderStatuses,
  orderTypes,
  protectionSources,
  roles,
  signalSides,
  strategyStatuses,
  subscriptionStatuses,
  systemAccountCodes,
  tradeCloseReasons,
  tradeSides,
  tradeSources,
  tradeStatuses,
  userStatuses,
  withdrawalStatuses,
} from './values.js';

/*
 * Every table of the engine, declared once for both databases: `schema.sqlite.ts` and
 * `schema.postgres.ts` build these definitions with drizzle (and drizzle-kit generates each
 * dialect's migrations from them). Table and column names are therefore identical on both, and
 * the repositories are written once against both (see `repositories.ts`). Only this file's
 * table definitions may be exported: the dialect builders take its whole namespace.
 */

export const users = table(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', roles).notNull(),
    status: text('status', userStatuses).notNull(),
    tokenVersion: integer('token_version').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
    /** Optional sign-in name, stored lower-cased; unique when present. */
    username: text('username'),
    /** The referral code given at sign-up, kept for the affiliate module. */
    referralCode: text('referral_code'),
  },
  (t) => [
    uniqueIndex('users_email_unique').on(t.email),
    uniqueIndex('users_username_unique').on(t.username),
    check('users_role_check', oneOf(t.role, roles)),
    check('users_status_check', oneOf(t.status, userStatuses)),
  ],
);

export const sessions = table(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    tokenVersion: integer('token_version').notNull(),
    createdAt: timestamp('created_at').notNull(),
    lastUsedAt: timestamp('last_used_at').notNull(),
    revokedAt: timestamp('revoked_at'),
    userAgent: text('user_agent'),
    deviceLabel: text('device_label'),
    ip: text('ip'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const refreshTokens = table(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.columns.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    rotatedAt: timestamp('rotated_at'),
  },
  (t) => [uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash), index('refresh_tokens_session_idx').on(t.sessionId)],
);

export const revokedAccessTokens = table(
  'revoked_access_tokens',
  {
    jti: text('jti').primaryKey(),
    userId: text('user_id').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [index('revoked_access_tokens_expires_idx').on(t.expiresAt)],
);

/** Admin actions and security events: append-only. */
export const auditLogs = table(
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
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('audit_logs_action_idx').on(t.action, t.id), index('audit_logs_target_idx').on(t.targetId, t.id)],
);

/** Failed sign-in counters per key (`account:<email>`, `ip:<address>`), shared by every instance. */
export const loginThrottle = table('login_throttle', {
  key: text('key').primaryKey(),
  windowStartedAt: timestamp('window_started_at').notNull(),
  failures: integer('failures').notNull(),
  blockedUntil: timestamp('blocked_until'),
});

export const apiKeys = table(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The public part shown in listings (`tp_<prefix>_…`). */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key. */
    keyHash: text('key_hash').notNull(),
    /** Space-separated scopes. */
    scopes: text('scopes').notNull(),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at'),
    lastUsedAt: timestamp('last_used_at'),
    revokedAt: timestamp('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_unique').on(t.keyHash), index('api_keys_user_idx').on(t.userId)],
);

/** External identities (OIDC `iss` + `sub`) linked to users. */
export const identities = table(
  'identities',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    email: text('email'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [uniqueIndex('identities_provider_subject_unique').on(t.provider, t.subject), index('identities_user_idx').on(t.userId)],
);

/**
 * Ledger accounts: users' demo and real accounts and the per-currency system accounts.
 * `balance` caches the sum of the account's postings and `held` the sum of its pending holds,
 * both updated in the transaction that changes them; the CHECK is the last line of defence
 * against an overdraft (the conditional UPDATE refuses first).
 */
export const accounts = table(
  'accounts',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').references(() => users.columns.id, { onDelete: 'restrict' }),
    currency: text('currency').notNull(),
    kind: text('kind', accountKinds).notNull(),
    systemCode: text('system_code', systemAccountCodes),
    isDefault: boolean('is_default').notNull().default(false),
    status: text('status', accountStatuses).notNull(),
    balance: money('balance').notNull(),
    held: money('held').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t, dialect) => [
    index('accounts_user_idx').on(t.userId),
    uniqueIndex('accounts_one_default_per_user').on(t.userId).where(isTrue(t.isDefault, dialect)),
    uniqueIndex('accounts_system_unique').on(t.systemCode, t.currency),
    check('accounts_kind_check', oneOf(t.kind, accountKinds)),
    check('accounts_owner_check', sql`(${t.kind} = 'system') = (${t.userId} is null) and (${t.kind} = 'system') = (${t.systemCode} is not null)`),
    check('accounts_balance_check', sql`${t.kind} = 'system' or (${t.balance} >= 0 and ${t.held} >= 0 and ${t.held} <= ${t.balance})`),
  ],
);

/** Journal entries: append-only; a correction is a new reversing entry. */
export const journalEntries = table(
  'journal_entries',
  {
    id: text('id').primaryKey(),
    kind: text('kind', entryKinds).notNull(),
    reference: text('reference'),
    /** JSON object. */
    metadata: text('metadata'),
    reversesEntryId: text('reverses_entry_id').references((): ColumnSpec => journalEntries.columns.id),
    actorId: text('actor_id'),
    createdAt: timestamp('created_at').notNull(),
  },
  // Partial: only reversals are indexed, so an ordinary entry writes one index fewer (0011).
  (t) => [uniqueIndex('journal_entries_reverses_unique').on(t.reversesEntryId).where(sql`${t.reversesEntryId} is not null`)],
);

/** One line of an entry; an entry's postings sum to zero per currency. */
export const postings = table(
  'postings',
  {
    id: text('id').primaryKey(),
    entryId: text('entry_id')
      .notNull()
      .references(() => journalEntries.columns.id),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
    balanceAfter: money('balance_after').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('postings_account_idx').on(t.accountId, t.id), index('postings_entry_idx').on(t.entryId), check('postings_nonzero_check', sql`${t.amount} <> 0`)],
);

/** Two-phase reservations: pending → captured | released | expired. */
export const holds = table(
  'holds',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    amount: money('amount').notNull(),
    status: text('status', holdStatuses).notNull(),
    reference: text('reference'),
    expiresAt: timestamp('expires_at'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
    capturedAmount: money('captured_amount'),
    /** The capture's entry (no foreign key: the hold is claimed before its entry is written). */
    entryId: text('entry_id'),
  },
  (t) => [index('holds_account_status_idx').on(t.accountId, t.status), index('holds_pending_expiry_idx').on(t.status, t.expiresAt), check('holds_amount_check', sql`${t.amount} > 0`)],
);

/** Stored outcomes of money requests, per user and Idempotency-Key. */
export const idempotencyKeys = table(
  'idempotency_keys',
  {
    userId: text('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** JSON. */
    outcome: text('outcome').notNull(),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [primaryKey(t.userId, t.key), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

/**
 * Market data: OHLCV bars per symbol and interval, keyed by open time so re-ingesting a bar
 * replaces it instead of duplicating it. Prices are `real` (REAL, double precision): they are
 * measurements that feed floating-point indicators, not money.
 */
export const candles = table(
  'candles',
  {
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    openTime: timestamp('open_time').notNull(),
    open: real('open').notNull(),
    high: real('high').notNull(),
    low: real('low').notNull(),
    close: real('close').notNull(),
    volume: real('volume').notNull(),
  },
  (t) => [primaryKey(t.symbol, t.interval, t.openTime)],
);

/**
 * Trading: orders open trades. An order's stake is reserved by a ledger hold from placement; a
 * fill moves the same hold behind the trade, and the trade's settlement resolves it. Prices are
 * `real` (market measurements); stakes and P&L are `money` (minor units).
 */
export const orders = table(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    symbol: text('symbol').notNull(),
    side: text('side', tradeSides).notNull(),
    type: text('type', orderTypes).notNull(),
    status: text('status', orderStatuses).notNull(),
    stake: money('stake').notNull(),
    currency: text('currency').notNull(),
    price: real('price'),
    stopLoss: real('stop_loss'),
    takeProfit: real('take_profit'),
    holdId: text('hold_id').notNull(),
    tradeId: text('trade_id'),
    fillPrice: real('fill_price'),
    source: text('source', tradeSources).notNull(),
    reference: text('reference'),
    subscriptionId: text('subscription_id'),
    rejectReason: text('reject_reason'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
  },
  (t) => [
    index('orders_user_idx').on(t.userId, t.id),
    index('orders_pending_idx').on(t.status, t.symbol),
    check('orders_stake_check', sql`${t.stake} > 0`),
  ],
);

export const trades = table(
  'trades',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    orderId: text('order_id').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side', tradeSides).notNull(),
    stake: money('stake').notNull(),
    currency: text('currency').notNull(),
    quantity: real('quantity').notNull(),
    entryPrice: real('entry_price').notNull(),
    stopLoss: real('stop_loss'),
    takeProfit: real('take_profit'),
    status: text('status', tradeStatuses).notNull(),
    exitPrice: real('exit_price'),
    closeReason: text('close_reason', tradeCloseReasons),
    pnl: money('pnl'),
    holdId: text('hold_id').notNull(),
    settlementEntryId: text('settlement_entry_id'),
    source: text('source', tradeSources).notNull(),
    reference: text('reference'),
    subscriptionId: text('subscription_id'),
    openedAt: timestamp('opened_at').notNull(),
    closedAt: timestamp('closed_at'),
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
export const riskProfiles = table('risk_profiles', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.columns.id, { onDelete: 'cascade' }),
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
  updatedAt: timestamp('updated_at').notNull(),
});

/** Each user's losing streak, updated by every settlement in its transaction. */
export const riskStreaks = table('risk_streaks', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.columns.id, { onDelete: 'cascade' }),
  consecutiveLosses: integer('consecutive_losses').notNull(),
  lastLossAt: timestamp('last_loss_at'),
});

export const riskLocks = table(
  'risk_locks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    scope: text('scope', lockScopes).notNull(),
    symbol: text('symbol'),
    side: text('side', tradeSides),
    reason: text('reason').notNull(),
    until: timestamp('until').notNull(),
    createdAt: timestamp('created_at').notNull(),
    clearedAt: timestamp('cleared_at'),
    clearedBy: text('cleared_by'),
  },
  (t) => [index('risk_locks_user_idx').on(t.userId, t.until)],
);

/** Refused signals and trades: the risk manager's rejections and those reported by trading terminals. */
export const protectionEvents = table(
  'protection_events',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    source: text('source', protectionSources).notNull(),
    subscriptionId: text('subscription_id'),
    externalId: text('external_id'),
    reason: text('reason').notNull(),
    symbol: text('symbol'),
    side: text('side', tradeSides),
    stake: money('stake'),
    currency: text('currency'),
    /** JSON. */
    details: text('details'),
    occurredAt: timestamp('occurred_at').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('protection_events_user_idx').on(t.userId, t.id),
    index('protection_events_reason_idx').on(t.reason, t.occurredAt),
    uniqueIndex('protection_events_external_unique').on(t.userId, t.externalId),
  ],
);

/** Users' strategy bots: a panel of strategies trading one symbol and interval. */
export const strategies = table(
  'strategies',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    accountId: text('account_id'),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    /** JSON. */
    config: text('config').notNull(),
    stake: text('stake'),
    stopLossPct: real('stop_loss_pct'),
    takeProfitPct: real('take_profit_pct'),
    status: text('status', strategyStatuses).notNull(),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('strategies_user_idx').on(t.userId), index('strategies_active_idx').on(t.status, t.symbol, t.interval)],
);

/** Every consensus round of every bot, taken or not, with its votes. */
export const signals = table(
  'signals',
  {
    id: text('id').primaryKey(),
    strategyId: text('strategy_id')
      .notNull()
      .references(() => strategies.columns.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    barTime: timestamp('bar_time').notNull(),
    side: text('side', signalSides).notNull(),
    decision: text('decision').notNull(),
    confidence: real('confidence').notNull(),
    buyScore: real('buy_score').notNull(),
    sellScore: real('sell_score').notNull(),
    /** JSON. */
    votes: text('votes').notNull(),
    reason: text('reason').notNull(),
    outcome: text('outcome').notNull(),
    tradeId: text('trade_id'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('signals_user_idx').on(t.userId, t.id), index('signals_strategy_idx').on(t.strategyId, t.id)],
);

/** Backtest runs: the request, the state of a job, and the result (JSON). */
export const backtests = table(
  'backtests',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    status: text('status', backtestStatuses).notNull(),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    from: timestamp('from_time').notNull(),
    to: timestamp('to_time').notNull(),
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
    createdAt: timestamp('created_at').notNull(),
    startedAt: timestamp('started_at'),
    completedAt: timestamp('completed_at'),
    heartbeatAt: timestamp('heartbeat_at').notNull(),
  },
  (t) => [index('backtests_user_idx').on(t.userId, t.id), index('backtests_unfinished_idx').on(t.status, t.heartbeatAt)],
);

/** Master-trader profiles (one per user). */
export const masters = table(
  'masters',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    displayName: text('display_name').notNull(),
    description: text('description'),
    markupBps: integer('markup_bps').notNull(),
    performanceFeeBps: integer('performance_fee_bps').notNull(),
    visibility: text('visibility', masterVisibilities).notNull(),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [uniqueIndex('masters_user_unique').on(t.userId), index('masters_visibility_idx').on(t.visibility, t.id)],
);

/** Copy-trading subscriptions; the license token is stored as its SHA-256 only. */
export const subscriptions = table(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    followerId: text('follower_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    masterId: text('master_id')
      .notNull()
      .references(() => masters.columns.id, { onDelete: 'cascade' }),
    masterUserId: text('master_user_id').notNull(),
    accountId: text('account_id'),
    copyMode: text('copy_mode', copyModes).notNull(),
    fixedStake: text('fixed_stake'),
    multiplier: text('multiplier'),
    maxStake: text('max_stake'),
    status: text('status', subscriptionStatuses).notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('subscriptions_token_unique').on(t.tokenHash),
    index('subscriptions_follower_idx').on(t.followerId, t.id),
    index('subscriptions_master_user_idx').on(t.masterUserId, t.status),
    // One live subscription per follower and master; cancelled and expired ones stay as history.
    uniqueIndex('subscriptions_live_unique').on(t.followerId, t.masterId).where(oneOf(t.status, liveSubscriptionStatuses)),
  ],
);

/**
 * Commission charged to followers: performance fees per settlement period (with the high-water
 * mark they leave) and markups per copied trade. `key` makes each charge happen once.
 */
export const commissionCharges = table(
  'commission_charges',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    kind: text('kind', commissionKinds).notNull(),
    subscriptionId: text('subscription_id').notNull(),
    masterId: text('master_id').notNull(),
    masterUserId: text('master_user_id').notNull(),
    followerId: text('follower_id').notNull(),
    accountId: text('account_id').notNull(),
    currency: text('currency').notNull(),
    period: text('period').notNull(),
    periodStart: timestamp('period_start'),
    periodEnd: timestamp('period_end').notNull(),
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
    createdAt: timestamp('created_at').notNull(),
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

/** Users' notifications. */
export const notifications = table(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body'),
    /** JSON. */
    data: text('data'),
    readAt: timestamp('read_at'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.id), index('notifications_unread_idx').on(t.userId, t.readAt)],
);

/** Background jobs: a lease so one instance runs each at a time, and the last run for `/health`. */
export const jobs = table('jobs', {
  name: text('name').primaryKey(),
  holder: text('holder'),
  leaseUntil: timestamp('lease_until'),
  lastTickAt: timestamp('last_tick_at'),
  lastDurationMs: integer('last_duration_ms'),
  lastError: text('last_error'),
});

/** Rate-limit counters: one fixed window per key, shared by every instance. */
export const rateLimits = table(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    windowStart: timestamp('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [index('rate_limits_window_idx').on(t.windowStart)],
);

/**
 * Withdrawals from real accounts. The user's request holds the amount (`hold_id`); the money
 * leaves only when an operator or a funding source completes it (`entry_id`), and a rejected,
 * failed or cancelled one releases the hold.
 */
export const withdrawals = table(
  'withdrawals',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    holdId: text('hold_id')
      .notNull()
      .references(() => holds.columns.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', withdrawalStatuses).notNull(),
    reference: text('reference'),
    /** The funding source that paid it out (`operator`, a provider's id) and its own reference. */
    source: text('source'),
    sourceReference: text('source_reference'),
    /** Who resolved it: an operator's user id (null when a source or the user did). */
    resolvedBy: text('resolved_by'),
    /** Why it was rejected, failed or cancelled. */
    note: text('note'),
    entryId: text('entry_id'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
  },
  (t) => [
    index('withdrawals_user_idx').on(t.userId, t.id),
    index('withdrawals_status_idx').on(t.status, t.id),
    check('withdrawals_amount_check', sql`${t.amount} > 0`),
    check('withdrawals_status_check', oneOf(t.status, withdrawalStatuses)),
  ],
);

/**
 * Real money credited by an operator: audited with a reason, and above the configured amount
 * posted only once a second operator approves it.
 */
export const operatorCredits = table(
  'operator_credits',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', operatorCreditStatuses).notNull(),
    reason: text('reason').notNull(),
    reference: text('reference'),
    requestedBy: text('requested_by').notNull(),
    /** The second operator who approved or rejected it (the requester when none was needed). */
    resolvedBy: text('resolved_by'),
    note: text('note'),
    entryId: text('entry_id'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
  },
  (t) => [
    index('operator_credits_status_idx').on(t.status, t.id),
    index('operator_credits_account_idx').on(t.accountId, t.id),
    check('operator_credits_amount_check', sql`${t.amount} > 0`),
    check('operator_credits_status_check', oneOf(t.status, operatorCreditStatuses)),
  ],
);

/** Single-use tokens already spent (stream tickets), kept until they would have expired anyway. */
export const usedTokens = table(
  'used_tokens',
  {
    id: text('id').primaryKey(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [index('used_tokens_expires_idx').on(t.expiresAt)],
);
