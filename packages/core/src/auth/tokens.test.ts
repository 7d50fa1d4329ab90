import { describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT } from 'jose';
import { hashToken, hs256Signer, generateOpaqueToken } from './tokens.js';

const secret = 'a'.repeat(32);
const signer = hs256Signer(secret, 'tradeplane', 'tradeplane');
const now = new Date('2026-03-01T12:00:00Z');
const claims = { sub: 'u1', jti: 'j1', role: 'user' as const, tv: 0, sid: 's1' };

async function forge(options: { key?: string; iss?: string; aud?: string; iat?: number; exp?: number; nbf?: number; alg?: string }) {
  const iat = options.iat ?? Math.floor(now.getTime() / 1000);
  return new SignJWT({ role: 'user', tv: 0, sid: 's1' })
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject('u1')
    .setJti('j1')
    .setIssuer(options.iss ?? 'tradeplane')
    .setAudience(options.aud ?? 'tradeplane')
    .setIssuedAt(iat)
    .setExpirationTime(options.exp ?? iat + 900)
    .setNotBefore(options.nbf ?? iat)
    .sign(new TextEncoder().encode(options.key ?? secret));
}

describe('access tokens', () => {
  it('round-trips the claims', async () => {
    const token = await signer.sign(claims, now, 900);
    const verified = await signer.verify(token, now);
    expect(verified).toMatchObject({ ...claims, exp: verified.iat + 900 });
  });

  it.each([
    ['a forged signature', () => forge({ key: 'b'.repeat(32) })],
    ['another issuer', () => forge({ iss: 'evil' })],
    ['another audience', () => forge({ aud: 'other-service' })],
    ['an expired token', () => forge({ iat: Math.floor(now.getTime() / 1000) - 3600, exp: Math.floor(now.getTime() / 1000) - 60 })],
    // nbf in the past, so only the iat check can refuse it.
    ['a token issued in the future', () => forge({ iat: Math.floor(now.getTime() / 1000) + 3600, nbf: Math.floor(now.getTime() / 1000) - 60 })],
    ['a token not valid yet (nbf)', () => forge({ nbf: Math.floor(now.getTime() / 1000) + 600 })],
    ['another HMAC algorithm', () => forge({ alg: 'HS512', key: secret.repeat(2) })],
    ['alg: none', async () => new UnsecuredJWT({ role: 'admin', tv: 0, sid: 's' }).setSubject('u1').setJti('j').setIssuer('tradeplane').setAudience('tradeplane').setIssuedAt().setExpirationTime('1h').encode()],
  ])('refuses %s', async (_name, make) => {
    const token = await make();
    await expect(signer.verify(token, now)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('stores bearer secrets only as hashes and makes them unguessable', () => {
    const a = generateOpaqueToken('tpr_');
    const b = generateOpaqueToken('tpr_');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^tpr_[A-Za-z0-9_-]{43}$/);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(a)).not.toContain(a.slice(4));
  });
});
