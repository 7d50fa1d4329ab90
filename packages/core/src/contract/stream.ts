import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';

export const streamRoutes = {
  ticket: defineRoute({
    id: 'stream.ticket',
    method: 'POST',
    path: '/stream/ticket',
    summary: 'A ticket for the real-time WebSocket (`/stream?ticket=…`), valid for 30 seconds',
    description:
      'Browsers cannot set an Authorization header on a WebSocket: they fetch a ticket with their access token and open `wss://…/stream?ticket=<ticket>`. Other clients may send `Authorization: Bearer <access token>` on the upgrade request instead. ' +
      'A ticket opens one socket, once (a second use is refused on every instance), and belongs to the session that asked for it: it fails if that session ends first, and the socket it opened closes (4401 `session revoked`) when the session ends later — logout, a revoked session, refresh-token reuse, a password change, the account disabled or its role changed.',
    tags: ['stream'],
    auth: 'user',
    response: z.object({ ticket: z.string(), expires_at: timestamp }),
    errors: [],
  }),
};
