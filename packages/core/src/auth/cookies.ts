import type { RequestMeta } from '../http/types.js';

export const REFRESH_COOKIE = 'tp_refresh';
export const CSRF_COOKIE = 'tp_csrf';

/** Reads one cookie from the request's `Cookie` header(s). */
export function readCookie(headers: RequestMeta['headers'], name: string): string | undefined {
  const raw = headers['cookie'];
  for (const header of typeof raw === 'string' ? [raw] : (raw ?? [])) {
    for (const part of header.split(';')) {
      const index = part.indexOf('=');
      if (index > 0 && part.slice(0, index).trim() === name) {
        const value = part.slice(index + 1).trim();
        try {
          return decodeURIComponent(value);
        } catch {
          return value;
        }
      }
    }
  }
  return undefined;
}

function cookie(name: string, value: string, attributes: { path: string; maxAge: number; httpOnly: boolean; secure: boolean }): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${attributes.path}`,
    `Max-Age=${attributes.maxAge}`,
    ...(attributes.httpOnly ? ['HttpOnly'] : []),
    ...(attributes.secure ? ['Secure'] : []),
    'SameSite=Strict',
  ].join('; ');
}

/**
 * The refresh cookie (HttpOnly, sent only to the auth routes) and the CSRF cookie (readable by
 * the page's script, which echoes it in `X-CSRF-Token`). The CSRF token is an HMAC of the
 * session id under the server secret, so a cross-site page can neither read nor forge it.
 */
export function sessionCookies(meta: RequestMeta, tokens: { refreshToken: string; refreshExpiresIn: number; csrfToken: string }): string[] {
  const secure = meta.cookieMode?.secure ?? true;
  return [
    cookie(REFRESH_COOKIE, tokens.refreshToken, { path: `${meta.basePath}/auth`, maxAge: tokens.refreshExpiresIn, httpOnly: true, secure }),
    cookie(CSRF_COOKIE, tokens.csrfToken, { path: '/', maxAge: tokens.refreshExpiresIn, httpOnly: false, secure }),
  ];
}

/** The same cookies, emptied and expired. */
export function clearedCookies(meta: RequestMeta): string[] {
  return sessionCookies(meta, { refreshToken: '', refreshExpiresIn: 0, csrfToken: '' });
}
