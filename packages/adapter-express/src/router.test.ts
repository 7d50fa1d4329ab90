import type { AddressInfo } from 'node:net';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDispatcher, defineRoute, sequentialIds, silentLogger, TradeplaneError } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { tradeplaneExpress } from './router.js';

let engine: Engine;
let server: Server;
let origin: string;

beforeAll(async () => {
  engine = await createEngine({ database: ':memory:', mode: 'test', logger: silentLogger, auth: { jwtSecret: 'x'.repeat(32) } });
  const app = express();
  app.use('/api/v1', tradeplaneExpress(engine));
  // An embedder that already parses JSON for its own routes, in front of a second mount.
  app.use('/parsed', express.json(), tradeplaneExpress(engine, { docs: false }));
  app.use('/small', tradeplaneExpress(engine, { bodyLimit: 100 }));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await engine.close();
});

describe('tradeplaneExpress', () => {
  it('serves the OpenAPI document with servers pointing at the mount path', async () => {
    const res = await fetch(`${origin}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; servers: unknown; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(doc.paths)).toContain('/auth/login');
  });

  it('serves the docs UI and its assets from the installed package, no CDN', async () => {
    const page = await fetch(`${origin}/api/v1/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(['/api/v1/docs/assets/swagger-ui.css', '/api/v1/docs/assets/swagger-ui-bundle.js', '/api/v1/docs/init.js']);
    for (const asset of assets) {
      const res = await fetch(origin + asset);
      expect(res.status, asset).toBe(200);
      expect((await res.text()).length, asset).toBeGreaterThan(10);
    }
    expect(await (await fetch(`${origin}/api/v1/docs/init.js`)).text()).toContain('"/api/v1/openapi.json"');
    expect((await fetch(`${origin}/parsed/docs`)).status).toBe(404);
  });

  it('reports health', async () => {
    const res = await fetch(`${origin}/api/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', db_status: { state: 'ok', dialect: 'sqlite' } });
  });

  it('answers unknown paths and methods with problem+json', async () => {
    const missing = await fetch(`${origin}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ code: 'route_not_found', status: 404 });

    const wrong = await fetch(`${origin}/api/v1/auth/login`, { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('echoes X-Request-Id, or generates one', async () => {
    const echoed = await fetch(`${origin}/api/v1/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-42');
    const generated = await fetch(`${origin}/api/v1/health`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers HEAD like GET, with the GET body’s length and type but no body', async () => {
    const head = await rawRequest('HEAD', '/api/v1/openapi.json');
    const get = await rawRequest('GET', '/api/v1/openapi.json');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(get.body));
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
    expect(head.body).toBe('');
    const wrong = await fetch(`${origin}/api/v1/auth/me`, { method: 'DELETE' });
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
  });

  it('enforces the body limit on a chunked body with no Content-Length', async () => {
    const res = await rawRequest('POST', '/small/auth/register', {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: ['{"email":"chunked@example.com",', `"password":"${'p'.repeat(60)}",`, `"pad":"${'x'.repeat(60)}"}`],
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it('works behind an upstream JSON body parser', async () => {
    const body = JSON.stringify({ email: 'parsed@example.com', password: 'password-123', extra: 1 });
    const res = await fetch(`${origin}/parsed/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: unknown }).errors).toEqual([expect.objectContaining({ path: 'extra', code: 'unrecognized_keys' })]);
  });

  it('stops reading a body over its limit and answers 413', async () => {
    const body = JSON.stringify({ email: 'big@example.com', password: 'p'.repeat(200) });
    const res = await fetch(`${origin}/small/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('tradeplaneExpress with a raw-body route', () => {
  // A contract of its own: a raw-body route beside a JSON one, on a bare dispatcher.
  const routes = {
    hooks: {
      echo: defineRoute({
        id: 'hooks.echo',
        method: 'POST',
        path: '/hooks/echo',
        summary: 'Answers with the exact body it was given',
        tags: ['hooks'],
        auth: 'public',
        rawBody: {},
        response: z.object({ raw: z.string() }),
        errors: [],
      }),
      json: defineRoute({
        id: 'hooks.json',
        method: 'POST',
        path: '/hooks/json',
        summary: 'A JSON route',
        tags: ['hooks'],
        auth: 'public',
        body: z.object({ a: z.number() }),
        response: z.object({ a: z.number() }),
        errors: [],
      }),
    },
  } as const;
  const host = {
    handle: createDispatcher({
      contract: routes,
      handlers: { hooks: { echo: async ({ rawBody }) => ({ raw: rawBody }), json: async ({ body }) => body } },
      ids: sequentialIds(),
      logger: silentLogger,
      authenticate: async () => {
        throw new TradeplaneError('unauthenticated');
      },
    }),
  };
  let rawServer: Server;
  let rawOrigin: string;
  beforeAll(async () => {
    const app = express();
    app.use('/direct', tradeplaneExpress(host, { docs: false }));
    // The mistake the docs warn about: an app-wide JSON parser in front of the mount.
    app.use('/parsed', express.json(), tradeplaneExpress(host, { docs: false }));
    app.use('/bytes', express.raw({ type: '*/*' }), tradeplaneExpress(host, { docs: false }));
    rawServer = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    rawOrigin = `http://127.0.0.1:${(rawServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    rawServer.closeAllConnections();
    await new Promise((resolve) => rawServer.close(resolve));
  });

  const bodies = ['{ "id" : "evt_1",\r\n  "note": "Zoë 🚀" }\n', 'not json {', '\uFEFF{"bom":true}'];

  it('passes the body through untouched when no body parser ran, or when one kept the bytes', async () => {
    for (const mount of ['/direct', '/bytes']) {
      for (const body of bodies) {
        const res = await fetch(`${rawOrigin}${mount}/hooks/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(body) });
        expect(res.status, `${mount} ${body}`).toBe(200);
        expect(((await res.json()) as { raw: string }).raw).toBe(body);
      }
    }
  });

  it('answers 400 raw_body_unavailable behind an upstream JSON parser, while JSON routes still work', async () => {
    const res = await fetch(`${rawOrigin}/parsed/hooks/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id": "evt_1"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'raw_body_unavailable' });
    const json = await fetch(`${rawOrigin}/parsed/hooks/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": 1}' });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ a: 1 });
    // A body the parser did not take (another media type) still arrives as sent.
    const text = await fetch(`${rawOrigin}/parsed/hooks/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain  text' });
    expect(((await text.json()) as { raw: string }).raw).toBe('plain  text');
  });
});

/** A plain node:http request: fetch hides HEAD bodies and always sets Content-Length. */
function rawRequest(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; chunks?: string[] } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(origin + path, { method, headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of init.chunks ?? []) req.write(chunk);
    req.end();
  });
}
