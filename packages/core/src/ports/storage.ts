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

export interface RefreshTokenRecord {
  id: string;
  /** All tokens descending from one login share a family; reuse of a rotated token revokes it. */
  familyId: string;
  userId: string;
  /** SHA-256 of the opaque token; the token itself is never stored. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set when this token was exchanged for its successor. */
  rotatedAt: Date | null;
  revokedAt: Date | null;
  userAgent: string | null;
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

export interface RefreshTokensRepository {
  insert(token: RefreshTokenRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Marks a token rotated only if it is still live (not rotated, not revoked).
   * Returns false when another request got there first, so two concurrent refreshes of the
   * same token cannot both succeed.
   */
  markRotated(id: string, at: Date): Promise<boolean>;
  /** Revokes every live token in a family; returns how many were revoked. */
  revokeFamily(familyId: string, at: Date): Promise<number>;
}

export interface RevokedTokensRepository {
  /** Idempotent: revoking an already revoked jti is not an error. */
  add(token: RevokedAccessToken): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

export interface Repositories {
  users: UsersRepository;
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
