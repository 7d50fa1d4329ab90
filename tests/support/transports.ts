/**
 * One way to send a request, several ways to host the engine: a real Express server on a
 * socket, and the Lambda handler invoked with API Gateway v1, v2 and ALB events built from the
 * same request. Shared suites run their requests through each and compare.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Engine } from '@tradeplane/engine';
import { tradeplaneExpress, type ExpressAdapterOptions } from '@tradeplane/adapter-express';
import { tradeplaneLambda, type LambdaResult } from '@tradeplane/adapter-lambda';


export type TransportKind = 'express' | 'lambda-v1' | 'lambda-v2' | 'lambda-alb';
export const transportKinds: TransportKind[] = ['express', 'lambda-v1', 'lambda-v2', 'lambda-alb'];

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestInit {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export interface Transport {
  request(method: string, path: string, init?: RequestInit): Promise<TestResponse>;
  close(): Promise<void>;
}

const BASE = '/api/v1';

function prepare(init: RequestInit): { headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  return { headers, body };
}

function parse(status: number, headers: Headers, text: string): TestResponse {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status, headers, body, text };
}

/** One request to an instance already listening at `host` (`127.0.0.1:port`), as the Express transport sends it. */
export async function requestAt(host: string, method: string, path: string, init: RequestInit = {}): Promise<TestResponse> {
  const { headers, body } = prepare(init);
  const res = await fetch(`http://${host}${BASE}${path}`, { method, headers, body });
  return parse(res.status, res.headers, await res.text());
}

/** Options are the Express adapter's; the Lambda transports use `cookies` from them. */
export async function openTransport(kind: TransportKind, engine: Engine, options: ExpressAdapterOptions = {}): Promise<Transport> {
  if (kind === 'express') {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(BASE, tradeplaneExpress(engine, options));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      async request(method, path, init = {}) {
        const { headers, body } = prepare(init);
        const res = await fetch(origin + BASE + path, { method, headers, body });
        return parse(res.status, res.headers, await res.text());
      },
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  const handler = tradeplaneLambda(engine, { basePath: BASE, cookies: options.cookies });
  let sequence = 0;
  return {
    async request(method, path, init = {}) {
      const { headers, body } = prepare(init);
      const [rawPath, rawQuery = ''] = (BASE + path).split('?') as [string, string?];
      const pairs = [...new URLSearchParams(rawQuery)];
      const multiQuery: Record<string, string[]> = {};
      for (const [k, v] of pairs) (multiQuery[k] ??= []).push(v);
      const requestId = `aws-req-${++sequence}`;
      // What the client's address would be at AWS: the test's X-Forwarded-For stands in for it.
      const sourceIp = headers['x-forwarded-for'] ?? '127.0.0.1';
      let event: unknown;
      if (kind === 'lambda-v2') {
        const { cookie, ...rest } = headers;
        event = {
          version: '2.0',
          routeKey: '$default',
          rawPath,
          rawQueryString: rawQuery,
          headers: rest,
          ...(cookie ? { cookies: cookie.split(/;\s*/) } : {}),
          requestContext: { requestId, stage: '$default', http: { method, path: rawPath, sourceIp } },
          ...(body !== undefined ? { body, isBase64Encoded: false } : { isBase64Encoded: false }),
        };
      } else if (kind === 'lambda-v1') {
        event = {
          httpMethod: method,
          path: rawPath,
          headers,
          multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          queryStringParameters: pairs.length ? Object.fromEntries(pairs) : null,
          multiValueQueryStringParameters: pairs.length ? multiQuery : null,
          // REST APIs with binary media types deliver bodies base64-encoded.
          body: body === undefined ? null : Buffer.from(body).toString('base64'),
          isBase64Encoded: body !== undefined,
          requestContext: { requestId, stage: 'prod', identity: { sourceIp } },
        };
      } else {
        const encoded: Record<string, string[]> = {};
        for (const [k, v] of pairs) (encoded[encodeURIComponent(k)] ??= []).push(encodeURIComponent(v));
        event = {
          httpMethod: method,
          path: rawPath,
          multiValueHeaders: { ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), 'x-forwarded-for': [sourceIp] },
          multiValueQueryStringParameters: encoded,
          body: body ?? '',
          isBase64Encoded: false,
          requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tp/1' } },
        };
      }
      return toResponse(await handler(event));
    },
    async close() {},
  };
}

function toResponse(result: LambdaResult): TestResponse {
  const headers = new Headers();
  if ('headers' in result && result.headers) for (const [k, v] of Object.entries(result.headers)) headers.set(k, v);
  if ('multiValueHeaders' in result && result.multiValueHeaders) {
    for (const [k, values] of Object.entries(result.multiValueHeaders)) {
      if (k !== 'set-cookie') headers.delete(k);
      for (const v of values) headers.append(k, v);
    }
  }
  if ('cookies' in result && result.cookies) for (const c of result.cookies) headers.append('set-cookie', c);
  const text = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
  return parse(result.statusCode, headers, text);
}
