import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger, Observer } from '../ports/index.js';
import type { Repositories, Role, Storage, UserRecord } from '../ports/storage.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { argon2idHasher, type PasswordHasher } from './passwords.js';
import { limitHashing } from './hash-limit.js';
import { equalTime } from './equal-time.js';
import { createPasswordPolicy } from './password-policy.js';
import { createAccessTokenSigner, type AccessTokenClaims, type AccessTokenSigner } from './tokens.js';
import { createLoginThrottle } from './login-throttle.js';
import { createOidcVerifier } from './oidc.js';
import { normalizeEmail } from './email.js';
import type { AuthOptions } from './options.js';
import type { Principal, SessionPrincipal } from '../ports/principals.js';
import { createSessions } from './sessions.js';

export type { Principal, SessionPrincipal };

/** A user as services return it: camelCase, real Dates, no password hash. */
export interface User {
  id: string;
  email: string;
  username: string | null;
  role: Role;
  status: UserRecord['status'];
  referralCode: string | null;
  createdAt: Date;
}

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresIn: number;
  refreshToken: string;
  refreshTokenExpiresIn: number;
  sessionId: string;
  user: User;
}

export interface SessionInfo {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  deviceLabel: string | null;
  ip: string | null;
  current: boolean;
}

export interface AuthService {
  register(input: { email: string; password: string; username?: string; referralCode?: string }, context?: RequestContext): Promise<User>;
  /** Sign in with `email` or `username`. */
  login(input: { email?: string; username?: string; password: string; deviceLabel?: string }, context?: RequestContext): Promise<TokenPair>;
  /**
   * Rotates a refresh token. With `csrfToken` set (cookie mode), it must match the session's
   * CSRF token before anything changes.
   */
  refresh(input: { refreshToken: string; csrfToken?: string }, context?: RequestContext): Promise<TokenPair>;
  /** Revokes the principal's session: its refresh tokens and every access token issued for it. */
  logout(principal: SessionPrincipal): Promise<void>;
  /**
   * Ends every session of the user (this device continues in a fresh one) and, unless
   * `revokeApiKeysOnPasswordChange` is false, revokes their API keys; the audit record lists them.
   */
  changePassword(principal: SessionPrincipal, input: { currentPassword: string; newPassword: string }, context?: RequestContext): Promise<TokenPair>;
  listSessions(principal: SessionPrincipal): Promise<SessionInfo[]>;
  /** Forgets sign-in failure counters that no longer count toward anything (a background job). */
  purgeThrottleCounters(): Promise<number>;
  /** Throws `not_found` unless the session is the user's and live. */
  revokeSession(principal: SessionPrincipal, sessionId: string, context?: RequestContext): Promise<void>;
  /** Signs in, links or signs up with an OpenID Connect ID token. */
  signInWithOidc(input: { provider: string; idToken: string; nonce?: string; deviceLabel?: string }, context?: RequestContext): Promise<TokenPair>;
  getUser(userId: string): Promise<User>;
  /** Verifies an access token and the user's current state; throws `invalid_token`. */
  authenticate(accessToken: string): Promise<SessionPrincipal>;
  /**
   * Checks only the token itself (signature, algorithm, issuer, audience, lifetime), without the
   * database: revocations are not seen. For a hot path that re-checks state some other way.
   */
  verifyAccessToken(accessToken: string): Promise<AccessTokenClaims>;
  /** The public keys that verify access tokens (`/.well-known/jwks.json`). */
  jwks(): { keys: Record<string, unknown>[] };
  /** The CSRF token bound to a session (cookie mode). */
  csrfToken(sessionId: string): string;
}

export interface AuthServiceDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditLog;
  options: AuthOptions;
  /** Override for tests or custom hashing; defaults to argon2id with `options.passwordHashing`. */
  hasher?: PasswordHasher;
  signer?: AccessTokenSigner;
  /** Runs inside the sign-up transaction, after the user row is written (wallets open the first account here). */
  onUserCreated?: (tx: Repositories, user: UserRecord) => Promise<void>;
  /** Counts sign-in outcomes (metrics). */
  observer?: Observer;
}

export { normalizeEmail };

export function toUser(record: UserRecord): User {
  return {
    id: record.id,
    email: record.email,
    username: record.username,
    role: record.role,
    status: record.status,
    referralCode: record.referralCode,
    createdAt: record.createdAt,
  };
}

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const { storage, clock, ids, options, audit } = deps;
  // Bounded whatever the hasher: argon2 at full tilt would starve every request that does not hash.
  const hasher = limitHashing(deps.hasher ?? argon2idHasher(options.passwordHashing), options.passwordHashing);
  const signer =
    deps.signer ?? createAccessTokenSigner({ secret: options.jwtSecret, signingKeys: options.signingKeys, issuer: options.issuer, audience: options.audience });
  const checkPassword = createPasswordPolicy(options.passwordPolicy);
  const throttle = createLoginThrottle(storage, clock, options.loginThrottle);
  const signUpTime = equalTime(['email_taken', 'username_taken']);
  const oidc = createOidcVerifier(options.oidc.providers);
  const { sessionEnds, openSession, startSession, csrfFor, refresh } = createSessions({ storage, clock, ids, logger: deps.logger, audit, options, signer });

  /** Why an account that is not active may not sign in. */
  function refuseSignIn(user: UserRecord): never {
    if (user.status === 'disabled') throw new TradeplaneError('account_disabled', 'This account has been disabled');
    throw new TradeplaneError('account_pending', 'This account is awaiting approval by an administrator');
  }

  function assertCanSignIn(user: UserRecord): void {
    if (user.status !== 'active') refuseSignIn(user);
  }

  const invalidCredentials = () => new TradeplaneError('invalid_credentials', 'Email, username or password is incorrect');

  return {
    async register({ email, password, username, referralCode }, context = {}) {
      const normalized = normalizeEmail(email);
      const name = username?.toLowerCase() ?? null;
      await checkPassword(password, { field: 'password', email: normalized, username: name });
      // Hash before opening the transaction: argon2 takes tens of ms and must not hold locks.
      const passwordHash = await hasher.hash(password);
      const now = clock.now();
      const record: UserRecord = {
        id: ids.next(),
        email: normalized,
        passwordHash,
        role: 'user',
        status: options.signupApproval ? 'pending' : 'active',
        tokenVersion: 0,
        createdAt: now,
        updatedAt: now,
        username: name,
        referralCode: referralCode ?? null,
      };
      // A taken email or username answers no sooner than a sign-up that writes and commits.
      await signUpTime(() => storage.transaction(async (tx) => {
        if (await tx.users.findByEmail(normalized)) {
          throw new TradeplaneError('email_taken', 'An account with this email already exists');
        }
        if (name && (await tx.users.findByUsername(name))) throw new TradeplaneError('username_taken', 'This username is already taken');
        await tx.users.insert(record); // the unique indexes still guard concurrent sign-ups
        await deps.onUserCreated?.(tx, record);
        if (record.status === 'pending') {
          await audit.recordIn(tx, { actorId: record.id, action: 'auth.signup_pending', targetType: 'user', targetId: record.id }, context);
        }
      }));
      return toUser(record);
    },

    async login({ email, username, password, deviceLabel }, context = {}) {
      const identifier = email !== undefined ? normalizeEmail(email) : (username ?? '').toLowerCase();
      const user = email !== undefined ? await storage.repos.users.findByEmail(identifier) : await storage.repos.users.findByUsername(identifier);
      // Keyed by user id when the account exists, so email and username share one counter.
      const attempt = { account: user ? `user:${user.id}` : `login:${identifier}`, address: context.ip };
      let attemptState;
      try {
        attemptState = await throttle.check(attempt);
      } catch (error) {
        deps.observer?.login?.('blocked');
        throw error;
      }

      // An unknown user (or one without a password: OIDC-only) costs the same argon2 work.
      const ok = user && user.passwordHash ? await hasher.verify(user.passwordHash, password) : (await hasher.verifyDummy(password), false);
      if (!user || !ok) {
        await storage.transaction(async (tx) => {
          const blocked = await throttle.recordFailure(tx, attempt, attemptState);
          const target = { actorId: null, targetType: 'user', targetId: user?.id };
          await audit.recordIn(tx, { ...target, action: 'auth.login_failed', details: { identifier } }, context);
          for (const kind of blocked) {
            await audit.recordIn(tx, { ...target, action: 'auth.lockout', details: { key: kind } }, context);
          }
        });
        deps.observer?.login?.('failure');
        throw invalidCredentials();
      }
      // The password was right: its count is cleared even if the account may not sign in yet.
      const active = user.status === 'active';
      // Parameters changed since this hash was made: upgrade it now that we know the password.
      const rehashed = active && hasher.needsRehash(user.passwordHash) ? await hasher.hash(password) : undefined;
      const sign = await storage.transaction(async (tx) => {
        await throttle.recordSuccess(tx, attempt);
        if (!active) return undefined;
        const current = rehashed ? ((await tx.users.update(user.id, { passwordHash: rehashed, updatedAt: clock.now() })) ?? user) : user;
        return openSession(tx, current, context, deviceLabel);
      });
      deps.observer?.login?.(sign ? 'success' : 'failure');
      return sign ? sign() : refuseSignIn(user);
    },

    refresh,

    async logout(principal) {
      const now = clock.now();
      await storage.transaction(async (tx) => {
        await tx.sessions.revoke(principal.sessionId, now);
        await tx.revokedTokens.add({ jti: principal.tokenId, userId: principal.userId, expiresAt: principal.tokenExpiresAt });
      });
    },

    async changePassword(principal, { currentPassword, newPassword }, context = {}) {
      const user = await storage.repos.users.findById(principal.userId);
      if (!user) throw new TradeplaneError('invalid_token', 'The access token has been revoked');
      // Guessing the current password with a stolen access token is guessing the password: it
      // counts, and is refused, as sign-in failures of this account from this address do.
      const attempt = { account: `user:${user.id}`, address: context.ip };
      const attemptState = await throttle.check(attempt);
      if (!user.passwordHash || !(await hasher.verify(user.passwordHash, currentPassword))) {
        await storage.transaction(async (tx) => {
          const blocked = await throttle.recordFailure(tx, attempt, attemptState);
          const target = { actorId: user.id, targetType: 'user', targetId: user.id };
          await audit.recordIn(tx, { ...target, action: 'auth.password_change_failed', details: {} }, context);
          for (const kind of blocked) await audit.recordIn(tx, { ...target, action: 'auth.lockout', details: { key: kind } }, context);
        });
        throw new TradeplaneError('validation_failed', 'The current password is incorrect', {
          fields: [{ in: 'body', path: 'current_password', code: 'incorrect', message: 'is incorrect' }],
        });
      }
      await checkPassword(newPassword, { field: 'new_password', email: user.email, username: user.username });
      const passwordHash = await hasher.hash(newPassword);
      const now = clock.now();
      const sign = await storage.transaction(async (tx) => {
        // The bump ends every access token and refresh family issued before, this one's included;
        // this device continues in a fresh session.
        const updated = await tx.users.update(user.id, { passwordHash, updatedAt: now, bumpTokenVersion: true });
        if (!updated) throw new TradeplaneError('invalid_token', 'The access token has been revoked');
        const previous = (await tx.sessions.listLive(user.id)).find((s) => s.id === principal.sessionId);
        const sessionsRevoked = await tx.sessions.revokeAllForUser(user.id, now);
        await tx.revokedTokens.add({ jti: principal.tokenId, userId: user.id, expiresAt: principal.tokenExpiresAt });
        // Keys made by whoever knew the old password go with it (unless the host keeps them).
        const keys = options.revokeApiKeysOnPasswordChange ? (await tx.apiKeys.listForUser(user.id)).map((k) => k.id).sort() : [];
        if (keys.length > 0) await tx.apiKeys.revokeAllForUser(user.id, now);
        await audit.recordIn(
          tx,
          { actorId: user.id, action: 'auth.password_changed', targetType: 'user', targetId: user.id, details: { sessions_revoked: sessionsRevoked, api_keys_revoked: keys } },
          context,
        );
        return openSession(tx, updated, { ...context, userAgent: context.userAgent ?? previous?.userAgent ?? undefined }, previous?.deviceLabel);
      });
      return sign();
    },

    purgeThrottleCounters: () => throttle.purgeStale(),

    async listSessions(principal) {
      const now = clock.now().getTime();
      const sessions = await storage.repos.sessions.listLive(principal.userId);
      return sessions
        .filter((s) => sessionEnds(s).getTime() > now)
        .map((s) => ({
          id: s.id,
          createdAt: s.createdAt,
          lastUsedAt: s.lastUsedAt,
          expiresAt: sessionEnds(s),
          userAgent: s.userAgent,
          deviceLabel: s.deviceLabel,
          ip: s.ip,
          current: s.id === principal.sessionId,
        }));
    },

    async revokeSession(principal, sessionId, context = {}) {
      const now = clock.now();
      await storage.transaction(async (tx) => {
        const owned = (await tx.sessions.listLive(principal.userId)).some((s) => s.id === sessionId);
        // Someone else's session answers exactly like a missing one.
        if (!owned || !(await tx.sessions.revoke(sessionId, now))) throw new TradeplaneError('not_found', 'No such session');
        await audit.recordIn(tx, { actorId: principal.userId, action: 'auth.session_revoked', targetType: 'session', targetId: sessionId }, context);
      });
    },

    async signInWithOidc({ provider, idToken, nonce, deviceLabel }, context = {}) {
      const identity = await oidc.verify({ provider, idToken, nonce, now: clock.now() });
      const linked = await storage.repos.identities.find(identity.provider, identity.subject);
      if (linked) {
        const user = await storage.repos.users.findById(linked.userId);
        if (!user) throw new TradeplaneError('invalid_token', 'The linked account no longer exists');
        assertCanSignIn(user);
        return startSession(user, context, deviceLabel);
      }
      if (!identity.email) throw new TradeplaneError('invalid_token', 'The ID token carries no email address');
      // An email the provider has not verified could belong to anyone: it neither creates an
      // account (squatting the address) nor links to one (taking it over).
      if (!identity.emailVerified) {
        throw new TradeplaneError('conflict', 'The provider has not verified this email, so it cannot be used to sign up or link an account');
      }
      const email = identity.email;
      const now = clock.now();
      const result = await storage.transaction(async (tx) => {
        let user = await tx.users.findByEmail(email);
        if (!user) {
          if (!oidc.provider(provider)?.allowSignup) throw new TradeplaneError('invalid_token', 'No account is linked to this identity');
          user = {
            id: ids.next(),
            email,
            passwordHash: '', // no password: sign-in goes through the provider
            role: 'user',
            status: options.signupApproval ? 'pending' : 'active',
            tokenVersion: 0,
            createdAt: now,
            updatedAt: now,
            username: null,
            referralCode: null,
          };
          await tx.users.insert(user);
          await deps.onUserCreated?.(tx, user);
        }
        await tx.identities.insert({ id: ids.next(), provider, subject: identity.subject, userId: user.id, email, createdAt: now });
        await audit.recordIn(tx, { actorId: user.id, action: 'auth.identity_linked', targetType: 'user', targetId: user.id, details: { provider } }, context);
        // The link is kept even when the account may not sign in yet (pending approval).
        return { user, sign: user.status === 'active' ? await openSession(tx, user, context, deviceLabel) : undefined };
      });
      return result.sign ? result.sign() : refuseSignIn(result.user);
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
      if (!state || state.status !== 'active' || state.tokenVersion !== claims.token_version) {
        throw new TradeplaneError('invalid_token', 'The access token has been revoked');
      }
      // The role comes from the database, not the token, so a demotion applies at once.
      return {
        via: 'session',
        userId: claims.sub,
        role: state.role,
        sessionId: claims.sid,
        tokenId: claims.jti,
        tokenExpiresAt: new Date(claims.exp * 1000),
      };
    },

    verifyAccessToken: (accessToken) => signer.verify(accessToken, clock.now()),
    jwks: () => signer.jwks() as { keys: Record<string, unknown>[] },
    csrfToken: csrfFor,
  };
}