import { integer, text, timestamp } from '../columns.js';
import { check, index, oneOf, table, uniqueIndex } from '../kit.js';
import { roles, userStatuses } from '../values.js';

/*
 * The auth module's tables: users, their sessions and refresh tokens, revoked access tokens,
 * sign-in throttling, API keys and linked external identities.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
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
