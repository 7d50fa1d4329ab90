import { describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT, decodeProtectedHeader, importJWK } from 'jose';
import { createAccessTokenSigner, generateOpaqueToken, generateSigningKey, hashToken } from './tokens.js';

const secret = 'a'.repeat(32);
const signer = createAccessTokenSigner({ secret, signingKeys: [], issuer: 'tradeplane', audience: 'tradeplane' });
const now = new Date('2026-03-01T12:00:00Z');
const claims = { sub: 'u1', jti: 'j1', role: 'user' as const, token_version: 0, sid: 's1' };

async function forge(options: { key?: string; iss?: string; aud?: string; iat?: number; exp?: number; nbf?: number; alg?: string }) {
  const iat = options.iat ?? Math.floor(now.getTime() / 1000);
  return new SignJWT({ role: 'user', token_version: 0, sid: 's1' })
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
    // nbf in the past, so only the iat check can refuse it.
    ['a token issued in the future', () => forge({ iat: Math.floor(now.getTime() / 1000) + 3600, nbf: Math.floor(now.getTime() / 1000) - 60 })],
    ['a token not valid yet (nbf)', () => forge({ nbf: Math.floor(now.getTime() / 1000) + 600 })],
    ['another HMAC algorithm', () => forge({ alg: 'HS512', key: secret.repeat(2) })],
    ['alg: none', async () => new UnsecuredJWT({ role: 'admin', token_version: 0, sid: 's' }).setSubject('u1').setJti('j').setIssuer('tradeplane').setAudience('tradeplane').setIssuedAt().setExpirationTime('1h').encode()],
  ])('refuses %s', async (_name, make) => {
    const token = await make();
    await expect(signer.verify(token, now)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('tells an expired token apart, so clients know to refresh', async () => {
    const expired = await forge({ iat: Math.floor(now.getTime() / 1000) - 3600, exp: Math.floor(now.getTime() / 1000) - 60 });
    await expect(signer.verify(expired, now)).rejects.toMatchObject({ code: 'token_expired' });
    // A forged signature on an expired token is still just invalid.
    const forgedExpired = await forge({ key: 'b'.repeat(32), iat: Math.floor(now.getTime() / 1000) - 3600, exp: Math.floor(now.getTime() / 1000) - 60 });
    await expect(signer.verify(forgedExpired, now)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('still refuses a remembered token once it expires', async () => {
    const token = await signer.sign(claims, now, 900);
    await signer.verify(token, now);
    await signer.verify(token, new Date(now.getTime() + 900_000 + 29_000)); // within the skew allowance
    await expect(signer.verify(token, new Date(now.getTime() + 900_000 + 30_000))).rejects.toMatchObject({ code: 'token_expired' });
    await expect(signer.verify(token, now)).resolves.toMatchObject(claims); // verified afresh, not from memory
  });

  it('publishes no keys when tokens are HS256-signed', () => {
    expect(signer.jwks()).toEqual({ keys: [] });
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

describe('asymmetric access tokens (EdDSA / ES256)', () => {
  it.each(['EdDSA', 'ES256'] as const)('signs with %s, names the kid and publishes only the public key', async (alg) => {
    const key = await generateSigningKey(alg);
    const tokens = createAccessTokenSigner({ secret, signingKeys: [key], issuer: 'tradeplane', audience: 'tradeplane' });
    const token = await tokens.sign(claims, now, 900);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: key.kid });
    expect(await tokens.verify(token, now)).toMatchObject(claims);
    const [published] = tokens.jwks().keys;
    expect(published).toMatchObject({ kid: key.kid, alg, use: 'sig' });
    expect(published).not.toHaveProperty('d');
  });

  it('keeps tokens of a retired key valid while refusing keys it does not know', async () => {
    const old = await generateSigningKey('EdDSA');
    const next = await generateSigningKey('EdDSA');
    const before = createAccessTokenSigner({ secret, signingKeys: [old], issuer: 'tradeplane', audience: 'tradeplane' });
    const oldToken = await before.sign(claims, now, 900);
    // Rotation: the new key signs, the old one stays for verification with its public half only.
    const after = createAccessTokenSigner({
      secret,
      signingKeys: [next, { kid: old.kid, alg: 'EdDSA', publicKey: old.publicKey }],
      issuer: 'tradeplane',
      audience: 'tradeplane',
    });
    expect(await after.verify(oldToken, now)).toMatchObject(claims);
    expect(decodeProtectedHeader(await after.sign(claims, now, 900)).kid).toBe(next.kid);
    expect(after.jwks().keys.map((k) => k.kid)).toEqual([next.kid, old.kid]);
    // Once the old key is dropped, its tokens fail.
    const dropped = createAccessTokenSigner({ secret, signingKeys: [next], issuer: 'tradeplane', audience: 'tradeplane' });
    await expect(dropped.verify(oldToken, now)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses HS256 tokens (even ones keyed with the public key) once asymmetric keys are set', async () => {
    const key = await generateSigningKey('EdDSA');
    const tokens = createAccessTokenSigner({ secret, signingKeys: [key], issuer: 'tradeplane', audience: 'tradeplane' });
    await expect(tokens.verify(await forge({}), now)).rejects.toMatchObject({ code: 'invalid_token' });
    const confused = await forge({ key: JSON.stringify(key.publicKey) });
    await expect(tokens.verify(confused, now)).rejects.toMatchObject({ code: 'invalid_token' });
    // A token signed by a key of the right type but not configured fails too.
    const stranger = await generateSigningKey('EdDSA');
    const forged = await new SignJWT({ role: 'admin', token_version: 0, sid: 's1' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject('u1')
      .setJti('j1')
      .setIssuer('tradeplane')
      .setAudience('tradeplane')
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 900)
      .sign(await importJWK(stranger.privateKey, 'EdDSA'));
    await expect(tokens.verify(forged, now)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses a configuration whose key does not match its algorithm', async () => {
    const ed = await generateSigningKey('EdDSA');
    expect(() => createAccessTokenSigner({ secret, signingKeys: [{ ...ed, alg: 'ES256' }], issuer: 'i', audience: 'a' })).toThrow(/P-256/);
  });
});
