import { createHmac, timingSafeEqual } from 'node:crypto';
import { TradeplaneError } from '../errors.js';

export interface StreamTicket {
  ticket: string;
  expiresAt: Date;
}

/** What a ticket names: the session that minted it, as of minting. */
export interface StreamTicketClaims {
  /** The ticket's own id: spent on first use. */
  id: string;
  userId: string;
  /** The session (refresh-token family) of the access token that asked for the ticket. */
  sessionId: string;
  /** The user's token_version then: a password change or admin action since voids the ticket. */
  tokenVersion: number;
  /** The access token's id (jti), so a deny-listed token's tickets fail with it. */
  tokenId: string;
  expiresAt: Date;
}

/**
 * Short-lived tickets for browsers, which cannot set headers on a WebSocket: `POST
 * /stream/ticket` (with the access token) returns one, and the socket presents it as
 * `?ticket=`. A ticket is `<payload>.<HMAC-SHA256>` over its id, the user, the session, the
 * token version and the expiry, keyed by a secret derived from the engine's JWT secret: any
 * instance can check the signature without a lookup. Whether it was used already, and whether
 * its session still lives, the stream service asks the database (see `createStreamService`).
 */
export function createTicketSigner(secret: string, ttlSeconds = 30) {
  const key = createHmac('sha256', secret).update('tradeplane stream tickets').digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  const invalid = () => new TradeplaneError('invalid_token', 'Invalid stream ticket');
  return {
    issue(claims: Omit<StreamTicketClaims, 'expiresAt'>, now: Date): StreamTicket {
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
      const payload = Buffer.from(
        JSON.stringify({ i: claims.id, u: claims.userId, s: claims.sessionId, v: claims.tokenVersion, j: claims.tokenId, e: expiresAt.getTime() }),
      ).toString('base64url');
      return { ticket: `${payload}.${sign(payload)}`, expiresAt };
    },
    /** Checks the signature and expiry only; throws `invalid_token` or `token_expired`. */
    verify(ticket: string, now: Date): StreamTicketClaims {
      const [payload, mac, extra] = ticket.split('.');
      const expected = payload ? Buffer.from(sign(payload)) : undefined;
      if (extra !== undefined || !payload || !mac || !expected || mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), expected)) {
        throw invalid();
      }
      let claims: { i?: unknown; u?: unknown; s?: unknown; v?: unknown; j?: unknown; e?: unknown };
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
      } catch {
        throw invalid();
      }
      const { i, u, s, v, j, e } = claims;
      // Tickets signed before they were bound to a session carry no `s`: refused like forgeries.
      if (typeof i !== 'string' || typeof u !== 'string' || typeof s !== 'string' || typeof v !== 'number' || typeof j !== 'string' || typeof e !== 'number') {
        throw invalid();
      }
      if (e <= now.getTime()) throw new TradeplaneError('token_expired', 'The stream ticket has expired');
      return { id: i, userId: u, sessionId: s, tokenVersion: v, tokenId: j, expiresAt: new Date(e) };
    },
  };
}
