import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '@tradeplane/core';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { tradeplaneLambda } from './handler.js';
import { eventKind, type AlbResult, type ApiGatewayV1Result, type ApiGatewayV2Result } from './events.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8'));

/** A host that records the neutral request and answers with `response`: for translation tests only. */
function recorder(response: Partial<HttpResponse> = {}) {
  const seen: HttpRequest[] = [];
  return {
    seen,
    handle: async (request: HttpRequest): Promise<HttpResponse> => {
      seen.push(request);
      return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"ok":true}', ...response };
    },
  };
}

async function bodyText(body: HttpRequest['body']): Promise<string> {
  const raw = typeof body === 'function' ? await body() : body;
  return raw === null || raw === undefined ? '' : typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
}

describe('committed sample events', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ database: ':memory:', mode: 'test', logger: silentLogger, auth: { jwtSecret: 'l'.repeat(32), passwordHashing: { memoryCost: 1024, timeCost: 1 } } });
    await engine.auth.register({ email: 'fixture@example.com', password: 'fixture-long-passphrase' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it.each([
    ['api-gateway-v1', 'v1', '203.0.113.10'],
    ['api-gateway-v2', 'v2', '203.0.113.20'],
    ['function-url', 'v2', '203.0.113.30'],
    ['alb', 'alb', '203.0.113.40'],
    ['alb-multi-value', 'alb', '203.0.113.50'],
  ])('%s: detected, routed through the real engine, address kept', async (name, kind, ip) => {
    const event = fixture(name);
    expect(eventKind(event)).toBe(kind);
    const handler = tradeplaneLambda(engine, { basePath: '/api/v1' });
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    const headers = 'multiValueHeaders' in result && result.multiValueHeaders && !('headers' in result && result.headers)
      ? Object.fromEntries(Object.entries(result.multiValueHeaders).map(([k, v]) => [k, v.join(', ')]))
      : (result as ApiGatewayV1Result).headers;
    expect(headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(result.body!);
    expect(body.user.email).toBe('fixture@example.com');
    const sessions = await engine.auth.listSessions({ via: 'session', userId: body.user.id, role: 'user', sessionId: body.session_id, tokenId: 'x', tokenExpiresAt: new Date() });
    expect(sessions.find((s) => s.current)?.ip).toBe(ip);
    if (name === 'api-gateway-v1') expect(result).not.toHaveProperty('cookies');
  });
});

describe('request translation', () => {
  it('v1: multi-value headers and query strings, without double counting, and base64 bodies', async () => {
    const host = recorder();
    const event = fixture('api-gateway-v1');
    event.multiValueHeaders['X-Custom'] = ['one', 'two'];
    event.headers['X-Custom'] = 'two'; // API Gateway repeats the last value here
    event.multiValueHeaders['If-Modified-Since'] = ['Tue, 24 Nov 2026 08:00:00 GMT'];
    event.multiValueQueryStringParameters = { tag: ['a', 'b'], lang: ['en'] };
    await tradeplaneLambda(host, { basePath: '/api/v1' })(event);
    const [request] = host.seen;
    expect(request).toMatchObject({ method: 'POST', path: '/auth/login', ip: '203.0.113.10', basePath: '/api/v1' });
    expect(request!.headers['x-custom']).toEqual(['one', 'two']);
    expect(request!.headers['if-modified-since']).toBe('Tue, 24 Nov 2026 08:00:00 GMT'); // not split on its comma
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.query).toEqual({ tag: ['a', 'b'], lang: 'en' });
    expect(JSON.parse(await bodyText(request!.body))).toEqual({ email: 'fixture@example.com', password: 'fixture-long-passphrase' });
  });

  it('v2: repeated query keys from the raw query string, cookies joined into one header, stage stripped', async () => {
    const host = recorder();
    const event = fixture('api-gateway-v2');
    event.rawPath = '/staging/api/v1/auth/login';
    event.requestContext.stage = 'staging';
    await tradeplaneLambda(host, { basePath: '/api/v1' })(event);
    const [request] = host.seen;
    expect(request).toMatchObject({ path: '/auth/login', ip: '203.0.113.20' });
    expect(request!.query).toEqual({ lang: 'en', tag: ['a', 'b'] });
    expect(request!.headers.cookie).toBe('theme=dark; tp_other=1');
  });

  it('a v1 event with rawPath (custom domain) is still v1; v2 needs version 2.0 and requestContext.http', () => {
    expect(eventKind({ ...fixture('api-gateway-v1'), rawPath: '/x' })).toBe('v1');
    expect(eventKind({ ...fixture('api-gateway-v2'), version: '1.0' })).toBeUndefined();
    const { http: _http, ...context } = fixture('api-gateway-v2').requestContext;
    expect(eventKind({ ...fixture('api-gateway-v2'), requestContext: context })).toBeUndefined();
  });

  it('ALB: decodes the still-encoded query and takes the last X-Forwarded-For entry', async () => {
    const host = recorder();
    await tradeplaneLambda(host, { basePath: '/api/v1' })(fixture('alb'));
    expect(host.seen[0]!.query).toEqual({ lang: 'en', q: 'a b' });
    expect(host.seen[0]!.ip).toBe('203.0.113.40');
    await tradeplaneLambda(host)(fixture('alb-multi-value'));
    expect(host.seen[1]!.query).toEqual({ lang: 'en', tag: ['a', 'b'] });
    expect(host.seen[1]!.path).toBe('/api/v1/auth/login'); // no basePath option: nothing stripped
  });

  it('answers an unknown event shape with a 500 problem and a log line', async () => {
    const logged: unknown[] = [];
    const handler = tradeplaneLambda(recorder(), { logger: { error: (obj) => logged.push(obj) } });
    const result = await handler({ Records: [{ eventSource: 'aws:sqs' }] });
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body!)).toMatchObject({ status: 500, code: 'internal_error' });
    expect(logged).toEqual([expect.objectContaining({ event: 'lambda.unknown_event', keys: ['Records'] })]);
  });
});

describe('result translation', () => {
  const cookies = { 'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Path=/'], 'content-type': 'application/json; charset=utf-8', date: 'Tue, 24 Nov 2026 08:00:00 GMT' };

  it('v1: Set-Cookie only in multiValueHeaders, never a top-level cookies key', async () => {
    const result = (await tradeplaneLambda(recorder({ headers: cookies }))(fixture('api-gateway-v1'))) as ApiGatewayV1Result;
    expect(result).not.toHaveProperty('cookies');
    expect(result.multiValueHeaders).toEqual({ 'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Path=/'] });
    expect(result.headers).not.toHaveProperty('set-cookie');
    expect(result.headers.date).toBe('Tue, 24 Nov 2026 08:00:00 GMT');
  });

  it('v2: Set-Cookie only in cookies', async () => {
    const result = (await tradeplaneLambda(recorder({ headers: cookies }))(fixture('api-gateway-v2'))) as ApiGatewayV2Result;
    expect(result.cookies).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
    expect(result.headers).not.toHaveProperty('set-cookie');
  });

  it('ALB: answers in the header style of the request, with a status description', async () => {
    const multi = (await tradeplaneLambda(recorder({ headers: cookies }))(fixture('alb-multi-value'))) as AlbResult;
    expect(multi.multiValueHeaders!['set-cookie']).toHaveLength(2);
    expect(multi).not.toHaveProperty('headers');
    expect(multi.statusDescription).toBe('200 OK');
    const single = (await tradeplaneLambda(recorder())(fixture('alb'))) as AlbResult;
    expect(single.headers!['content-type']).toMatch(/^application\/json/);
    expect(single).not.toHaveProperty('multiValueHeaders');
  });

  it('sends no body for 204 and HEAD, and base64 for binary or compressed bodies', async () => {
    const noContent = (await tradeplaneLambda(recorder({ status: 204, headers: {}, body: null }))(fixture('api-gateway-v2'))) as ApiGatewayV2Result;
    expect(noContent.statusCode).toBe(204);
    expect(noContent).not.toHaveProperty('body');
    const head = { ...fixture('api-gateway-v2') };
    head.requestContext = { ...head.requestContext, http: { ...head.requestContext.http, method: 'HEAD' } };
    const headResult = (await tradeplaneLambda(recorder())(head)) as ApiGatewayV2Result;
    expect(headResult).not.toHaveProperty('body');
    const binary = (await tradeplaneLambda(recorder({ headers: { 'content-type': 'application/octet-stream' }, body: 'raw bytes' }))(fixture('api-gateway-v1'))) as ApiGatewayV1Result;
    expect(binary).toMatchObject({ isBase64Encoded: true, body: Buffer.from('raw bytes').toString('base64') });
    const gzip = (await tradeplaneLambda(recorder({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'zz' }))(fixture('api-gateway-v2'))) as ApiGatewayV2Result;
    expect(gzip.isBase64Encoded).toBe(true);
  });
});

describe('engine lifetime', () => {
  it('calls a factory once per container, and again only after a failed start', async () => {
    let calls = 0;
    const host = recorder();
    const handler = tradeplaneLambda(async () => {
      calls++;
      if (calls === 1) throw new Error('database unreachable');
      return host;
    });
    await expect(handler(fixture('api-gateway-v2'))).rejects.toThrow('database unreachable');
    await handler(fixture('api-gateway-v2'));
    await handler(fixture('api-gateway-v2'));
    expect(calls).toBe(2);
    expect(host.seen).toHaveLength(2);
  });
});
