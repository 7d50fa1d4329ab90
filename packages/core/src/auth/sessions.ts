import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger, RefreshTokenRecord, Repositories, SessionRecord, Storage, UserRecord } from '../ports/index.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { generateOpaqueToken, hashToken, keyedDigest, safeEqual, type AccessTokenSigner } from './tokens.js';
import type { AuthOptions } from './options.js';
import { toUser, type AuthService, type TokenPair } from './service.js';

const REFRESH_PREFIX = 'tpr_';

type RefreshOutcome =
  | { kind: 'ok'; user: UserRecord; session: SessionRecord; refreshToken: string; refreshExpiresAt: Date }
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'disabled' | 'invalid' | 'csrf' };

/**
 * Sessions and their tokens: opening a session with its first refresh token, signing the
 * access token once the transaction has committed, rotating refresh tokens (`refresh`), and
 * the session's lifetime and CSRF token.
 */
export function createSessions({
  storage,
  clock,
  ids,
  logger,
  audit,
  options,
  signer,
}: {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditLog;
  options: AuthOptions;
  signer: AccessTokenSigner;
}) {
  const lifetimeMs = options.sessionLifetime * 1000;

  /**
   * A refresh token's successor is derived from it with a keyed hash rather than drawn at
   * random: only the hash of either is stored, yet a client that retries within the reuse
   * window (its first response was lost) can be handed the very same successor again.
   * Without the server secret the successor is as unpredictable as a random token.
   */
  /**
   * A refresh token's successor is derived from it and from the client that presented it (user
   * agent and address): within the reuse window the same client finds the successor again,
   * while another client presenting a stolen token derives a different one, finds nothing, and
   * is treated as reuse.
   */
  const successorOf = (token: string, context: RequestContext) =>
    `${REFRESH_PREFIX}${keyedDigest(options.jwtSecret, 'refresh-successor', `${token}\u0000${context.userAgent?.slice(0, 256) ?? ''}\u0000${context.ip ?? ''}`)}`;
  const sessionEnds = (session: Pick<SessionRecord, 'createdAt'>) => new Date(session.createdAt.getTime() + lifetimeMs);

  function refreshRecord(token: string, session: SessionRecord, now: Date): RefreshTokenRecord {
    const expires = Math.min(now.getTime() + options.refreshTokenTtl * 1000, sessionEnds(session).getTime());
    return {
      id: ids.next(),
      sessionId: session.id,
      userId: session.userId,
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt: new Date(expires),
      rotatedAt: null,
    };
  }

  function newSession(user: UserRecord, now: Date, context: RequestContext, deviceLabel?: string | null): SessionRecord {
    return {
      id: ids.next(),
      userId: user.id,
      tokenVersion: user.tokenVersion,
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
      userAgent: context.userAgent?.slice(0, 256) ?? null,
      deviceLabel: deviceLabel ?? null,
      ip: context.ip ?? null,
    };
  }

  /** Signing needs no database, so it happens after the transaction commits, never inside it. */
  async function issue(user: UserRecord, sessionId: string, refreshToken: string, refreshExpiresAt: Date, now: Date): Promise<TokenPair> {
    const accessToken = await signer.sign(
      { sub: user.id, jti: ids.next(), role: user.role, token_version: user.tokenVersion, sid: sessionId },
      now,
      options.accessTokenTtl,
    );
    return {
      accessToken,
      accessTokenExpiresIn: options.accessTokenTtl,
      refreshToken,
      refreshTokenExpiresIn: Math.max(0, Math.floor((refreshExpiresAt.getTime() - now.getTime()) / 1000)),
      sessionId,
      user: toUser(user),
    };
  }

  /**
   * Writes a new session and its first refresh token in the caller's transaction, and returns
   * the function that signs the pair once that transaction has committed.
   */
  async function openSession(repos: Repositories, user: UserRecord, context: RequestContext, deviceLabel?: string | null): Promise<() => Promise<TokenPair>> {
    const now = clock.now();
    const session = newSession(user, now, context, deviceLabel);
    const token = generateOpaqueToken(REFRESH_PREFIX);
    const record = refreshRecord(token, session, now);
    await repos.sessions.insert(session);
    await repos.refreshTokens.insert(record);
    return () => issue(user, session.id, token, record.expiresAt, now);
  }

  async function startSession(user: UserRecord, context: RequestContext, deviceLabel?: string | null): Promise<TokenPair> {
    const sign = await storage.transaction((tx) => openSession(tx, user, context, deviceLabel));
    return sign();
  }

  const csrfFor = (sessionId: string) => keyedDigest(options.jwtSecret, 'csrf', sessionId);

  const refresh: AuthService['refresh'] = async ({ refreshToken, csrfToken }, context = {}) => {
      const now = clock.now();
      const windowMs = options.refreshReuseWindow * 1000;
      // The transaction decides; errors are thrown after it commits so that a detected reuse
      // keeps its session revocation instead of rolling it back.
      const outcome = await storage.transaction(async (tx): Promise<RefreshOutcome> => {
        const current = await tx.refreshTokens.findByHash(hashToken(refreshToken));
        if (!current) return { kind: 'invalid' };
        if (csrfToken !== undefined && !safeEqual(csrfToken, csrfFor(current.sessionId))) return { kind: 'csrf' };
        // Touching the session first locks its row (PostgreSQL): a concurrent logout, reuse
        // revocation or refresh of this session either finished before us, and we see its
        // result, or waits until we commit.
        const session = await tx.sessions.touch(current.sessionId, now);
        if (!session) return { kind: 'invalid' };
        if (sessionEnds(session).getTime() <= now.getTime()) {
          await tx.sessions.revoke(session.id, now);
          return { kind: 'invalid' };
        }
        const user = await tx.users.findById(current.userId);
        const userProblem = (): RefreshOutcome | undefined => {
          if (!user || user.status === 'pending') return { kind: 'invalid' };
          if (user.status === 'disabled') return { kind: 'disabled' };
          // A password change or admin action since sign-in (token_version bump) ends the session.
          if (user.tokenVersion !== session.tokenVersion) return { kind: 'invalid' };
          return undefined;
        };

        // Expiry before rotation: retrying an expired token must not look like reuse.
        if (!current.rotatedAt && current.expiresAt.getTime() <= now.getTime()) return { kind: 'invalid' };
        const rotatedNow = !current.rotatedAt && (await tx.refreshTokens.markRotated(current.id, now));
        if (!rotatedNow) {
          // Already exchanged (earlier, or by a concurrent request that won the row lock).
          const rotatedAt = current.rotatedAt ?? now;
          const successorToken = successorOf(refreshToken, context);
          const successor = await tx.refreshTokens.findByHash(hashToken(successorToken));
          const withinWindow = now.getTime() - rotatedAt.getTime() < windowMs;
          if (withinWindow && successor && !successor.rotatedAt && successor.sessionId === session.id) {
            // The client never got the first answer: hand it the same successor again.
            return userProblem() ?? { kind: 'ok', user: user!, session, refreshToken: successorToken, refreshExpiresAt: successor.expiresAt };
          }
          await tx.sessions.revoke(current.sessionId, now);
          await audit.recordIn(
            tx,
            { actorId: current.userId, action: 'auth.refresh_reuse', targetType: 'session', targetId: current.sessionId },
            context,
          );
          return { kind: 'reused', userId: current.userId, sessionId: current.sessionId };
        }
        const problem = userProblem();
        if (problem) return problem;
        const successorToken = successorOf(refreshToken, context);
        const successor = refreshRecord(successorToken, session, now);
        await tx.refreshTokens.insert(successor);
        return { kind: 'ok', user: user!, session, refreshToken: successorToken, refreshExpiresAt: successor.expiresAt };
      });
      switch (outcome.kind) {
        case 'ok':
          return issue(outcome.user, outcome.session.id, outcome.refreshToken, outcome.refreshExpiresAt, now);
        case 'reused':
          logger.warn({ event: 'auth.refresh_reuse', userId: outcome.userId, sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
          throw new TradeplaneError('refresh_token_reused', 'This refresh token was already used; the session has been revoked');
        case 'csrf':
          throw new TradeplaneError('csrf_failed', 'Send the session’s CSRF token as X-CSRF-Token');
        case 'disabled':
          throw new TradeplaneError('account_disabled', 'This account has been disabled');
        default:
          throw new TradeplaneError('invalid_token', 'The refresh token is invalid or expired');
      }
  };

  return { sessionEnds, openSession, startSession, csrfFor, refresh };
}
