/**
 * The example server's TRUST_PROXY, read as Express documents `trust proxy`: the address the
 * server sees (and throttles and rate-limits by) is the client's behind the proxies it was told
 * to trust, and a value it cannot read stops it at start with a clear message. The server runs
 * as `pnpm start` runs it, in its own process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrustProxy } from '../../examples/express-server/src/trust-proxy.js';
import { requestAt } from '../support/transports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const server = join(root, 'examples/express-server/src/server.ts');
let nextPort = 41_000 + (process.pid % 1000) * 7;

/** Starts the example server with `TRUST_PROXY`; resolves with its address, or with its exit code and error output. */
function startServer(trustProxy: string): Promise<{ base: string; stop: () => Promise<void> } | { code: number | null; stderr: string }> {
  const port = nextPort++;
  const child = spawn(process.execPath, ['--import', 'tsx', server], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json'), PORT: String(port), DATABASE_URL: ':memory:', TRUST_PROXY: trustProxy, LOG_LEVEL: 'silent', JWT_SECRET: 'trust-proxy-secret-trust-proxy-secret' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('API')) {
        resolve({ base: `127.0.0.1:${port}`, stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGTERM'))) });
      }
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

/** The address the server records for a sign-in sent through "proxies" that set X-Forwarded-For. */
async function seenAddress(base: string): Promise<string> {
  const headers = { 'x-forwarded-for': '203.0.113.50' };
  await requestAt(base, 'POST', '/auth/register', { body: { email: 'proxied@example.com', password: 'proxied-long-passphrase' }, headers });
  const login = await requestAt(base, 'POST', '/auth/login', { body: { email: 'proxied@example.com', password: 'proxied-long-passphrase' }, headers });
  expect(login.status, login.text).toBe(200);
  const sessions = await requestAt(base, 'GET', '/auth/sessions', { token: login.body.access_token, headers });
  expect(sessions.status, sessions.text).toBe(200);
  return sessions.body.sessions[0].ip;
}

describe('TRUST_PROXY in the example server', () => {
  it.each([
    ['true', '203.0.113.50'],
    ['1', '203.0.113.50'],
    ['loopback, 10.0.0.0/8', '203.0.113.50'],
    ['false', '::ffff:127.0.0.1'], // the socket's own peer: this test, on loopback
  ])('TRUST_PROXY=%s: the client address is %s', async (value, expected) => {
    const started = await startServer(value);
    if (!('base' in started)) throw new Error(`server exited ${started.code}: ${started.stderr}`);
    try {
      expect(await seenAddress(started.base)).toBe(expected);
    } finally {
      await started.stop();
    }
  }, 60_000);

  it('refuses to start on a value it cannot read, saying why', async () => {
    const started = await startServer('yes please');
    expect('code' in started && started.code).toBe(1);
    expect('stderr' in started && started.stderr).toMatch(/TRUST_PROXY: cannot read 'yes please'/);
  }, 60_000);

  it('reads every form Express documents', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('FALSE')).toBe(false);
    expect(parseTrustProxy(' True ')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback,linklocal, uniquelocal')).toEqual(['loopback', 'linklocal', 'uniquelocal']);
    expect(parseTrustProxy('10.0.0.1, 192.168.0.0/16, fd00::/8, 172.16.0.0/255.240.0.0, ::1')).toEqual(['10.0.0.1', '192.168.0.0/16', 'fd00::/8', '172.16.0.0/255.240.0.0', '::1']);
    for (const bad of ['yes', '10.0.0.0/33', 'fd00::/129', '1.2.3', 'loopback,,10.0.0.1', '10.0.0.0/255.0.255.0', 'fd00::/255.0.0.0', '-1', '1.5']) {
      expect(() => parseTrustProxy(bad), bad).toThrow(/TRUST_PROXY/);
    }
  });
});
