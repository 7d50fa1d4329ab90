import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isTradeplaneError, verifyStandardWebhook, type StandardWebhookInput } from '@tradeplane/core';

// Messages are signed by the reference implementation (the `standardwebhooks` package) and
// verified by ours, so the two cannot drift apart on the signed text or the encodings.
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
const now = new Date('2026-03-01T12:00:00Z');
const body = '{"type":"payment.succeeded","data":{"id":"pay_1","amount":"12.50","note":"café ☕"}}';

function signed(payload: string, options: { id?: string; at?: Date; key?: string } = {}): StandardWebhookInput['headers'] {
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const at = options.at ?? now;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(options.key ?? secret).sign(id, at, payload),
  };
}

function failure(input: StandardWebhookInput): { code: string; status: number } {
  try {
    verifyStandardWebhook(input);
  } catch (error) {
    if (isTradeplaneError(error)) return { code: error.code, status: error.status };
    throw error;
  }
  throw new Error('expected the message to be refused');
}

describe('verifyStandardWebhook', () => {
  it('accepts a message signed by the reference implementation and returns its id, time and payload', () => {
    const result = verifyStandardWebhook({ secret, headers: signed(body), rawBody: body, now });
    expect(result).toEqual({
      id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      timestamp: now,
      payload: { type: 'payment.succeeded', data: { id: 'pay_1', amount: '12.50', note: 'café ☕' } },
    });
    // The same bytes as a Uint8Array, and a secret given without its prefix.
    expect(verifyStandardWebhook({ secret: secret.slice('whsec_'.length), headers: signed(body), rawBody: new TextEncoder().encode(body), now }).id).toBe(
      'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    );
  });

  it('agrees with the reference implementation on what it accepts', () => {
    const headers = signed(body, { at: new Date() });
    expect(new Webhook(secret).verify(body, headers as Record<string, string>)).toEqual(verifyStandardWebhook({ secret, headers, rawBody: body }).payload);
  });

  it('checks the exact bytes: whitespace and key order count', () => {
    expect(failure({ secret, headers: signed(body), rawBody: `${body}\n`, now })).toEqual({ code: 'invalid_signature', status: 400 });
    expect(failure({ secret, headers: signed(body), rawBody: JSON.stringify(JSON.parse(body), null, 1), now }).code).toBe('invalid_signature');
    expect(failure({ secret, headers: signed(body), rawBody: body.replace('12.50', '125.0'), now }).code).toBe('invalid_signature');
  });

  it('refuses a message signed with another secret, or with its id or timestamp changed', () => {
    expect(failure({ secret, headers: signed(body, { key: otherSecret }), rawBody: body, now }).code).toBe('invalid_signature');
    const headers = signed(body);
    expect(failure({ secret, headers: { ...headers, 'webhook-id': 'msg_other' }, rawBody: body, now }).code).toBe('invalid_signature');
    const earlier = String(Number(headers['webhook-timestamp']) - 1);
    expect(failure({ secret, headers: { ...headers, 'webhook-timestamp': earlier }, rawBody: body, now }).code).toBe('invalid_signature');
  });

  it('accepts any matching signature among several, and any of several secrets while rotating', () => {
    const good = signed(body)['webhook-signature'] as string;
    const wrong = signed(body, { key: otherSecret })['webhook-signature'] as string;
    const headers = { ...signed(body), 'webhook-signature': `v1a,c2lnbmF0dXJl ${wrong} v1,!!notbase64!! v1,c2hvcnQ= ${good}` };
    expect(verifyStandardWebhook({ secret, headers, rawBody: body, now }).id).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(verifyStandardWebhook({ secret: [otherSecret, secret], headers: signed(body), rawBody: body, now }).id).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(failure({ secret, headers: { ...headers, 'webhook-signature': `${wrong} v1,!!notbase64!!` }, rawBody: body, now }).code).toBe('invalid_signature');
  });

  it('refuses stale and future timestamps beyond the tolerance, after the signature', () => {
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    expect(verifyStandardWebhook({ secret, headers: signed(body, { at: at(-300) }), rawBody: body, now }).id).toBeDefined();
    expect(verifyStandardWebhook({ secret, headers: signed(body, { at: at(300) }), rawBody: body, now }).id).toBeDefined();
    expect(failure({ secret, headers: signed(body, { at: at(-301) }), rawBody: body, now })).toEqual({ code: 'stale_webhook', status: 400 });
    expect(failure({ secret, headers: signed(body, { at: at(301) }), rawBody: body, now }).code).toBe('stale_webhook');
    expect(verifyStandardWebhook({ secret, headers: signed(body, { at: at(-3600) }), rawBody: body, now, toleranceSeconds: 7200 }).id).toBeDefined();
    // An old message with a bad signature says nothing about its age.
    expect(failure({ secret, headers: signed(body, { at: at(-3600), key: otherSecret }), rawBody: body, now }).code).toBe('invalid_signature');
  });

  it('refuses missing or malformed headers', () => {
    const headers = signed(body);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      expect(failure({ secret, headers: { ...headers, [name]: undefined }, rawBody: body, now }).code, name).toBe('invalid_signature');
      expect(failure({ secret, headers: { ...headers, [name]: '' }, rawBody: body, now }).code, name).toBe('invalid_signature');
    }
    for (const timestamp of ['1.5e9', '-1', '17e8', 'soon', `${headers['webhook-timestamp']}abc`]) {
      expect(failure({ secret, headers: { ...headers, 'webhook-timestamp': timestamp }, rawBody: body, now }).code, timestamp).toBe('invalid_signature');
    }
    expect(failure({ secret, headers: { ...headers, 'webhook-signature': 'v1,' }, rawBody: body, now }).code).toBe('invalid_signature');
  });

  it('parses the payload only once the signature matched', () => {
    const notJson = 'not json {';
    expect(failure({ secret, headers: signed(notJson), rawBody: notJson, now })).toEqual({ code: 'malformed_json', status: 400 });
    expect(failure({ secret, headers: signed(body, { key: otherSecret }), rawBody: notJson, now }).code).toBe('invalid_signature');
    expect(verifyStandardWebhook({ secret, headers: signed(''), rawBody: '', now }).payload).toBeUndefined();
  });

  it('treats a malformed secret as a configuration error, not a caller error', () => {
    for (const bad of ['whsec_', 'whsec_not base64!', '']) {
      expect(() => verifyStandardWebhook({ secret: bad, headers: signed(body), rawBody: body, now })).toThrow(/secret/);
    }
    expect(() => verifyStandardWebhook({ secret: [], headers: signed(body), rawBody: body, now })).toThrow(/secret/);
  });
});
