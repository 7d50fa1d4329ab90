import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { TradeplaneError, cookieModeFrom, queryFromPairs, type CookieMode, type HttpRequest, type HttpResponse, type Tradeplane } from '@tradeplane/core';

/** What the adapter needs from an engine: the neutral dispatcher. */
export type TradeplaneHost = Pick<Tradeplane, 'handle'>;

export interface ExpressAdapterOptions {
  /** Serve the API reference UI at `/docs` (default true). */
  docs?: boolean;
  /**
   * Largest request body read from the socket, in bytes (default 1 MiB). The engine applies
   * its own `http.bodyLimit` as well; keep them equal.
   */
  bodyLimit?: number;
  /**
   * Cookie mode for browser clients: sign-in answers put the refresh token in an
   * `HttpOnly; Secure; SameSite=Strict` cookie (scoped to `<mount>/auth`) instead of the body,
   * and `POST /auth/refresh` with the cookie requires the `X-CSRF-Token` the sign-in returned.
   * `{ secure: false }` drops `Secure` for plain-http local development only.
   */
  cookies?: boolean | { secure?: boolean };
}

/**
 * Returns an Express router serving every contract route, `/openapi.json`, `/health` and the
 * `/docs` UI. The router holds no per-route code: it translates each request into the engine's
 * neutral shape and writes the neutral response back.
 *
 * Mount it without a JSON body parser in front (it reads the raw body itself, so malformed
 * JSON gets a problem+json answer); if one already ran, its parsed body is used for JSON routes,
 * but raw-body routes (signed webhooks) answer 400 `raw_body_unavailable`: the signature covers
 * bytes that a parsed object cannot be turned back into. Scope such a parser to your own routes.
 * Client addresses come from `req.ip`, so configure Express's `trust proxy` behind a proxy.
 *
 * @example
 * const app = express();
 * app.use('/api/v1', tradeplaneExpress(await createEngine({ database: 'file:./data/tradeplane.db' })));
 * app.listen(3000);
 */
export function tradeplaneExpress(engine: TradeplaneHost, options: ExpressAdapterOptions = {}): Router {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const cookieMode = cookieModeFrom(options.cookies);
  const router = express.Router();

  if (options.docs !== false) {
    const assets = swaggerUiAssets();
    router.use('/docs', (_req, res, next) => {
      for (const [name, value] of Object.entries(DOCS_HEADERS)) res.setHeader(name, value);
      next();
    });
    router.get('/docs', (req, res) => {
      res.type('html').setHeader('cache-control', 'no-cache').send(docsPage(req.baseUrl));
    });
    router.get('/docs/init.js', (req, res) => {
      res.type('js').send(`window.ui = SwaggerUIBundle({ url: ${JSON.stringify(`${req.baseUrl}/openapi.json`)}, dom_id: '#swagger-ui', deepLinking: true });\n`);
    });
    router.use('/docs/assets', express.static(assets, { index: false, maxAge: '1d' }));
  }

  router.use((req, res, next) => {
    engine.handle(toNeutralRequest(req, bodyLimit, cookieMode)).then((response) => send(res, response), next);
  });
  return router;
}

function toNeutralRequest(req: Request, bodyLimit: number, cookieMode: CookieMode | undefined): HttpRequest {
  const request: HttpRequest = {
    method: req.method,
    path: req.path,
    headers: req.headers,
    query: parseQuery(req.originalUrl),
    body: () => readBody(req, bodyLimit),
    ip: req.ip,
    basePath: req.baseUrl,
    cookieMode,
  };
  if (parsedUpstream(req.body)) request.bodyReserialised = true;
  return request;
}

/**
 * True when a body parser earlier in the app turned the body into an object (`express.json()`,
 * `express.urlencoded()`): what reaches the engine is then a re-serialisation. A string or bytes
 * (`express.text()`, `express.raw()`) is the body as received.
 */
function parsedUpstream(body: unknown): boolean {
  return body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);
}

/** Query parsed the same way on every host: repeated keys become arrays, nothing nested. */
function parseQuery(url: string): Record<string, string | string[]> {
  const index = url.indexOf('?');
  return index === -1 ? {} : queryFromPairs(new URLSearchParams(url.slice(index + 1)));
}

function readBody(req: Request, limit: number): Promise<Uint8Array | string | undefined> {
  // A body parser earlier in the app already consumed the stream: use what it produced.
  const parsed: unknown = req.body;
  if (parsed !== undefined) {
    if (typeof parsed === 'string' || parsed instanceof Uint8Array) return Promise.resolve(parsed);
    return Promise.resolve(JSON.stringify(parsed));
  }
  if (req.readableEnded) return Promise.resolve(undefined);
  const tooLarge = () => new TradeplaneError('payload_too_large', `The request body exceeds ${limit} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    // A client that hangs up mid-body is the client's problem, not a server error.
    req.once('error', () => reject(new TradeplaneError('bad_request', 'The request body was not fully received')));
  });
}

function send(res: Response, response: HttpResponse): void {
  res.status(response.status);
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  // Set explicitly so a HEAD answer still says how long the GET body is.
  if (response.body !== null) res.setHeader('content-length', Buffer.byteLength(response.body));
  res.end(response.body ?? undefined);
}

/**
 * The `/docs` page, its script and its assets carry the API's own security headers, with a
 * policy that lets the page load only its own scripts, styles, images and the OpenAPI document
 * (no inline script, no eval, no third party), and be framed by nobody.
 */
const DOCS_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    // Swagger UI sets style attributes on the elements it renders.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
} as const;

function swaggerUiAssets(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function docsPage(basePath: string): string {
  const base = escapeHtml(basePath);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tradeplane API reference</title>
<link rel="stylesheet" href="${base}/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/docs/assets/swagger-ui-bundle.js"></script>
<script src="${base}/docs/init.js"></script>
</body>
</html>
`;
}
