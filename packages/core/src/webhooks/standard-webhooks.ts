import { createHmac, timingSafeEqual } from 'node:crypto';
import { TradeplaneError } from '../errors.js';
import type { HttpRequest } from '../http/types.js';

/**
 * The headers a Standard Webhooks sender signs with, for a raw-body route's `rawBody.headers`.
 * @see https://www.standardwebhooks.com
 */
export const STANDARD_WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** How far a message's timestamp may lie from now, either way, by default (the specification's 5 minutes). */
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// Whole seconds since the epoch; a bound on the length keeps the number exact.
const TIMESTAMP = /^[0-9]{1,15}$/;
const SHA256_BYTES = 32;

export interface StandardWebhookInput {
  /**
   * The endpoint's secret, `whsec_<base64>` (the prefix is optional). Several while rotating:
   * a message signed with any of them is accepted.
   */
  secret: string | readonly string[];
  /** The request headers, names lower-case (`RequestMeta.headers`). */
  headers: HttpRequest['headers'];
  /** The body exactly as received (a raw-body route's `rawBody`). */
  rawBody: string | Uint8Array;
  /** The current time (default: the clock). */
  now?: Date;
  /** Accepted distance between the message's timestamp and `now`, in seconds (default 300). */
  toleranceSeconds?: number;
}

export interface VerifiedWebhook {
  /** `webhook-id`: unique per message and the same on every retry of it, so the key to deduplicate on. */
  id: string;
  /** `webhook-timestamp`: when the sender signed this attempt. */
  timestamp: Date;
  /** The body parsed as JSON, only after the signature matched; undefined for an empty body. */
  payload: unknown;
}

/**
 * Verifies a Standard Webhooks message: the signature over `${id}.${timestamp}.${body}` first
 * (HMAC-SHA256 with the secret, compared in constant time, any of the space-separated `v1,`
 * signatures may match), then the timestamp's distance from now, then the body as JSON.
 * Nothing about the message is trusted before its signature is.
 *
 * Throws `TradeplaneError('invalid_signature')` for missing or malformed headers and for a
 * signature that does not match, `stale_webhook` for a timestamp too old or too far in the
 * future (a replay), `malformed_json` for a signed body that is not JSON. A malformed `secret`
 * is a configuration error and throws a plain `Error`.
 *
 * @example
 * const { id, payload } = verifyStandardWebhook({ secret: process.env.WEBHOOK_SECRET!, headers: request.headers, rawBody });
 */
export function verifyStandardWebhook(input: StandardWebhookInput): VerifiedWebhook {
  const keys = (typeof input.secret === 'string' ? [input.secret] : input.secret).map(secretKey);
  if (keys.length === 0) throw new Error('verifyStandardWebhook needs at least one secret');

  const id = single(input.headers, 'webhook-id');
  const timestampText = single(input.headers, 'webhook-timestamp');
  const signatureValue = input.headers['webhook-signature'];
  const signatureText = typeof signatureValue === 'string' ? signatureValue : signatureValue?.join(' ');
  if (!id || !timestampText || !signatureText) {
    throw new TradeplaneError('invalid_signature', 'Send the webhook-id, webhook-timestamp and webhook-signature headers');
  }
  if (!TIMESTAMP.test(timestampText)) throw new TradeplaneError('invalid_signature', 'webhook-timestamp must be whole seconds since the epoch');

  const body = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody;
  const signed = Buffer.concat([Buffer.from(`${id}.${timestampText}.`, 'utf8'), body]);
  const expected = keys.map((key) => createHmac('sha256', key).update(signed).digest());
  const candidates = signatureText
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => entry.slice(3))
    .filter((encoded) => BASE64.test(encoded))
    .map((encoded) => Buffer.from(encoded, 'base64'))
    .filter((decoded) => decoded.length === SHA256_BYTES);
  // Every pair is compared, match or not, so the time taken says nothing about which was close.
  let matched = false;
  for (const candidate of candidates) for (const digest of expected) matched = timingSafeEqual(candidate, digest) || matched;
  if (!matched) throw new TradeplaneError('invalid_signature', 'No webhook signature matches the body');

  const timestamp = Number(timestampText);
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (now - timestamp > tolerance) throw new TradeplaneError('stale_webhook', 'The webhook timestamp is too old');
  if (timestamp - now > tolerance) throw new TradeplaneError('stale_webhook', 'The webhook timestamp is in the future');

  let payload: unknown;
  if (body.byteLength > 0) {
    try {
      payload = JSON.parse(typeof input.rawBody === 'string' ? input.rawBody : Buffer.from(body).toString('utf8'));
    } catch {
      throw new TradeplaneError('malformed_json', 'The webhook body is not valid JSON');
    }
  }
  return { id, timestamp: new Date(timestamp * 1000), payload };
}

function single(headers: HttpRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  // As sent, untrimmed: the id and timestamp are part of the signed text.
  return (typeof value === 'string' ? value : value?.[0]) || undefined;
}

/** The HMAC key a `whsec_<base64>` secret stands for. */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length === 0) throw new Error('A Standard Webhooks secret is `whsec_` followed by non-empty base64');
  return key;
}
