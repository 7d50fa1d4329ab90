/**
 * Auth bench: prints argon2id cost, access-token verification throughput and the overhead of
 * an authenticated request against an unauthenticated one, all measured in this one run so
 * the ratios hold on any machine. Not a test: nothing here passes or fails.
 *
 *   pnpm bench:auth                          # SQLite file in a temp dir
 *   BENCH_DATABASE_URL=postgres://… pnpm bench:auth
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateSigningKey, silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { record } from './report.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
async function timeEach(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}
async function perSecond(ms, fn) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return (n / ms) * 1000;
}
const fmt = (x, d = 2) => x.toFixed(d);

const dir = mkdtempSync(join(tmpdir(), 'tp-bench-'));
const database = process.env.BENCH_DATABASE_URL ?? join(dir, 'bench.db');
// Production mode refuses a guessable secret; nothing outlives the run, so a fresh one each time.
const secret = randomBytes(32).toString('base64');
const edKey = await generateSigningKey('EdDSA');
const hsEngine = await createEngine({ database, logger: silentLogger, mode: 'production', auth: { jwtSecret: secret, loginThrottle: false } });
const edEngine = await createEngine({ database, logger: silentLogger, mode: 'production', auth: { jwtSecret: secret, signingKeys: [edKey], loginThrottle: false } });

try {
  const email = `bench-${Date.now()}@example.com`;
  const password = 'bench-long-passphrase';
  console.log(`tradeplane auth bench — ${hsEngine.dialect}, node ${process.version}\n`);

  // 1. argon2id at the shipped defaults (m=19 MiB, t=2, p=1).
  const register = await timeEach(9, (i) => hsEngine.auth.register({ email: `${i}-${email}`, password }));
  const login = await timeEach(15, () => hsEngine.auth.login({ email: `0-${email}`, password }));
  const wrong = await timeEach(15, () => hsEngine.auth.login({ email: `0-${email}`, password: 'not-the-password' }).catch(() => {}));
  const unknown = await timeEach(15, () => hsEngine.auth.login({ email: `nobody-${email}`, password }).catch(() => {}));
  console.log('argon2id (m=19456 KiB, t=2, p=1)');
  console.log(`  register (hash + insert)      median ${fmt(median(register))} ms`);
  console.log(`  login (verify + session)      median ${fmt(median(login))} ms`);
  console.log(`  wrong password                median ${fmt(median(wrong))} ms`);
  console.log(`  unknown email                 median ${fmt(median(unknown))} ms   ratio to wrong password ${fmt(median(unknown) / median(wrong))}  (1.00 = no timing oracle)`);
  // Sign-up, interleaved: a new email (hash, rows, commit) against a taken one (hash, one read).
  const signupNew = [];
  const signupTaken = [];
  for (let i = 0; i < 15; i++) {
    signupNew.push(...(await timeEach(1, () => hsEngine.auth.register({ email: `new-${i}-${email}`, password }))));
    signupTaken.push(...(await timeEach(1, () => hsEngine.auth.register({ email: `0-${email}`, password }).catch(() => {}))));
  }
  console.log(`  sign-up, new email            median ${fmt(median(signupNew))} ms`);
  console.log(`  sign-up, taken email          median ${fmt(median(signupTaken))} ms   ratio to new email ${fmt(median(signupTaken) / median(signupNew))}  (1.00 = no timing oracle)\n`);

  // 2. Access-token verification (signature + claims, no database).
  const hsTokens = await hsEngine.auth.login({ email: `0-${email}`, password });
  const edTokens = await edEngine.auth.login({ email: `0-${email}`, password });
  // Distinct tokens (each refresh mints one) measure the signature check itself; the same token
  // again measures the verified-token memory every request after a client's first one hits.
  async function distinctTokens(engine, first, n) {
    const tokens = [];
    let refreshToken = first.refreshToken;
    for (let i = 0; i < n; i++) {
      const next = await engine.auth.refresh({ refreshToken });
      tokens.push(next.accessToken);
      refreshToken = next.refreshToken;
    }
    return tokens;
  }
  const rate = async (engine, tokens) => {
    const t = performance.now();
    for (const token of tokens) await engine.auth.verifyAccessToken(token);
    return (tokens.length / (performance.now() - t)) * 1000;
  };
  const hsCold = await rate(hsEngine, await distinctTokens(hsEngine, hsTokens, 3000));
  const edCold = await rate(edEngine, await distinctTokens(edEngine, edTokens, 3000));
  const hsWarm = await perSecond(1500, () => hsEngine.auth.verifyAccessToken(hsTokens.accessToken));
  const authRate = await perSecond(1500, () => hsEngine.auth.authenticate(hsTokens.accessToken));
  console.log('access-token verification (signature + claims, no database)');
  console.log(`  HS256, first sight of a token ${Math.round(hsCold).toLocaleString('en')} /s`);
  console.log(`  EdDSA, first sight of a token ${Math.round(edCold).toLocaleString('en')} /s   (${fmt(edCold / hsCold)}× HS256)`);
  console.log(`  HS256, token seen before      ${Math.round(hsWarm).toLocaleString('en')} /s   (${fmt(hsWarm / hsCold)}× first sight)`);
  console.log(`  + revocation check (database) ${Math.round(authRate).toLocaleString('en')} /s   (authenticate(): verify + one auth-state query)\n`);

  // 3. A whole request through the dispatcher: authenticated vs unauthenticated.
  const request = (path, token) => ({
    method: 'GET',
    path,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    query: {},
  });
  const warm = async (n, r) => {
    for (let i = 0; i < n; i++) await hsEngine.handle(r);
  };
  const health = request('/health');
  const jwks = request('/.well-known/jwks.json');
  const me = request('/auth/me', hsTokens.accessToken);
  await warm(500, health);
  await warm(500, jwks);
  await warm(500, me);
  const rounds = 5;
  const samples = { health: [], jwks: [], me: [] };
  for (let round = 0; round < rounds; round++) {
    // Interleaved so machine noise hits all three alike.
    samples.jwks.push(median(await timeEach(2000, () => hsEngine.handle(jwks))));
    samples.health.push(median(await timeEach(2000, () => hsEngine.handle(health))));
    samples.me.push(median(await timeEach(2000, () => hsEngine.handle(me))));
  }
  const [tJwks, tHealth, tMe] = [median(samples.jwks), median(samples.health), median(samples.me)];
  console.log('whole request, in process (median of medians, µs)');
  console.log(`  GET /.well-known/jwks.json    ${fmt(tJwks * 1000, 1)} µs   public, no database`);
  console.log(`  GET /health                   ${fmt(tHealth * 1000, 1)} µs   public, one database ping`);
  console.log(`  GET /auth/me                  ${fmt(tMe * 1000, 1)} µs   bearer verify + auth-state lookup + user lookup`);
  console.log(`  authenticated overhead        ${fmt((tMe - tHealth) * 1000, 1)} µs   over /health (${fmt(tMe / tHealth)}×), ${fmt((tMe - tJwks) * 1000, 1)} µs over /.well-known/jwks.json`);
  record('auth', 'login (argon2id verify + session), median', Number(fmt(median(login))), 'ms');
  record('auth', 'sign-up: taken email vs new email (timing oracle)', Number(fmt(median(signupTaken))), 'ms', { ratio: Number(fmt(median(signupTaken) / median(signupNew))), baseline: 'new email', target: '≈ 1.00' });
  record('auth', 'unknown email vs wrong password (timing oracle)', Number(fmt(median(unknown))), 'ms', { ratio: Number(fmt(median(unknown) / median(wrong))), baseline: 'wrong password', target: '≈ 1.00' });
  record('auth', 'GET /auth/me in process', Number(fmt(tMe * 1000, 1)), 'µs', { ratio: Number(fmt(tMe / tHealth)), baseline: 'GET /health' });
} finally {
  await hsEngine.close();
  await edEngine.close();
  rmSync(dir, { recursive: true, force: true });
}
