import { createHmac, timingSafeEqual } from 'node:crypto';
import { TradeplaneError } from '../errors.js';
import type { Role } from '../ports/storage.js';

export interface StreamTicket {
  ticket: string;
  expiresAt: Date;
}

/**
 * Short-lived tickets for browsers, which cannot set headers on a WebSocket: `POST
 * /stream/ticket` (with the access token) returns one, and the socket presents it as
 * `?ticket=`. A ticket is `<payload>.<HMAC-SHA256>` over the user, role and expiry, keyed by a
 * secret derived from the engine's JWT secret: any instance can check it, none stores it.
 */
export function createTicketSigner(secret: string, ttlSeconds = 30) {
  const key = createHmac('sha256', secret).update('tradeplane stream tickets').digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    issue(user: { userId: string; role: Role }, now: Date): StreamTicket {
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
      const payload = Buffer.from(JSON.stringify({ u: user.userId, r: user.role, e: expiresAt.getTime() })).toString('base64url');
      return { ticket: `${payload}.${sign(payload)}`, expiresAt };
    },
    verify(ticket: string, now: Date): { userId: string; role: Role } {
      const [payload, mac] = ticket.split('.');
      const expected = payload ? Buffer.from(sign(payload)) : undefined;
      if (!payload || !mac || !expected || mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), expected)) {
        throw new TradeplaneError('invalid_token', 'Invalid stream ticket');
      }
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u: string; r: Role; e: number };
      if (claims.e <= now.getTime()) throw new TradeplaneError('token_expired', 'The stream ticket has expired');
      return { userId: claims.u, role: claims.r };
    },
  };
}
