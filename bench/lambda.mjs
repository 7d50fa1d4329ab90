/**
 * Lambda adapter bench: µs per invocation of the same validated POST (zod body, JSON answer)
 * through a hand-written handler, `hono/aws-lambda`, and `tradeplaneLambda` over the neutral
 * dispatcher — measured in one run, interleaved, so the ratios hold on any machine.
 *
 *   pnpm bench:lambda
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { createDispatcher, defineRoute, sequentialIds, silentLogger } from '@tradeplane/core';
import { tradeplaneLambda } from '@tradeplane/adapter-lambda';
import { record } from './report.mjs';

const order = z.strictObject({ symbol: z.string().min(1).max(16), side: z.enum(['buy', 'sell']), quantity: z.string().regex(/^\d+(\.\d+)?$/) });
const answer = (body) => ({ accepted: true, symbol: body.symbol, side: body.side, quantity: body.quantity });

const event = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/orders/validate',
  rawQueryString: '',
  headers: { 'content-type': 'application/json', host: 'example.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'bench' },
  requestContext: { requestId: 'bench', stage: '$default', http: { method: 'POST', path: '/orders/validate', sourceIp: '203.0.113.1' } },
  body: JSON.stringify({ symbol: 'EURUSD', side: 'buy', quantity: '1.5' }),
  isBase64Encoded: false,
};

// 1. What one would write by hand for this one route.
async function handWritten(e) {
  let parsed;
  try {
    parsed = JSON.parse(e.body);
  } catch {
    return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"malformed"}' };
  }
  const result = order.safeParse(parsed);
  if (!result.success) return { statusCode: 422, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result.error.issues) };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer(result.data)) };
}

// 2. Hono on Lambda: builds a WHATWG Request and Response per invocation.
const app = new Hono();
app.post('/orders/validate', async (c) => {
  const result = order.safeParse(await c.req.json());
  if (!result.success) return c.json(result.error.issues, 422);
  return c.json(answer(result.data));
});
const hono = handle(app);

// 3. tradeplane: the same route declared in a contract, served by the neutral dispatcher.
const contract = {
  orders: {
    validate: defineRoute({
      id: 'orders.validate',
      method: 'POST',
      path: '/orders/validate',
      summary: 'Validate an order',
      tags: ['orders'],
      auth: 'public',
      body: order,
      response: z.object({ accepted: z.boolean(), symbol: z.string(), side: z.string(), quantity: z.string() }),
      errors: [],
    }),
  },
};
const dispatcher = createDispatcher({
  contract,
  handlers: { orders: { validate: async ({ body }) => answer(body) } },
  authenticate: async () => {
    throw new Error('public only');
  },
  ids: sequentialIds('req'),
  logger: silentLogger,
});
const tradeplane = tradeplaneLambda({ handle: dispatcher });

const candidates = { 'hand-written': handWritten, 'hono/aws-lambda': hono, tradeplaneLambda: tradeplane };
for (const [name, fn] of Object.entries(candidates)) {
  const res = await fn(event, {});
  if (res.statusCode !== 200 || JSON.parse(res.body).accepted !== true) throw new Error(`${name} answered ${res.statusCode}: ${res.body}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function perInvokeMicros(fn, n) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(event, {});
  return ((performance.now() - t) / n) * 1000;
}
for (const fn of Object.values(candidates)) await perInvokeMicros(fn, 5000); // warm up
const samples = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
for (let round = 0; round < 7; round++) {
  for (const [name, fn] of Object.entries(candidates)) samples[name].push(await perInvokeMicros(fn, 5000));
}
const result = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
console.log(`tradeplane Lambda bench — node ${process.version}, same validated POST (API Gateway v2 event), median of 7 × 5,000\n`);
for (const [name, us] of Object.entries(result)) {
  console.log(`  ${name.padEnd(18)} ${us.toFixed(1).padStart(7)} µs/invoke   ${(us / result['hono/aws-lambda']).toFixed(2)}× hono   ${(us / result['hand-written']).toFixed(2)}× hand-written`);
  record('lambda', name, Number(us.toFixed(1)), 'µs/invoke', { ratio: Number((us / result['hand-written']).toFixed(2)), baseline: 'hand-written handler (time ratio: lower is better)' });
}
