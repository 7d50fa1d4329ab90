/**
 * Sign-in load bench: do 50 sign-ins at once (argon2id at the shipped defaults, m = 19 MiB,
 * t = 2) slow down everyone else? Measures the p99 latency of `GET /health` and of an
 * authenticated `GET /wallet`, first idle, then while 50 clients sign in without pause, and
 * prints the ratio loaded / idle (target ≤ 3×). Twice, in the same run: with the engine's
 * bounded hashing (the default: cores − 1 hashes at once, the rest queue) and with the bound
 * lifted, to show what the bound buys. The server runs in its own process, so the load
 * generator does not share its event loop. Not a test: nothing here passes or fails.
 *
 *   pnpm bench:signin                       # SQLite file in a temp dir
 *   BENCH_DATABASE_URL=postgres://… pnpm bench:signin
 *   BENCH_SECONDS=10 BENCH_SIGNINS=50 pnpm bench:signin
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { record } from './report.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const SIGNINS = Number(process.env.BENCH_SIGNINS ?? 50);
// Production mode refuses a guessable secret; nothing outlives the run, so a fresh one each time.
const secret = randomBytes(32).toString('base64');

if (process.argv[2] === '--server') {
  // The server: the engine as `pnpm start` runs it, sign-in limits off (the bench signs in as fast as it can).
  const [, , , database, bound] = process.argv;
  const { tradeplaneExpress } = await import('@tradeplane/adapter-express');
  const { default: express } = await import('express');
  const engine = await createEngine({
    database,
    mode: 'production',
    logger: silentLogger,
    auth: { jwtSecret: secret, ...(bound === 'unbounded' ? { passwordHashing: { concurrency: 1024, maxQueued: 100_000 } } : {}) },
    jobs: { enabled: false },
    rateLimits: { enabled: false },
    log: { requests: false },
  });
  const app = express();
  app.use('/api/v1', tradeplaneExpress(engine));
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => void engine.close().then(() => process.exit(0))));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'tp-signin-bench-'));
  const database = process.env.BENCH_DATABASE_URL ?? join(dir, 'bench.db');
  const setup = await createEngine({ database, mode: 'test', logger: silentLogger, auth: { jwtSecret: secret }, jobs: { enabled: false }, rateLimits: { enabled: false } });
  const password = 'signin-bench-passphrase';
  const prefix = `signin-bench-${Date.now()}`;
  for (let i = 0; i < SIGNINS; i++) await setup.auth.register({ email: `${prefix}-${i}@example.com`, password });
  await setup.auth.register({ email: `${prefix}-probe@example.com`, password });
  await setup.close();

  const p99 = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
  };
  const fmt = (x, d = 2) => x.toFixed(d);

  function start(bound) {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--server', database, bound], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (chunk) => {
        const match = /ready (\d+)/.exec(String(chunk));
        if (match) resolve({ base: `http://127.0.0.1:${match[1]}/api/v1`, stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))) });
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  /** Sends `send()` back to back until `until`, returning each one's latency in ms. */
  async function probe(send, until) {
    const latencies = [];
    while (performance.now() < until) {
      const t = performance.now();
      const res = await send();
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`probe answered ${res.status}`);
      latencies.push(performance.now() - t);
    }
    return latencies;
  }

  async function measure(bound) {
    const server = await start(bound);
    try {
      const login = (i) =>
        fetch(`${server.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `${prefix}-${i}@example.com`, password }) });
      const probeLogin = await (await fetch(`${server.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `${prefix}-probe@example.com`, password }) })).json();
      const health = () => fetch(`${server.base}/health`);
      const wallet = () => fetch(`${server.base}/wallet`, { headers: { authorization: `Bearer ${probeLogin.access_token}` } });
      // Warm-up, then idle: the two probes alone.
      await probe(health, performance.now() + 500);
      await probe(wallet, performance.now() + 500);
      let until = performance.now() + SECONDS * 1000;
      const [idleHealth, idleWallet] = await Promise.all([probe(health, until), probe(wallet, until)]);
      // Loaded: the same probes while SIGNINS clients sign in back to back.
      until = performance.now() + SECONDS * 1000;
      const outcomes = { 200: 0, 503: 0, other: 0 };
      const signers = Array.from({ length: SIGNINS }, async (_, i) => {
        while (performance.now() < until) {
          const res = await login(i);
          await res.arrayBuffer();
          if (res.status === 200) outcomes[200] += 1;
          else if (res.status === 503) {
            outcomes[503] += 1;
            await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
          } else outcomes.other += 1;
        }
      });
      const started = performance.now();
      const [loadHealth, loadWallet] = await Promise.all([probe(health, until), probe(wallet, until)]);
      await Promise.all(signers);
      const elapsed = (performance.now() - started) / 1000;
      return { idleHealth: p99(idleHealth), idleWallet: p99(idleWallet), loadHealth: p99(loadHealth), loadWallet: p99(loadWallet), signins: outcomes[200] / elapsed, refused: outcomes[503], other: outcomes.other };
    } finally {
      await server.stop();
    }
  }

  try {
    console.log(`tradeplane sign-in load bench — ${database.startsWith('postgres') ? 'postgres' : 'sqlite'}, node ${process.version}, ${availableParallelism()} CPUs, ${SIGNINS} clients signing in, ${SECONDS} s per phase\n`);
    for (const bound of ['bounded', 'unbounded']) {
      const r = await measure(bound);
      const title = bound === 'bounded' ? 'bounded hashing (the default)' : 'hashing unbounded';
      console.log(title);
      console.log(`  GET /health  p99 idle ${fmt(r.idleHealth)} ms   under sign-ins ${fmt(r.loadHealth)} ms   ratio ${fmt(r.loadHealth / r.idleHealth)}  (target ≤ 3)`);
      console.log(`  GET /wallet  p99 idle ${fmt(r.idleWallet)} ms   under sign-ins ${fmt(r.loadWallet)} ms   ratio ${fmt(r.loadWallet / r.idleWallet)}  (target ≤ 3)`);
      console.log(`  sign-ins     ${fmt(r.signins, 1)}/s succeeded, ${r.refused} answered 503 (Retry-After), ${r.other} other\n`);
      const target = bound === 'bounded' ? '≤ 3' : undefined;
      record('signin', `${bound}: GET /health p99 under ${SIGNINS} sign-ins`, Number(fmt(r.loadHealth)), 'ms', { ratio: Number(fmt(r.loadHealth / r.idleHealth)), baseline: 'idle p99, same run', target });
      record('signin', `${bound}: GET /wallet p99 under ${SIGNINS} sign-ins`, Number(fmt(r.loadWallet)), 'ms', { ratio: Number(fmt(r.loadWallet / r.idleWallet)), baseline: 'idle p99, same run', target });
      record('signin', `${bound}: sign-ins per second`, Number(fmt(r.signins, 1)), 'sign-ins/s');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
