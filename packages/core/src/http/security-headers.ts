import type { HttpResponse } from './types.js';

/** Sent on every answer: the API serves JSON to programs, never pages to frame or sniff. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
} as const;

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * The security-headers stage: adds the fixed headers, and `Strict-Transport-Security` when
 * `hsts` is on (only behind HTTPS), to a response's headers in place.
 */
export function createSecurityHeaders(options: { hsts?: boolean }): (headers: HttpResponse['headers']) => void {
  return (headers) => {
    // Plain assignments: Object.assign and spreads of these many keys cost more than the rest of a request's bookkeeping.
    for (const name in SECURITY_HEADERS) headers[name] = SECURITY_HEADERS[name as keyof typeof SECURITY_HEADERS];
    if (options.hsts) headers['strict-transport-security'] = HSTS;
  };
}
