import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { RefreshTokenRecord, Role, SessionRecord, Storage, UserRecord } from '../ports/storage.js';
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
  refresh(input: { refreshToken: string }): Promise<TokenPair>;
  /** Revokes the principal's session: its refresh tokens and every access token issued for it. */
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

  /** Mints a refresh token: the clear token is returned once; its record holds only the hash. */
  function mintRefreshToken(userId: string, sessionId: string, now: Date): { token: string; record: RefreshTokenRecord } {
    const token = generateOpaqueToken(REFRESH_PREFIX);
    return {
      token,
      record: {
        id: ids.next(),
        sessionId,
        userId,
        tokenHash: hashToken(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + options.refreshTokenTtl * 1000),
        rotatedAt: null,
      },
    };
  }

  /** Signing needs no database, so it happens after the transaction commits, never inside it. */
  function signAccessToken(user: UserRecord, sessionId: string, now: Date): Promise<string> {
    return signer.sign({ sub: user.id, jti: ids.next(), role: user.role, tv: user.tokenVersion, sid: sessionId }, now, options.accessTokenTtl);
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
      const session: SessionRecord = {
        id: ids.next(),
        userId: user.id,
        tokenVersion: user.tokenVersion,
        createdAt: now,
        lastUsedAt: now,
        revokedAt: null,
        userAgent: userAgent?.slice(0, 256) ?? null,
      };
      const refresh = mintRefreshToken(user.id, session.id, now);
      await storage.transaction(async (tx) => {
        await tx.sessions.insert(session);
        await tx.refreshTokens.insert(refresh.record);
      });
      return pair(user, await signAccessToken(user, session.id, now), refresh.token);
    },

    async refresh({ refreshToken }) {
      const now = clock.now();
      // The transaction decides; errors are thrown after it commits so that a detected reuse
      // keeps its session revocation instead of rolling it back.
      const outcome = await storage.transaction(async (tx) => {
        const current = await tx.refreshTokens.findByHash(hashToken(refreshToken));
        if (!current) return { kind: 'invalid' } as const;
        // Touching the session first locks its row (PostgreSQL): a concurrent logout or reuse
        // revocation of this session either finished before us, and we see it revoked, or
        // waits until we commit, and then revokes the successor we issue along with it.
        const session = await tx.sessions.touch(current.sessionId, now);
        if (!session) return { kind: 'invalid' } as const;
        const reused = { kind: 'reused', userId: current.userId, sessionId: current.sessionId } as const;
        if (current.rotatedAt) {
          await tx.sessions.revoke(current.sessionId, now);
          return reused;
        }
        // Expiry before rotation: retrying an expired token must not look like reuse.
        if (current.expiresAt.getTime() <= now.getTime()) return { kind: 'invalid' } as const;
        if (!(await tx.refreshTokens.markRotated(current.id, now))) {
          await tx.sessions.revoke(current.sessionId, now); // a concurrent refresh of this token won
          return reused;
        }
        const user = await tx.users.findById(current.userId);
        if (!user || user.status === 'pending') return { kind: 'invalid' } as const;
        if (user.status === 'disabled') return { kind: 'disabled' } as const;
        // A password change or admin action since sign-in (token_version bump) ends the session.
        if (user.tokenVersion !== session.tokenVersion) return { kind: 'invalid' } as const;
        const successor = mintRefreshToken(user.id, current.sessionId, now);
        await tx.refreshTokens.insert(successor.record);
        return { kind: 'ok', user, refreshToken: successor.token, sessionId: current.sessionId } as const;
      });
      switch (outcome.kind) {
        case 'ok':
          return pair(outcome.user, await signAccessToken(outcome.user, outcome.sessionId, now), outcome.refreshToken);
        case 'reused':
          deps.logger.warn({ event: 'auth.refresh_reuse', userId: outcome.userId, sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
          throw new TradeplaneError('refresh_token_reused', 'This refresh token was already used; the session has been revoked');
        case 'disabled':
          throw new TradeplaneError('account_disabled', 'This account has been disabled');
        default:
          throw new TradeplaneError('invalid_token', 'The refresh token is invalid or expired');
      }
    },

    async logout(principal) {
      const now = clock.now();
      await storage.transaction(async (tx) => {
        await tx.sessions.revoke(principal.sessionId, now);
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
      const state = await storage.repos.sessions.authState({ sessionId: claims.sid, userId: claims.sub, tokenId: claims.jti });
      // No state: unknown user, revoked session (logout, refresh-token reuse) or deny-listed jti.
      if (!state || state.status !== 'active' || state.tokenVersion !== claims.tv) {
        throw new TradeplaneError('invalid_token', 'The access token has been revoked');
      }
      // The role comes from the database, not the token, so a demotion applies at once.
      return {
        userId: claims.sub,
        role: state.role,
        sessionId: claims.sid,
        tokenId: claims.jti,
        tokenExpiresAt: new Date(claims.exp * 1000),
      };
    },
  };
}
