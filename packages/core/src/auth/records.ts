/**
 * Storage records and repositories of the auth module: users, sessions, refresh and revoked
 * tokens, the sign-in throttle, API keys and linked identities.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
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
