import { cookieModeFrom, queryFromPairs, toProblem, TradeplaneError, type CookieMode, type HttpRequest, type HttpResponse, type Tradeplane } from '@tradeplane/core';
import { eventKind, type AlbEvent, type ApiGatewayV1Event, type ApiGatewayV2Event, type EventKind, type LambdaEvent, type LambdaResult } from './events.js';

/** What the adapter needs from an engine: the neutral dispatcher. */
export type TradeplaneHost = Pick<Tradeplane, 'handle'>;

export interface LambdaAdapterOptions {
  /**
   * A path prefix to strip before routing (a custom-domain base path mapping such as
   * `/api/v1`). It is also the base the OpenAPI `servers` entry and cookie paths use. An HTTP API
   * stage other than `$default` is stripped on its own.
   */
  basePath?: string;
  /** Cookie mode for browser clients, as in the Express adapter. */
  cookies?: boolean | { secure?: boolean };
  /** Where an unrecognised event is reported (default `console`). */
  logger?: { error(obj: object | string, msg?: string): void };
}

export type LambdaHandler = (event: unknown, context?: unknown) => Promise<LambdaResult>;

/**
 * Returns a Lambda handler serving every contract route. Create the engine once per container —
 * pass it, or a factory that is called on the first invocation and reused after — never per
 * invocation. The handler maps each event straight to the dispatcher's neutral request (no
 * WHATWG `Request`/`Response`) and holds no per-route code.
 *
 * @example
 * // handler.ts
 * export const handler = tradeplaneLambda(() => createEngine({ database: process.env.DATABASE_URL!, postgres: { max: 2 } }));
 */
export function tradeplaneLambda(engine: TradeplaneHost | (() => TradeplaneHost | Promise<TradeplaneHost>), options: LambdaAdapterOptions = {}): LambdaHandler {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const cookieMode = cookieModeFrom(options.cookies);
  const logger = options.logger ?? console;
  let host: Promise<TradeplaneHost> | undefined = typeof engine === 'function' ? undefined : Promise.resolve(engine);
  const getHost = () => {
    if (!host) {
      host = Promise.resolve((engine as () => TradeplaneHost | Promise<TradeplaneHost>)());
      // A failed start (database unreachable) is retried by the next invocation, not cached.
      host.catch(() => (host = undefined));
    }
    return host;
  };

  return async function handler(event) {
    const kind = eventKind(event);
    if (!kind) {
      logger.error({ event: 'lambda.unknown_event', keys: typeof event === 'object' && event ? Object.keys(event) : typeof event }, 'tradeplane: unrecognised Lambda event shape');
      const problem = toProblem(new TradeplaneError('internal_error', 'The function received an event it does not recognise'));
      return {
        statusCode: problem.status,
        headers: { 'content-type': 'application/problem+json; charset=utf-8' },
        body: JSON.stringify(problem.body),
        isBase64Encoded: false,
      };
    }
    const request = toNeutralRequest(event as never, kind, basePath, cookieMode);
    const response = await (await getHost()).handle(request);
    // The dispatcher answers HEAD as GET; the body must not travel, its length still does.
    if (request.method.toUpperCase() === 'HEAD' && response.body !== null) {
      response.headers['content-length'] = String(Buffer.byteLength(response.body));
      response.body = null;
    }
    return toResult(response, kind, usesMultiValueHeaders(event as AlbEvent));
  };
}

function usesMultiValueHeaders(event: { multiValueHeaders?: unknown }): boolean {
  return typeof event.multiValueHeaders === 'object' && event.multiValueHeaders !== null;
}

type HeaderMap = Record<string, string | string[]>;

function addHeader(headers: HeaderMap, name: string, value: string): void {
  const key = name.toLowerCase();
  const existing = headers[key];
  if (existing === undefined) headers[key] = value;
  else headers[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
}

/** Lower-cased headers. Multi-value headers, when present, are complete on their own: no double counting. */
function readHeaders(single: Record<string, string | undefined> | null | undefined, multi: Record<string, string[] | undefined> | null | undefined): HeaderMap {
  const headers: HeaderMap = {};
  if (multi) {
    for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) addHeader(headers, name, value);
  } else if (single) {
    // Never split on commas: `Date` and `Expires` values contain them.
    for (const [name, value] of Object.entries(single)) if (value !== undefined) addHeader(headers, name, value);
  }
  return headers;
}

function* queryPairs(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  decode: (v: string) => string,
): Iterable<[string, string]> {
  if (multi) {
    for (const [key, values] of Object.entries(multi)) for (const value of values ?? []) yield [decode(key), decode(value)];
  } else if (single) {
    for (const [key, value] of Object.entries(single)) if (value !== undefined) yield [decode(key), decode(value)];
  }
}

/** ALB passes query strings as the client sent them, still percent-encoded. */
function decodeQueryComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function stripPrefix(path: string, prefix: string): string {
  if (!prefix) return path;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function body(raw: string | null | undefined, base64: boolean | undefined): string | Uint8Array | null {
  if (raw === null || raw === undefined) return null;
  return base64 ? Buffer.from(raw, 'base64') : raw;
}

function toNeutralRequest(event: LambdaEvent, kind: EventKind, basePath: string, cookieMode: CookieMode | undefined): HttpRequest {
  if (kind === 'v2') {
    const e = event as ApiGatewayV2Event;
    const headers = readHeaders(e.headers, undefined);
    // v2 moves cookies out of the headers; the dispatcher reads them from `cookie`.
    if (e.cookies?.length) headers.cookie = e.cookies.join('; ');
    const stage = e.requestContext.stage;
    let path = e.rawPath;
    if (stage && stage !== '$default') path = stripPrefix(path, `/${stage}`);
    return {
      method: e.requestContext.http.method,
      path: stripPrefix(path, basePath) || '/',
      headers,
      query: queryFromPairs(new URLSearchParams(e.rawQueryString ?? '')),
      body: body(e.body, e.isBase64Encoded),
      ip: e.requestContext.http.sourceIp,
      basePath,
      cookieMode,
    };
  }
  if (kind === 'alb') {
    const e = event as AlbEvent;
    const headers = readHeaders(e.headers, e.multiValueHeaders);
    // ALB appends the address it saw to X-Forwarded-For: the last entry is the trustworthy one.
    const forwarded = headers['x-forwarded-for'];
    const chain = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
    return {
      method: e.httpMethod,
      path: stripPrefix(e.path, basePath) || '/',
      headers,
      query: queryFromPairs(queryPairs(e.queryStringParameters, e.multiValueQueryStringParameters, decodeQueryComponent)),
      body: body(e.body, e.isBase64Encoded),
      ip: chain[chain.length - 1],
      basePath,
      cookieMode,
    };
  }
  const e = event as ApiGatewayV1Event;
  return {
    method: e.httpMethod,
    path: stripPrefix(e.path, basePath) || '/',
    headers: readHeaders(e.headers, e.multiValueHeaders),
    query: queryFromPairs(queryPairs(e.queryStringParameters, e.multiValueQueryStringParameters, (v) => v)),
    body: body(e.body, e.isBase64Encoded),
    ip: e.requestContext.identity?.sourceIp,
    basePath,
    cookieMode,
  };
}


const TEXTUAL = /^(text\/|application\/(?:[a-z0-9.+-]*\+)?(?:json|xml|javascript)\b)/i;
const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

function toResult(response: HttpResponse, kind: EventKind, multiValue: boolean): LambdaResult {
  const single: Record<string, string> = {};
  const cookies: string[] = [];
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const values = Array.isArray(value) ? value : [value];
    if (name === 'set-cookie') cookies.push(...values);
    else single[name] = values.join(', ');
    multi[name] = values;
  }
  // Bodies that are not text (or are compressed) travel base64-encoded.
  const contentType = single['content-type'] ?? '';
  const binary = response.body !== null && (!!single['content-encoding'] || (contentType !== '' && !TEXTUAL.test(contentType)));
  const text = response.body === null ? '' : binary ? Buffer.from(response.body).toString('base64') : response.body;
  if (response.body !== null && !binary) single['content-length'] ??= String(Buffer.byteLength(response.body));

  if (kind === 'v2') {
    // Set-Cookie goes only in `cookies`, never in headers too; 204/304 carry no body at all.
    return {
      statusCode: response.status,
      headers: single,
      ...(cookies.length > 0 ? { cookies } : {}),
      ...(response.body === null ? {} : { body: text }),
      isBase64Encoded: binary,
    };
  }
  if (kind === 'alb') {
    const statusDescription = `${response.status} ${REASONS[response.status] ?? ''}`.trim();
    if (multiValue) {
      return { statusCode: response.status, statusDescription, multiValueHeaders: { ...multi, ...(single['content-length'] ? { 'content-length': [single['content-length']] } : {}) }, body: text, isBase64Encoded: binary };
    }
    // Single-value mode can carry one Set-Cookie only: enable multi-value headers for cookie mode.
    return { statusCode: response.status, statusDescription, headers: { ...single, ...(cookies[0] ? { 'set-cookie': cookies[0] } : {}) }, body: text, isBase64Encoded: binary };
  }
  // v1: no top-level `cookies` (API Gateway answers 502); Set-Cookie only in multiValueHeaders.
  return {
    statusCode: response.status,
    headers: single,
    ...(cookies.length > 0 ? { multiValueHeaders: { 'set-cookie': cookies } } : {}),
    body: text,
    isBase64Encoded: binary,
  };
}
