/**
 * HTTP bench (issue 8's target: tradeplane ≥ 0.7× the bare handler). Measures, with autocannon,
 * in one run and interleaved rounds:
 *   (a) a bare Express 5 handler reading the caller's default account row (same driver);
 *   (b) tradeplane's authenticated `GET /wallet` (JWT + session check + the same row, problem+json,
 *       request log, metrics), rate limits off;
 *   (c) the same with rate limits on (one counter upsert per request).
 * Prints req/s and p50/p99 latency for each and the ratios b/a and c/a. Not a test.
 *
 *   pnpm bench:http                         # SQLite file in a temp dir
 *   BENCH_DATABASE_URL=postgres://… pnpm bench:http
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { record } from './report.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'tp-http-bench-'));
const database = process.env.BENCH_DATABASE_URL ?? join(dir, 'bench.db');

// A random secret, handed to the server processes: production mode refuses a guessable one.
const jwtSecret = randomBytes(32).toString('base64url');
const setup = await createEngine({ database, mode: 'test', logger: silentLogger, auth: { jwtSecret }, jobs: { enabled: false }, rateLimits: { enabled: false } });
const email = `http-bench-${Date.now()}@example.com`;
const user = await setup.auth.register({ email, password: 'http-bench-passphrase' });
const { accessToken } = await setup.auth.login({ email, password: 'http-bench-passphrase' });
await setup.close();

// With two or more CPUs and `taskset` (Linux), the servers run on the last CPU and the load
// generator on the others, so neither steals the other's core and rounds vary less.
const cpus = availableParallelism();
const pinned = process.platform === 'linux' && cpus >= 2 && spawnSync('taskset', ['-cp', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' }).status === 0;

function start(mode) {
  return new Promise((resolve, reject) => {
    const server = [new URL('./http-server.mjs', import.meta.url).pathname, mode, database, user.id, jwtSecret];
    const child = pinned
      ? spawn('taskset', ['-c', String(cpus - 1), process.execPath, ...server], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(process.execPath, server, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      const match = /ready (\d+)/.exec(String(chunk));
      if (match) resolve({ port: Number(match[1]), stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))) });
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

async function load(port, headers) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/wallet`, connections: CONNECTIONS, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const modes = [
  ['bare', 'bare Express 5 + driver', {}],
  ['tradeplane', 'tradeplane GET /wallet', { authorization: `Bearer ${accessToken}` }],
  ['tradeplane-limited', 'tradeplane, rate limits on', { authorization: `Bearer ${accessToken}` }],
];
const servers = {};
for (const [mode] of modes) servers[mode] = await start(mode);
const runs = Object.fromEntries(modes.map(([mode]) => [mode, []]));
try {
  // A warm-up each (JIT, statement caches), then interleaved rounds, the order rotating each
  // round so drift and position hit all alike. Ratios are taken per round, then the median.
  for (const [mode, , headers] of modes) await autocannon({ url: `http://127.0.0.1:${servers[mode].port}/wallet`, connections: CONNECTIONS, duration: 2, headers });
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < modes.length; i++) {
      const [mode, , headers] = modes[(round + i) % modes.length];
      runs[mode][round] = await load(servers[mode].port, headers);
    }
  }
} finally {
  for (const [mode] of modes) await servers[mode].stop();
  rmSync(dir, { recursive: true, force: true });
}

if (process.env.BENCH_VERBOSE) console.log(JSON.stringify(Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map((r) => Math.round(r.rps))]))));
const dialect = database.startsWith('postgres') ? 'postgres' : 'sqlite';
console.log(`tradeplane HTTP bench — ${dialect}, node ${process.version}, ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s per server (median)${pinned ? `; servers pinned to CPU ${cpus - 1}, load generator to CPU 0–${cpus - 2}` : ''}\n`);
for (const [mode, label] of modes) {
  const rps = median(runs[mode].map((r) => r.rps));
  const p50 = median(runs[mode].map((r) => r.p50));
  const p99 = median(runs[mode].map((r) => r.p99));
  const ratio = median(runs[mode].map((r, round) => r.rps / runs.bare[round].rps));
  console.log(`  ${label.padEnd(28)} ${Math.round(rps).toLocaleString('en').padStart(8)} req/s   p50 ${String(p50).padStart(3)} ms   p99 ${String(p99).padStart(3)} ms   ${ratio.toFixed(2)}× bare`);
  record('http', `${label} (${dialect})`, Math.round(rps), 'req/s', { ratio: Number(ratio.toFixed(3)), baseline: 'bare Express 5 + driver', target: mode === 'bare' ? undefined : '≥ 0.7' });
}
console.log(`\n  (ratio: the median over rounds of each round's req/s over the bare server's in the same round)`);
