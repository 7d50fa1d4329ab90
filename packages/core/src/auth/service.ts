import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { RefreshTokenRecord, Role, Storage, UserRecord } from '../ports/storage.js';
import { argon2idHasher, type PasswordHasher } from './passwords.js';
import { generateOpaqueToken, hashToken, hs256Signer, type AccessTokenSigner } from './tokens.js';
import type { AuthOptions } from './options.js';

/** Who is calling, as established from an access token. */
export interface Principal {
  userId: string;
  role: Role;
  /** The refresh-token family (session) the access token was issued for. */
  sessionId: string;
  /** The access token's id and expiry, so logout can deny-list it. */
  tokenId: string;
  tokenExpiresAt: Date;
}

/** A user as services return it: camelCase, real Dates, no password hash. */
export interface User {
  id: string;
  email: string;
  role: Role;
  status: UserRecord['status'];
  createdAt: Date;
}

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresIn: number;
  refreshToken: string;
  refreshTokenExpiresIn: number;
  user: User;
}

export interface AuthService {
  register(input: { email: string; password: string }): Promise<User>;
  login(input: { email: string; password: string; userAgent?: string }): Promise<TokenPair>;
  refresh(input: { refreshToken: string; userAgent?: string }): Promise<TokenPair>;
  /** Revokes the principal's session (refresh family) and its access token. */
  logout(principal: Principal): Promise<void>;
  getUser(userId: string): Promise<User>;
  /** Verifies an access token and the user's current state; throws `invalid_token`. */
  authenticate(accessToken: string): Promise<Principal>;
}

export interface AuthServiceDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  options: AuthOptions;
  /** Override for tests or custom hashing; defaults to argon2id with `options.passwordHashing`. */
  hasher?: PasswordHasher;
  signer?: AccessTokenSigner;
}

const REFRESH_PREFIX = 'tpr_';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toUser(record: UserRecord): User {
  return { id: record.id, email: record.email, role: record.role, status: record.status, createdAt: record.createdAt };
}

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const { storage, clock, ids, options } = deps;
  const hasher = deps.hasher ?? argon2idHasher(options.passwordHashing);
  const signer = deps.signer ?? hs256Signer(options.jwtSecret, options.issuer, options.audience);

  /** Signs an access token and mints a refresh token (returned in clear once; its record holds only the hash). */
  async function issueTokens(user: UserRecord, familyId: string, now: Date): Promise<{ access: string; refresh: string; refreshRecord: RefreshTokenRecord }> {
    const refresh = generateOpaqueToken(REFRESH_PREFIX);
    const access = await signer.sign(
      { sub: user.id, jti: ids.next(), role: user.role, tv: user.tokenVersion, sid: familyId },
      now,
      options.accessTokenTtl,
    );
    return {
      access,
      refresh,
      refreshRecord: {
        id: ids.next(),
        familyId,
        userId: user.id,
        tokenHash: hashToken(refresh),
        createdAt: now,
        expiresAt: new Date(now.getTime() + options.refreshTokenTtl * 1000),
        rotatedAt: null,
        revokedAt: null,
        userAgent: null,
      },
    };
  }

  function pair(user: UserRecord, access: string, refresh: string): TokenPair {
    return {
      accessToken: access,
      accessTokenExpiresIn: options.accessTokenTtl,
      refreshToken: refresh,
      refreshTokenExpiresIn: options.refreshTokenTtl,
      user: toUser(user),
    };
  }

  function assertCanSignIn(user: UserRecord): void {
    if (user.status === 'disabled') throw new TradeplaneError('account_disabled', 'This account has been disabled');
    if (user.status !== 'active') throw new TradeplaneError('forbidden', 'This account is not active');
  }

  return {
    async register({ email, password }) {
      const normalized = normalizeEmail(email);
      // Hash before opening the transaction: argon2 takes tens of ms and must not hold locks.
      const passwordHash = await hasher.hash(password);
      const now = clock.now();
      const record: UserRecord = {
        id: ids.next(),
        email: normalized,
        passwordHash,
        role: 'user',
        status: 'active',
        tokenVersion: 0,
        createdAt: now,
        updatedAt: now,
      };
      await storage.transaction(async (tx) => {
        if (await tx.users.findByEmail(normalized)) {
          throw new TradeplaneError('email_taken', 'An account with this email already exists');
        }
        await tx.users.insert(record); // the unique index still guards concurrent sign-ups
      });
      return toUser(record);
    },

    async login({ email, password, userAgent }) {
      const user = await storage.repos.users.findByEmail(normalizeEmail(email));
      if (!user) {
        await hasher.verifyDummy(password);
        throw new TradeplaneError('invalid_credentials', 'Email or password is incorrect');
      }
      if (!(await hasher.verify(user.passwordHash, password))) {
        throw new TradeplaneError('invalid_credentials', 'Email or password is incorrect');
      }
      assertCanSignIn(user);
      const now = clock.now();
      const { access, refresh, refreshRecord } = await issueTokens(user, ids.next(), now);
      refreshRecord.userAgent = userAgent?.slice(0, 256) ?? null;
      await storage.transaction((tx) => tx.refreshTokens.insert(refreshRecord));
      return pair(user, access, refresh);
    },

    async refresh({ refreshToken, userAgent }) {
      const now = clock.now();
      // The transaction decides; errors are thrown after it commits so that a detected reuse
      // keeps its family revocation instead of rolling it back.
      const outcome = await storage.transaction(async (tx) => {
        const current = await tx.refreshTokens.findByHash(hashToken(refreshToken));
        if (!current || current.revokedAt) return { kind: 'invalid' } as const;
        if (current.rotatedAt) {
          await tx.refreshTokens.revokeFamily(current.familyId, now);
          return { kind: 'reused', userId: current.userId, familyId: current.familyId } as const;
        }
        if (current.expiresAt.getTime() <= now.getTime()) return { kind: 'invalid' } as const;
        const user = await tx.users.findById(current.userId);
        if (!user || user.status !== 'active') return { kind: 'invalid' } as const;
        if (!(await tx.refreshTokens.markRotated(current.id, now))) {
          // A concurrent refresh of the same token won the race: treat as reuse.
          await tx.refreshTokens.revokeFamily(current.familyId, now);
          return { kind: 'reused', userId: current.userId, familyId: current.familyId } as const;
        }
        const issued = await issueTokens(user, current.familyId, now);
        issued.refreshRecord.userAgent = userAgent?.slice(0, 256) ?? current.userAgent;
        await tx.refreshTokens.insert(issued.refreshRecord);
        return { kind: 'ok', tokens: pair(user, issued.access, issued.refresh) } as const;
      });
      if (outcome.kind === 'ok') return outcome.tokens;
      if (outcome.kind === 'reused') {
        deps.logger.warn({ event: 'auth.refresh_reuse', userId: outcome.userId, sessionId: outcome.familyId }, 'refresh token reuse: session revoked');
        throw new TradeplaneError('refresh_token_reused', 'This refresh token was already used; the session has been revoked');
      }
      throw new TradeplaneError('invalid_token', 'The refresh token is invalid or expired');
    },

    async logout(principal) {
      const now = clock.now();
      await storage.transaction(async (tx) => {
        await tx.refreshTokens.revokeFamily(principal.sessionId, now);
        await tx.revokedTokens.add({ jti: principal.tokenId, userId: principal.userId, expiresAt: principal.tokenExpiresAt });
      });
    },

    async getUser(userId) {
      const user = await storage.repos.users.findById(userId);
      if (!user) throw new TradeplaneError('not_found', 'No such user');
      return toUser(user);
    },

    async authenticate(accessToken) {
      const claims = await signer.verify(accessToken, clock.now());
      const [user, revoked] = await Promise.all([
        storage.repos.users.findById(claims.sub),
        storage.repos.revokedTokens.isRevoked(claims.jti),
      ]);
      if (!user || user.status !== 'active' || user.tokenVersion !== claims.tv || revoked) {
        throw new TradeplaneError('invalid_token', 'The access token has been revoked');
      }
      // The role comes from the database, not the token, so a demotion applies at once.
      return {
        userId: user.id,
        role: user.role,
        sessionId: claims.sid,
        tokenId: claims.jti,
        tokenExpiresAt: new Date(claims.exp * 1000),
      };
    },
  };
}
