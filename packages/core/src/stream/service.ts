import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Observer } from '../ports/index.js';
import type { Role, Storage } from '../ports/storage.js';
import type { AccessTokenClaims } from '../auth/tokens.js';
import { isControlChannel, isStreamChannel, streamChannelNames, type StreamEvent, type StreamHub } from './hub.js';
import { createTicketSigner } from './tickets.js';
import type { CredentialChange } from './revocations.js';

/** Who holds a stream connection: a user, through one session, as of when it connected. */
export interface StreamPrincipal {
  userId: string;
  /** The role now (read from the database when admitted, as a request reads it). */
  role: Role;
  /** The session the connection belongs to: revoking it closes the connection. */
  sessionId: string;
  /** The user's token_version the credential was issued under. */
  tokenVersion: number;
  /** The access token (jti) the credential came from. */
  tokenId: string;
}

/**
 * The real-time side: the hub services publish to, and what a WebSocket host needs to admit a
 * connection (an access token or a ticket), to decide which channels it may join, and to learn
 * when a connection's session has ended.
 */
export interface StreamService extends StreamHub {
  readonly enabled: boolean;
  /** A single-use ticket bound to the caller's session, valid for 30 seconds. */
  issueTicket(principal: { userId: string; sessionId: string; tokenId: string }): Promise<{ ticket: string; expiresAt: Date }>;
  /**
   * Admits a connection by `Authorization: Bearer <access token>` or `?ticket=`, checking the
   * session and the user as a request does (live session, active user, same token version);
   * a ticket is spent by the first attempt that presents it, on any instance. Throws 401 otherwise
   * — or 429 `rate_limited` once the client address (`ip`) has failed authentication too often,
   * counted with every other failed credential it sent.
   */
  authenticate(input: { authorization?: string; ticket?: string; ip?: string }): Promise<StreamPrincipal>;
  /** Whether the connection's session and user still pass the check it passed when admitted. */
  stillAllowed(principal: StreamPrincipal): Promise<boolean>;
  /**
   * Calls `listener` whenever a committed change touched the sessions or users given (a
   * logout, a revoked session, a password change, a disabled account, a role change), on every
   * instance. A host re-checks its connections of those users and sessions with `stillAllowed`.
   */
  onCredentialChange(listener: (change: { users: ReadonlySet<string>; sessions: ReadonlySet<string> }) => void): () => void;
  /** Announces a committed credential change to every instance (the engine wires this to storage). */
  announceCredentialChange(change: CredentialChange): void;
  /** Whether a client may subscribe to `channel` (a known private channel, or `ticks:<SYMBOL>`). */
  isChannel(channel: string): boolean;
  /** The channels a client may name, patterns as declared (`ticks:<symbol>`). */
  readonly channels: readonly string[];
  /** Whether `event` may go to `userId`: their own events, or a public channel's. */
  visibleTo(event: StreamEvent, userId: string): boolean;
  /** Hosts report subscriptions coming and going (the `ws_clients` gauge). */
  track(channel: string, delta: 1 | -1): void;
}

/** The control channel credential changes travel on (never a client's channel). */
const CREDENTIALS = '$credentials';

export function createStreamService(deps: {
  hub: StreamHub | undefined;
  storage: Storage;
  clock: Clock;
  ids: Ids;
  secret: string;
  verifyAccessToken: (token: string) => Promise<AccessTokenClaims>;
  /** Counts a failed credential against its address; throws `rate_limited` past the limit (the HTTP rate limiter's). */
  failedAuthentication?: (ip: string | undefined) => Promise<void>;
  observer?: Observer;
}): StreamService {
  const { hub, storage, clock, ids } = deps;
  const tickets = createTicketSigner(deps.secret);
  const revoked = () => new TradeplaneError('invalid_token', 'The session behind this credential has ended');

  async function roleIfAllowed(p: Omit<StreamPrincipal, 'role'>): Promise<Role | undefined> {
    // The same lookup and comparison as authenticating a request (AuthService.authenticate).
    const state = await storage.repos.sessions.authState({ sessionId: p.sessionId, userId: p.userId, tokenId: p.tokenId });
    return state && state.status === 'active' && state.tokenVersion === p.tokenVersion ? state.role : undefined;
  }

  /** The credential's session and user, checked as a request's are. */
  async function admit(input: { authorization?: string; ticket?: string }): Promise<StreamPrincipal> {
    let principal: Omit<StreamPrincipal, 'role'>;
    if (input.ticket) {
      const claims = tickets.verify(input.ticket, clock.now());
      // Spent before the session check: a ticket gets exactly one attempt, whatever its outcome.
      // The used-token table is shared, so a ticket spent on one instance is spent on all.
      if (!(await storage.repos.usedTokens.consume(`stream-ticket:${claims.id}`, claims.expiresAt))) {
        throw new TradeplaneError('invalid_token', 'This stream ticket was already used; ask for a new one');
      }
      principal = { userId: claims.userId, sessionId: claims.sessionId, tokenVersion: claims.tokenVersion, tokenId: claims.tokenId };
    } else {
      const token = /^Bearer (.+)$/i.exec(input.authorization ?? '')?.[1];
      if (!token) throw new TradeplaneError('unauthenticated', 'Send an access token or a stream ticket');
      const claims = await deps.verifyAccessToken(token);
      principal = { userId: claims.sub, sessionId: claims.sid, tokenVersion: claims.token_version, tokenId: claims.jti };
    }
    const role = await roleIfAllowed(principal);
    if (!role) throw revoked();
    return { ...principal, role };
  }

  return {
    enabled: hub !== undefined,
    publish: (e) => hub?.publish(e),
    subscribe: (listener) => hub?.subscribe(listener) ?? (() => false),
    since: (lastEventId, channels, userId) => hub?.since(lastEventId, channels, userId),
    start: () => hub?.start() ?? Promise.resolve(),
    stop: () => hub?.stop() ?? Promise.resolve(),

    async issueTicket(principal) {
      const state = await storage.repos.sessions.authState({ sessionId: principal.sessionId, userId: principal.userId, tokenId: principal.tokenId });
      if (!state || state.status !== 'active') throw revoked();
      return tickets.issue({ id: ids.next(), userId: principal.userId, sessionId: principal.sessionId, tokenVersion: state.tokenVersion, tokenId: principal.tokenId }, clock.now());
    },

    async authenticate(input) {
      try {
        return await admit(input);
      } catch (error) {
        if (deps.failedAuthentication && error instanceof TradeplaneError && error.code === 'invalid_token') await deps.failedAuthentication(input.ip);
        throw error;
      }
    },

    stillAllowed: async (principal) => (await roleIfAllowed(principal)) !== undefined,

    onCredentialChange(listener) {
      if (!hub) return () => false;
      return hub.subscribe((event) => {
        if (event.channel !== CREDENTIALS) return;
        const data = event.data as Partial<CredentialChange> | null;
        listener({ users: new Set(data?.users ?? []), sessions: new Set(data?.sessions ?? []) });
      });
    },
    announceCredentialChange(change) {
      if (change.users.length + change.sessions.length === 0) return;
      hub?.publish({ channel: CREDENTIALS, type: 'credentials.changed', userId: null, data: change });
    },

    isChannel: (channel) => isStreamChannel(channel) && !isControlChannel(channel),
    channels: streamChannelNames,
    visibleTo: (event, userId) => !isControlChannel(event.channel) && (event.userId === null || event.userId === userId),
    track: (channel, delta) => deps.observer?.streamClients?.(channel.startsWith('ticks:') ? 'ticks' : channel, delta),
  };
}
