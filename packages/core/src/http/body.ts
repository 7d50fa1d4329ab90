import { TradeplaneError } from '../errors.js';
import { headerValue, type HttpRequest } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
