import { TradeplaneError } from '../errors.js';
import { headerValue, type HttpRequest } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Keeps a leading byte-order mark in the text: it is part of the signed bytes.
const utf8WithBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads and parses a JSON body. An empty body is `undefined`, which the schema then judges.
 * Throws `payload_too_large`, `unsupported_media_type` or `malformed_json` at once: such a body
 * has no fields to report.
 */
export async function readJsonBody(request: HttpRequest, limit: number): Promise<unknown> {
  const raw = typeof request.body === 'function' ? await request.body() : request.body;
  if (raw === null || raw === undefined) return undefined;
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > limit) throw new TradeplaneError('payload_too_large', `The request body exceeds ${limit} bytes`);
  if (size === 0) return undefined;
  const contentType = headerValue(request.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(contentType)) {
    throw new TradeplaneError('unsupported_media_type', 'Send the request body as application/json');
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : utf8.decode(raw);
  } catch {
    throw new TradeplaneError('malformed_json', 'The request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TradeplaneError('malformed_json', 'The request body is not valid JSON');
  }
}

/**
 * Reads a raw-body route's body: size-checked, decoded from UTF-8 once and otherwise untouched
 * (no content-type check, no parsing), so a signature over the bytes can be checked against it.
 * An absent body is `''`. Throws `raw_body_unavailable` when the adapter only has a re-serialised
 * parsed object, `payload_too_large`, or `bad_request` for bytes that are not UTF-8 (no string
 * could carry them intact).
 */
export async function readRawBody(request: HttpRequest, limit: number): Promise<string> {
  if (request.bodyReserialised) {
    throw new TradeplaneError(
      'raw_body_unavailable',
      'The request body was parsed before it reached this route, so its signed bytes are lost; mount the API without a body parser in front of it',
    );
  }
  const raw = typeof request.body === 'function' ? await request.body() : request.body;
  if (raw === null || raw === undefined) return '';
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > limit) throw new TradeplaneError('payload_too_large', `The request body exceeds ${limit} bytes`);
  if (typeof raw === 'string') return raw;
  try {
    return utf8WithBom.decode(raw);
  } catch {
    throw new TradeplaneError('bad_request', 'The request body is not valid UTF-8');
  }
}
