import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TradeplaneError, type PayoutProvider } from '@tradeplane/core';

/**
 * How the payout server answers one call: `paid` / `pending` (the payout is made, or accepted),
 * `refuse` (402, nothing paid), `hang` (the payout is made but the answer never comes) and
 * `drop` (the payout is made, then the connection is cut without an answer).
 */
export type PayoutAnswer = 'paid' | 'pending' | 'refuse' | 'hang' | 'drop';

export interface PayoutServer {
  url: string;
  /** How the next calls are answered, in order; once empty, `paid`. */
  script: PayoutAnswer[];
  /** Every call, in order, with its Idempotency-Key. */
  calls: { key: string; amount: string; currency: string; destination: string }[];
  /** The payouts made, by Idempotency-Key: a repeated key returns the first payout, never a second. */
  payouts: Map<string, { id: string; amount: string }>;
  close(): Promise<void>;
}

/**
 * A bank's payout API outside the system under test, on a real socket: it honours
 * Idempotency-Key like a real provider (a retry with the same key never pays twice) and can
 * hang or drop a call after the money has left, which is what makes a retry dangerous.
 */
export async function startPayoutServer(): Promise<PayoutServer> {
  const sockets = new Set<Socket>();
  const state: PayoutServer = { url: '', script: [], calls: [], payouts: new Map(), close: async () => {} };
  let made = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { amount: string; currency: string; destination: string };
    const key = String(req.headers['idempotency-key'] ?? '');
    state.calls.push({ key, ...body });
    const answer = state.script.shift() ?? 'paid';
    if (answer === 'refuse') {
      res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'destination account closed' }));
      return;
    }
    let payout = state.payouts.get(key);
    if (!payout) {
      payout = { id: `po_${++made}`, amount: body.amount };
      state.payouts.set(key, payout);
    }
    if (answer === 'hang') return;
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: payout.id, status: answer }));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** A payout provider calling the payout server over HTTP, with a timeout of its own. */
export function httpPayoutProvider(options: { name: string; url: () => string; timeoutMs: number }): PayoutProvider {
  return {
    name: options.name,
    validateDestination(destination) {
      if (!/^acct_[A-Za-z0-9]{1,32}$/.test(destination)) {
        throw new TradeplaneError('validation_failed', 'Not an account id', { fields: [{ in: 'body', path: 'destination', code: 'invalid_destination', message: 'an account id such as acct_123' }] });
      }
    },
    async pay(request) {
      const res = await fetch(`${options.url()}/payouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': request.withdrawalId },
        body: JSON.stringify({ amount: request.amount.toString(), currency: request.currency.code, destination: request.destination }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = (await res.json()) as { id?: string; status?: 'paid' | 'pending'; error?: string };
      if (res.status === 402) throw new TradeplaneError('payout_failed', body.error ?? 'refused');
      if (!res.ok || !body.status) throw new Error(`the payout server answered ${res.status}`);
      return { status: body.status, reference: body.id ?? null };
    },
  };
}
