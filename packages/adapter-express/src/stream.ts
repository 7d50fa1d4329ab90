import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isTradeplaneError, type StreamEvent, type StreamPrincipal, type Tradeplane } from '@tradeplane/core';

/** What the stream needs from an engine. */
export type StreamHost = Pick<Tradeplane, 'stream'>;

export interface StreamOptions {
  /** The socket's URL path (default `/api/v1/stream`: next to a router mounted at `/api/v1`). */
  path?: string;
  /** Ping every this many ms; a client that has not answered the previous ping is dropped (default 30 s). */
  heartbeatMs?: number;
  /**
   * Besides the announced revocations, each connection's session is checked again this often, at
   * the next heartbeat (default 60 s; 0: never). It catches what no announcement reaches — a
   * revocation made by another process on a SQLite file (the operator CLI) or by hand in the
   * database. A database error here keeps the socket; it is checked again later.
   */
  recheckMs?: number;
  /** A client with more than this many bytes queued is too slow: it is closed with 4008 (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Largest message a client may send (default 16 KiB). */
  maxMessageBytes?: number;
  /**
   * Most open sockets one user may hold on this instance (default 10): the next one is closed
   * with 4029. Counted per instance; behind a load balancer a user may reach this many on each.
   */
  maxConnectionsPerUser?: number;
  /**
   * An upgrade request for another path: `'refuse'` answers 404 at once, `'ignore'` leaves it to
   * another `upgrade` listener on the same server. Default: refuse when the stream is the
   * server's only `upgrade` listener (otherwise Node would leave the client hanging), else ignore.
   */
  unknownPaths?: 'refuse' | 'ignore';
  /**
   * The client address a refused ticket or token is counted against (with every failed credential
   * the address sent to the API; past the limit the upgrade answers 429). Default: the socket's
   * peer. Behind a proxy, pass what Express's `trust proxy` would give, e.g. with `proxy-addr`:
   * `(req) => proxyaddr(req, trust)` — else every client would share the proxy's address.
   */
  clientAddress?: (request: IncomingMessage) => string | undefined;
}

/** Close codes the stream uses besides the standard ones. */
export const STREAM_CLOSE = {
  /** The client fell too far behind (backpressure): reconnect and resume. */
  tooSlow: 4008,
  /** The client stopped answering pings. */
  unresponsive: 4000,
  /**
   * The access token or ticket was refused (sent before the upgrade as HTTP 401 when possible),
   * or the connection's session ended (logout, revocation, password change, the account disabled
   * or its role changed; reason `session revoked`): sign in again for a new credential.
   */
  unauthorized: 4401,
  /** The user already holds `maxConnectionsPerUser` sockets on this instance. */
  tooManyConnections: 4029,
} as const;

interface Connection {
  socket: WebSocket;
  userId: string;
  principal: StreamPrincipal;
  channels: Set<string>;
  alive: boolean;
  /** Set while the session is being re-checked: frames wait here instead of going out. */
  held?: unknown[];
  /** Another change arrived during the check: its answer may predate it, so it runs again. */
  stale?: boolean;
  /** When the session was last checked (ms since the epoch, this process's clock). */
  checkedAt: number;
  /** Whether a failed check closes the socket: after an announced change it does; on the periodic check it does not. */
  failClosed?: boolean;
}

type CredentialChange = { users: ReadonlySet<string>; sessions: ReadonlySet<string> };
const touches = (change: CredentialChange, p: StreamPrincipal) => change.users.has(p.userId) || change.sessions.has(p.sessionId);

/**
 * Serves the real-time stream on `server`'s upgrade requests at `path`, with the `ws` package.
 *
 * Protocol (JSON text frames):
 * - connect with `Authorization: Bearer <access token>`, or `?ticket=` from `POST /stream/ticket`
 *   (browsers; a ticket opens one socket, once, and belongs to the session that asked for it);
 *   the session and user are checked as a request's are, and a refused credential gets HTTP
 *   401 before any upgrade;
 * - when the connection's session ends — logout, a revoked session, refresh-token reuse, a
 *   password change, the account disabled or its role changed, on any instance — the socket is
 *   closed with 4401 `session revoked`, and gets no event from the moment the change is known;
 *   every `recheckMs` the session is checked again anyway, for endings nobody announced;
 * - a user holds at most `maxConnectionsPerUser` sockets on an instance; the next closes with 4029;
 * - send `{"type":"subscribe","channels":["balance","trades","orders","signals","notifications","ticks:BTCUSD"],"last_event_id"?:…}`
 *   and get `{"type":"subscribed","channels":[…],"resumed":n}` (`resumed: null` when the id is
 *   too old to resume: reload through the HTTP API); `{"type":"unsubscribe","channels":[…]}`;
 * - receive `{"type":"event","id","channel","event","data","at"}` for your own private channels and
 *   any ticks you joined; a bad message gets `{"type":"error","code","detail"}`.
 *
 * Heartbeats are WebSocket pings; backpressure closes a client whose send buffer passes
 * `maxBufferedBytes` (4008), so one slow client never holds the others up. Events reach every
 * instance (PostgreSQL LISTEN/NOTIFY), so a client may connect to any of them.
 *
 * Returns `close()`, which ends every connection (1001) and stops listening for upgrades.
 */
export function attachStream(server: Server, engine: StreamHost, options: StreamOptions = {}): { close(): Promise<void> } {
  const path = options.path ?? '/api/v1/stream';
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const recheckMs = options.recheckMs ?? 60_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const maxPerUser = options.maxConnectionsPerUser ?? 10;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 16 * 1024 });
  const connections = new Set<Connection>();
  const perUser = new Map<string, number>();
  /** Upgrades being authenticated, each with the credential changes announced meanwhile. */
  const admitting = new Set<CredentialChange[]>();
  const stream = engine.stream;

  const send = (c: Connection, message: unknown) => {
    if (c.held) {
      c.held.push(message);
      return;
    }
    if (c.socket.readyState !== c.socket.OPEN) return;
    if (c.socket.bufferedAmount > maxBuffered) {
      c.socket.close(STREAM_CLOSE.tooSlow, 'too slow: reconnect and resume');
      return;
    }
    c.socket.send(JSON.stringify(message));
  };
  const frame = (e: StreamEvent) => ({ type: 'event', id: e.id, channel: e.channel, event: e.type, data: e.data, at: e.at });

  const unsubscribe = stream.subscribe((event) => {
    for (const c of connections) if (c.channels.has(event.channel) && stream.visibleTo(event, c.userId)) send(c, frame(event));
  });

  const end = (c: Connection, code: number, reason: string) => {
    if (!connections.delete(c)) return;
    c.held = undefined;
    c.socket.close(code, reason);
  };

  /**
   * A connection whose user or session a committed change touched is held (no frames go out)
   * while its session is checked again as a request's would be: it resumes if the check passes,
   * and is closed with 4401 otherwise (a failed check counts as a refusal).
   */
  function recheck(c: Connection, announced: boolean): void {
    if (announced) c.failClosed = true;
    if (c.held) {
      // The running check may have read the database before this change committed.
      c.stale = true;
      return;
    }
    c.held = [];
    const resume = () => {
      const held = c.held ?? [];
      c.held = undefined;
      c.failClosed = false;
      for (const message of held) send(c, message);
    };
    const check = (): void => {
      c.stale = false;
      c.checkedAt = Date.now();
      stream.stillAllowed(c.principal).then(
        (allowed) => {
          if (!connections.has(c)) return;
          if (!allowed) return end(c, STREAM_CLOSE.unauthorized, 'session revoked');
          if (c.stale) return check();
          resume();
        },
        () => (c.failClosed ? end(c, STREAM_CLOSE.unauthorized, 'session revoked') : resume()),
      );
    };
    check();
  }

  const stopWatching = stream.onCredentialChange((change) => {
    for (const missed of admitting) missed.push(change);
    for (const c of connections) if (touches(change, c.principal)) recheck(c, true);
  });

  const clientAddress = options.clientAddress ?? ((request: IncomingMessage) => request.socket.remoteAddress);
  const refuseUnknown = () => (options.unknownPaths ? options.unknownPaths === 'refuse' : server.listenerCount('upgrade') <= 1);

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://stream.invalid');
    const refuse = (status: number, reason: string, headers = '') => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\n${headers}connection: close\r\n\r\n${JSON.stringify({ type: 'about:blank', title: reason, status })}`);
    };
    if (url.pathname !== path) {
      // Another handler's socket, or nobody's: then it is answered instead of left hanging.
      if (refuseUnknown()) refuse(404, 'Not Found');
      return;
    }
    if (!stream.enabled) return refuse(404, 'Not Found');
    const missed: CredentialChange[] = [];
    admitting.add(missed);
    stream
      .authenticate({ authorization: request.headers.authorization, ticket: url.searchParams.get('ticket') ?? undefined, ip: clientAddress(request) })
      .then((principal) => {
        // Without a verifyClient hook, ws completes the upgrade (or refuses a malformed one)
        // before handleUpgrade returns.
        wss.handleUpgrade(request, socket, head, (socket) => {
          const c = open(socket, principal, url.searchParams.get('last_event_id') ?? undefined, url.searchParams.getAll('channel'));
          // A revocation committed while this upgrade was being checked may have come too late
          // for that check: it is checked again.
          if (c && missed.some((change) => touches(change, principal))) recheck(c, true);
        });
      })
      .catch((error: unknown) => {
        if (isTradeplaneError(error) && error.code === 'rate_limited') {
          const retryAfter = error.headers?.['retry-after'];
          return refuse(429, 'Too Many Requests', retryAfter ? `retry-after: ${retryAfter}\r\n` : '');
        }
        refuse(isTradeplaneError(error) && error.status < 500 ? 401 : 503, isTradeplaneError(error) && error.status < 500 ? 'Unauthorized' : 'Service Unavailable');
      })
      .finally(() => admitting.delete(missed));
  };
  server.on('upgrade', onUpgrade);

  function join(c: Connection, channels: unknown, lastEventId: unknown) {
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > 50 || !channels.every((ch) => typeof ch === 'string' && stream.isChannel(ch))) {
      return send(c, { type: 'error', code: 'invalid_channels', detail: `channels: 1–50 of ${stream.channels.join(', ')}` });
    }
    for (const ch of channels as string[]) {
      if (!c.channels.has(ch)) {
        c.channels.add(ch);
        stream.track(ch, 1);
      }
    }
    let resumed: number | null = 0;
    if (typeof lastEventId === 'string' && lastEventId.length > 0) {
      const missed = stream.since(lastEventId, channels as string[], c.userId);
      resumed = missed === undefined ? null : missed.length;
      for (const e of missed ?? []) send(c, frame(e));
    }
    send(c, { type: 'subscribed', channels: [...c.channels], resumed });
  }

  function open(socket: WebSocket, principal: StreamPrincipal, lastEventId: string | undefined, channels: string[]): Connection | undefined {
    const userId = principal.userId;
    const held = perUser.get(userId) ?? 0;
    if (held >= maxPerUser) {
      socket.close(STREAM_CLOSE.tooManyConnections, `too many connections: at most ${maxPerUser} per user`);
      return undefined;
    }
    perUser.set(userId, held + 1);
    const c: Connection = { socket, userId, principal, channels: new Set(), alive: true, checkedAt: Date.now() };
    connections.add(c);
    socket.on('pong', () => (c.alive = true));
    socket.on('message', (raw, isBinary) => {
      let message: { type?: unknown; channels?: unknown; last_event_id?: unknown };
      try {
        if (isBinary) throw new Error('binary');
        message = JSON.parse(raw.toString()) as typeof message;
      } catch {
        return send(c, { type: 'error', code: 'malformed_message', detail: 'Send JSON text messages' });
      }
      if (message.type === 'subscribe') return join(c, message.channels, message.last_event_id);
      if (message.type === 'unsubscribe' && Array.isArray(message.channels)) {
        for (const ch of message.channels) {
          if (typeof ch === 'string' && c.channels.delete(ch)) stream.track(ch, -1);
        }
        return send(c, { type: 'unsubscribed', channels: [...c.channels] });
      }
      if (message.type === 'ping') return send(c, { type: 'pong' });
      send(c, { type: 'error', code: 'unknown_type', detail: 'type: subscribe, unsubscribe or ping' });
    });
    socket.on('close', () => {
      connections.delete(c);
      const left = (perUser.get(userId) ?? 1) - 1;
      if (left > 0) perUser.set(userId, left);
      else perUser.delete(userId);
      for (const ch of c.channels) stream.track(ch, -1);
      c.channels.clear();
    });
    socket.on('error', () => socket.terminate());
    // Channels (and a resume point) may come in the URL too: `?channel=balance&channel=trades&last_event_id=…`.
    if (channels.length > 0) join(c, channels, lastEventId);
    else send(c, { type: 'ready' });
    return c;
  }

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const c of connections) {
      if (!c.alive) {
        c.socket.close(STREAM_CLOSE.unresponsive, 'no pong');
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
      if (recheckMs > 0 && now - c.checkedAt >= recheckMs) recheck(c, false);
    }
  }, heartbeatMs);
  heartbeat.unref();

  return {
    async close() {
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      unsubscribe();
      stopWatching();
      for (const c of connections) c.socket.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
