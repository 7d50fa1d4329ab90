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

export interface UsersRepository {
  /** Inserts a user. Throws `TradeplaneError('email_taken')` if the email exists. */
  insert(user: UserRecord): Promise<void>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
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
}

export interface RevokedTokensRepository {
  /** Idempotent: revoking an already revoked jti is not an error. Read by `sessions.authState`. */
  add(token: RevokedAccessToken): Promise<void>;
}

export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  refreshTokens: RefreshTokensRepository;
  revokedTokens: RevokedTokensRepository;
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
}
