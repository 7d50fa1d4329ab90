import { createHmac } from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from './dispatcher.js';
import { reply, type ContractHandlers, type HttpRequest } from './types.js';
import { defineRoute } from '../contract/route.js';
import { TradeplaneError } from '../errors.js';
import { sequentialIds, silentLogger } from '../ports/index.js';
import type { Principal } from '../auth/service.js';
import { STANDARD_WEBHOOK_HEADERS, verifyStandardWebhook } from '../webhooks/standard-webhooks.js';

// A small contract of its own: the dispatcher is generic over contracts.
const notes = {
  create: defineRoute({
    id: 'notes.create',
    method: 'POST',
    path: '/notes',
    summary: 'Create a note',
    tags: ['notes'],
    auth: 'user',
    body: z.strictObject({ title: z.string().min(1), pinned: z.boolean().optional() }),
    response: z.object({ id: z.string(), title: z.string(), owner: z.string() }),
    successStatus: 201,
    errors: [],
  }),
  get: defineRoute({
    id: 'notes.get',
    method: 'GET',
    path: '/notes/{id}',
    summary: 'Get a note',
    tags: ['notes'],
    auth: 'public',
    params: z.object({ id: z.string().regex(/^n\d+$/) }),
    query: z.object({ verbose: z.enum(['true', 'false']).optional() }),
    response: z.object({ id: z.string(), verbose: z.boolean() }),
    errors: ['not_found'],
  }),
  recent: defineRoute({
    id: 'notes.recent',
    method: 'GET',
    path: '/notes/recent',
    summary: 'Static segment beside a parameter',
    tags: ['notes'],
    auth: 'public',
    response: z.object({ recent: z.literal(true) }),
    errors: [],
  }),
  purge: defineRoute({
    id: 'notes.purge',
    method: 'DELETE',
    path: '/notes/{id}',
    summary: 'Admin only',
    tags: ['notes'],
    auth: 'admin',
    params: z.object({ id: z.string() }),
    response: z.null(),
    successStatus: 204,
    errors: [],
  }),
  broken: defineRoute({
    id: 'notes.broken',
    method: 'GET',
    path: '/broken',
    summary: 'Returns a body that violates its schema',
    tags: ['notes'],
    auth: 'public',
    response: z.object({ ok: z.boolean() }),
    errors: [],
  }),
} as const;
const contract = { notes };

const calls: string[] = [];
const handlers: ContractHandlers<typeof contract> = {
  notes: {
    create: async ({ body, principal }) => {
      calls.push('create');
      return { id: 'n1', title: body.title, owner: principal.userId };
    },
    get: async ({ params, query }) => {
      if (params.id === 'n404') throw new TradeplaneError('not_found', 'No such note');
      return reply({ id: params.id, verbose: query.verbose === 'true' }, { headers: { 'x-note': params.id } });
    },
    recent: async () => ({ recent: true }),
    purge: async () => null,
    broken: async () => ({ ok: 'yes' }) as never,
  },
};

const principals: Record<string, Principal> = {
  'user-token': { via: 'session', userId: 'u1', role: 'user', sessionId: 's1', tokenId: 'j1', tokenExpiresAt: new Date() },
  'viewer-token': { via: 'session', userId: 'u2', role: 'viewer', sessionId: 's2', tokenId: 'j2', tokenExpiresAt: new Date() },
};

const dispatch = createDispatcher({
  contract,
  handlers,
  ids: sequentialIds('req'),
  logger: silentLogger,
  bodyLimit: 64,
  validateResponses: true,
  authenticate: async (_kind, request) => {
    const token = String(request.headers.authorization ?? '').replace('Bearer ', '');
    const principal = principals[token];
    if (!principal) throw new TradeplaneError('unauthenticated');
    return principal;
  },
});

const json = (body: unknown, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'POST',
  path: '/notes',
  headers: { 'content-type': 'application/json', authorization: 'Bearer user-token' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  ...extra,
});

function problem(res: { headers: Record<string, string | string[]>; body: string | null }) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return JSON.parse(res.body!) as { status: number; code: string; type: string; title: string; detail: string; errors?: { in: string; path: string; code: string }[] };
}

describe('dispatcher', () => {
  it('validates, authenticates and calls the handler', async () => {
    const res = await dispatch(json({ title: 'hello' }));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body!)).toEqual({ id: 'n1', title: 'hello', owner: 'u1' });
  });

  it('answers problem+json for unknown routes and wrong methods', async () => {
    const missing = await dispatch({ method: 'GET', path: '/nope', headers: {} });
    expect(missing.status).toBe(404);
    expect(problem(missing)).toMatchObject({ status: 404, code: 'route_not_found', type: 'urn:tradeplane:problem:route_not_found' });

    const wrong = await dispatch({ method: 'PUT', path: '/notes/n1', headers: {} });
    expect(wrong.status).toBe(405);
    expect(String(wrong.headers.allow).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD']);
    expect(problem(wrong).code).toBe('method_not_allowed');
  });

  it('reports every invalid field, unknown fields included, without calling the handler', async () => {
    calls.length = 0;
    const res = await dispatch(json({ pinned: 'yes', colour: 'red' }));
    expect(res.status).toBe(422);
    const body = problem(res);
    expect(body.code).toBe('validation_failed');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'body', path: 'title', code: 'invalid_type' }),
        expect.objectContaining({ in: 'body', path: 'pinned', code: 'invalid_type' }),
        expect.objectContaining({ in: 'body', path: 'colour', code: 'unrecognized_keys' }),
      ]),
    );
    expect(calls).toEqual([]);
  });

  it('rejects malformed JSON, a missing body, a wrong content type and an oversized body', async () => {
    const malformed = await dispatch(json('{"title": '));
    expect(malformed.status).toBe(400);
    expect(problem(malformed).code).toBe('malformed_json');

    const empty = await dispatch(json(''));
    expect(empty.status).toBe(422);
    expect(problem(empty).errors?.[0]).toMatchObject({ in: 'body', path: '' });

    const text = await dispatch(json({ title: 'x' }, { headers: { 'content-type': 'text/plain', authorization: 'Bearer user-token' } }));
    expect(text.status).toBe(415);

    const big = await dispatch(json({ title: 'x'.repeat(100) }));
    expect(big.status).toBe(413);
    expect(problem(big).code).toBe('payload_too_large');

    const invalidUtf8 = await dispatch(json('', { body: new Uint8Array([0x7b, 0xff, 0x7d]) }));
    expect(invalidUtf8.status).toBe(400);
  });

  it('authenticates before reading the body', async () => {
    let read = false;
    const res = await dispatch(json('', { headers: {}, body: async () => ((read = true), '{}') }));
    expect(res.status).toBe(401);
    expect(read).toBe(false);
  });

  it('enforces roles: admin routes and viewer writes are forbidden', async () => {
    const asUser = await dispatch({ method: 'DELETE', path: '/notes/n1', headers: { authorization: 'Bearer user-token' } });
    expect(asUser.status).toBe(403);
    const asViewer = await dispatch(json({ title: 'x' }, { headers: { 'content-type': 'application/json', authorization: 'Bearer viewer-token' } }));
    expect(asViewer.status).toBe(403);
    expect(problem(asViewer).code).toBe('forbidden');
  });

  it('validates path and query parameters and passes reply headers through', async () => {
    const ok = await dispatch({ method: 'GET', path: '/notes/n7', headers: {}, query: { verbose: 'true' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-note']).toBe('n7');
    expect(JSON.parse(ok.body!)).toEqual({ id: 'n7', verbose: true });

    const bad = await dispatch({ method: 'GET', path: '/notes/zzz', headers: {}, query: { verbose: 'maybe' } });
    expect(bad.status).toBe(422);
    expect(problem(bad).errors?.map((e) => `${e.in}:${e.path}`).sort()).toEqual(['path:id', 'query:verbose']);

    const notFound = await dispatch({ method: 'GET', path: '/notes/n404', headers: {} });
    expect(notFound.status).toBe(404);
    expect(problem(notFound)).toMatchObject({ code: 'not_found', detail: 'No such note' });
  });

  it('prefers static segments over parameters', async () => {
    const res = await dispatch({ method: 'GET', path: '/notes/recent', headers: {} });
    expect(JSON.parse(res.body!)).toEqual({ recent: true });
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const echoed = await dispatch({ method: 'GET', path: '/notes/recent', headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const replaced = await dispatch({ method: 'GET', path: '/nope', headers: { 'x-request-id': 'bad id\n' } });
    expect(replaced.headers['x-request-id']).toMatch(/^req-\d+$/);
    expect(problem(replaced)).toMatchObject({ request_id: replaced.headers['x-request-id'] });
  });

  it('answers 204 with no body', async () => {
    const adminDispatch = createDispatcher({
      contract,
      handlers,
      ids: sequentialIds(),
      logger: silentLogger,
      authenticate: async () => ({ via: 'session' as const, userId: 'a', role: 'admin' as const, sessionId: 's', tokenId: 'j', tokenExpiresAt: new Date() }),
    });
    const res = await adminDispatch({ method: 'DELETE', path: '/notes/n1', headers: {} });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it('turns a response that breaks its schema into a bare 500, leaking nothing', async () => {
    const res = await dispatch({ method: 'GET', path: '/broken', headers: {} });
    expect(res.status).toBe(500);
    const body = problem(res);
    expect(body.code).toBe('internal_error');
    expect(res.body).not.toMatch(/ok|yes|at .*\.ts/);
  });

  it('never leaks an unexpected error', async () => {
    const failing = createDispatcher({
      contract,
      handlers: { notes: { ...handlers.notes, recent: async () => { throw new Error('SQLITE_BUSY: secret detail'); } } },
      ids: sequentialIds(),
      logger: silentLogger,
      authenticate: async () => { throw new TradeplaneError('unauthenticated'); },
    });
    const res = await failing({ method: 'GET', path: '/notes/recent', headers: {} });
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('SQLITE');
    expect(res.body).not.toContain('secret');
  });

  it('refuses to build with a route that has no handler', () => {
    expect(() =>
      createDispatcher({
        contract,
        handlers: { notes: { ...handlers.notes, recent: undefined } } as never,
        ids: sequentialIds(),
        logger: silentLogger,
        authenticate: async () => { throw new TradeplaneError('unauthenticated'); },
      }),
    ).toThrow(/notes.recent/);
  });

  describe('HTTP hygiene', () => {
    const slowContract = {
      slow: {
        wait: defineRoute({ id: 'slow.wait', method: 'GET', path: '/slow', summary: 'Takes its time', tags: ['slow'], auth: 'public', response: z.object({ done: z.boolean() }), errors: [] }),
      },
    } as const;
    let finished = false;
    const hygienic = createDispatcher({
      contract: { ...contract, ...slowContract },
      handlers: {
        ...handlers,
        slow: {
          wait: async () => {
            await new Promise((resolve) => setTimeout(resolve, 60));
            finished = true;
            return { done: true };
          },
        },
      },
      ids: sequentialIds('h'),
      logger: silentLogger,
      authenticate: async () => principals['user-token']!,
      cors: { origins: ['https://app.example.com'] },
      requestTimeoutMs: 20,
      hsts: true,
    });

    it('sends security headers on every answer, problems included', async () => {
      for (const res of [await hygienic({ method: 'GET', path: '/notes/recent', headers: {} }), await hygienic({ method: 'GET', path: '/nope', headers: {} })]) {
        expect(res.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
          'strict-transport-security': 'max-age=31536000; includeSubDomains',
        });
      }
      expect((await dispatch({ method: 'GET', path: '/notes/recent', headers: {} })).headers['strict-transport-security']).toBeUndefined();
    });

    it('allows only the listed origins, with credentials, and answers their preflights', async () => {
      const allowed = await hygienic({ method: 'GET', path: '/notes/recent', headers: { origin: 'https://app.example.com' } });
      expect(allowed.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true', vary: 'Origin' });
      expect(String(allowed.headers['access-control-expose-headers'])).toContain('ratelimit-remaining');
      const other = await hygienic({ method: 'GET', path: '/notes/recent', headers: { origin: 'https://evil.example.com' } });
      expect(other.status).toBe(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();

      const preflight = await hygienic({ method: 'OPTIONS', path: '/notes/n1', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' } });
      expect(preflight.status).toBe(204);
      expect(String(preflight.headers['access-control-allow-methods']).split(', ').sort()).toEqual(['DELETE', 'GET']);
      expect(preflight.headers['access-control-allow-headers']).toContain('idempotency-key');
      expect(preflight.headers['access-control-max-age']).toBe('600');
      const refused = await hygienic({ method: 'OPTIONS', path: '/notes/n1', headers: { origin: 'https://evil.example.com' } });
      expect(refused.status).toBe(204);
      expect(refused.headers['access-control-allow-methods']).toBeUndefined();
      expect((await hygienic({ method: 'OPTIONS', path: '/nope', headers: { origin: 'https://app.example.com' } })).status).toBe(404);
    });

    it('answers 503 when a request outlasts the timeout, without waiting for it', async () => {
      finished = false;
      const res = await hygienic({ method: 'GET', path: '/slow', headers: {} });
      expect(res.status).toBe(503);
      expect(problem(res)).toMatchObject({ code: 'service_unavailable' });
      expect(res.headers['retry-after']).toBe('1');
      expect(finished).toBe(false);
    });
  });

  describe('raw-body routes', () => {
    const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const hooks = {
      echo: defineRoute({
        id: 'hooks.echo',
        method: 'POST',
        path: '/hooks/echo',
        summary: 'Answers with the body it was given',
        tags: ['hooks'],
        auth: 'public',
        rawBody: { maxBytes: 100 },
        response: z.object({ raw: z.string(), type: z.string().optional() }),
        errors: [],
      }),
      signed: defineRoute({
        id: 'hooks.signed',
        method: 'POST',
        path: '/hooks/{provider}',
        summary: 'A Standard Webhooks receiver',
        tags: ['hooks'],
        auth: 'public',
        params: z.object({ provider: z.enum(['acme']) }),
        rawBody: { headers: STANDARD_WEBHOOK_HEADERS },
        response: z.object({ id: z.string(), payload: z.unknown() }),
        errors: ['invalid_signature', 'stale_webhook', 'malformed_json'],
      }),
    } as const;
    const rawContract = { notes, hooks };
    const received: { rawBody: string | undefined; body: unknown }[] = [];
    const rawDispatch = createDispatcher({
      contract: rawContract,
      handlers: {
        notes: {
          ...handlers.notes,
          create: async (input) => {
            received.push({ rawBody: input.rawBody, body: input.body });
            return handlers.notes.create(input);
          },
        },
        hooks: {
          echo: async ({ rawBody, body, request }) => {
            expectTypeOf(rawBody).toEqualTypeOf<string>();
            received.push({ rawBody, body });
            return { raw: rawBody, type: headerOf(request.headers['content-type']) };
          },
          signed: async ({ rawBody, request }) => {
            const { id, payload } = verifyStandardWebhook({ secret: webhookSecret, headers: request.headers, rawBody });
            return { id, payload };
          },
        },
      },
      ids: sequentialIds('raw'),
      logger: silentLogger,
      bodyLimit: 200,
      validateResponses: true,
      authenticate: async () => principals['user-token']!,
    });
    const headerOf = (value: string | readonly string[] | undefined) => (typeof value === 'string' ? value : undefined);
    const post = (path: string, body: HttpRequest['body'], headers: HttpRequest['headers'] = {}, extra: Partial<HttpRequest> = {}): Promise<{ status: number; headers: Record<string, string | string[]>; body: string | null }> =>
      rawDispatch({ method: 'POST', path, headers, body, ...extra });

    it('hands the handler the exact text, never parsed, whatever its content type', async () => {
      const bodies = ['  {"b": 1,   "a": [ 2 ]}\n', '{"name":"Zoë 🚀 日本"}', 'not json at all {', '', '\uFEFF{"bom":true}'];
      for (const body of bodies) {
        received.length = 0;
        const res = await post('/hooks/echo', new TextEncoder().encode(body));
        expect(res.status, body).toBe(200);
        expect(JSON.parse(res.body!).raw).toBe(body);
        expect(received).toEqual([{ rawBody: body, body: undefined }]);
      }
      const asString = await post('/hooks/echo', '{"x": 1 }', { 'content-type': 'text/plain' });
      expect(JSON.parse(asString.body!)).toEqual({ raw: '{"x": 1 }', type: 'text/plain' });
      const lazily = await post('/hooks/echo', async () => Buffer.from('{ "lazy" : true }'));
      expect(JSON.parse(lazily.body!).raw).toBe('{ "lazy" : true }');
      const absent = await post('/hooks/echo', undefined);
      expect(JSON.parse(absent.body!).raw).toBe('');
    });

    it('enforces the route’s own size limit, which only lowers the dispatcher’s', async () => {
      const atLimit = await post('/hooks/echo', 'é'.repeat(50));
      expect(atLimit.status).toBe(200);
      const over = await post('/hooks/echo', `${'é'.repeat(50)}!`);
      expect(over.status).toBe(413);
      expect(problem(over).code).toBe('payload_too_large');
      const big = await post('/hooks/acme', 'x'.repeat(201), signedHeaders('x'.repeat(201)));
      expect(big.status).toBe(413);
    });

    it('refuses bytes that are not UTF-8 and a body a framework already parsed', async () => {
      const invalid = await post('/hooks/echo', new Uint8Array([0x7b, 0xff, 0x7d]));
      expect(invalid.status).toBe(400);
      expect(problem(invalid).code).toBe('bad_request');

      let read = false;
      const reparsed = await post('/hooks/echo', async () => ((read = true), '{"a":1}'), { 'content-type': 'application/json' }, { bodyReserialised: true });
      expect(reparsed.status).toBe(400);
      expect(problem(reparsed)).toMatchObject({ code: 'raw_body_unavailable', detail: expect.stringContaining('body parser') });
      expect(read).toBe(false);
    });

    it('verifies a signed message end to end and refuses a tampered one', async () => {
      const body = '{"type":"payment.succeeded", "amount": "10.00"}';
      const ok = await post('/hooks/acme', body, signedHeaders(body));
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body!)).toEqual({ id: 'msg_1', payload: { type: 'payment.succeeded', amount: '10.00' } });

      const tampered = await post('/hooks/acme', body.replace('10.00', '99.00'), signedHeaders(body));
      expect(tampered.status).toBe(400);
      expect(problem(tampered).code).toBe('invalid_signature');

      const unknownProvider = await post('/hooks/other', body, signedHeaders(body));
      expect(unknownProvider.status).toBe(422);
    });

    it('refuses a request without the declared headers before the handler runs', async () => {
      const res = await post('/hooks/acme', '{}', { 'webhook-id': 'msg_1' });
      expect(res.status).toBe(422);
      expect(problem(res).errors).toEqual([
        expect.objectContaining({ in: 'header', path: 'webhook-timestamp', code: 'required' }),
        expect.objectContaining({ in: 'header', path: 'webhook-signature', code: 'required' }),
      ]);
    });

    it('leaves JSON routes as they were, rawBody undefined', async () => {
      received.length = 0;
      const ok = await rawDispatch(json({ title: 'hello' }));
      expect(ok.status).toBe(201);
      expect(received).toEqual([{ rawBody: undefined, body: { title: 'hello' } }]);
      expect((await rawDispatch(json('{"title": '))).status).toBe(400);
      expect((await rawDispatch(json({ title: 'x' }, { headers: { 'content-type': 'text/plain', authorization: 'Bearer user-token' } }))).status).toBe(415);
      // A JSON route takes a body re-serialised from a framework's parse.
      expect((await rawDispatch(json({ title: 'parsed' }, { bodyReserialised: true }))).status).toBe(201);
    });

    it('refuses to build with a route declaring both a body and a raw body', () => {
      const both = defineRoute({ ...hooks.echo, id: 'hooks.both', body: z.object({}) });
      expect(() =>
        createDispatcher({
          contract: { hooks: { both } },
          handlers: { hooks: { both: async () => ({ raw: '' }) } },
          ids: sequentialIds(),
          logger: silentLogger,
          authenticate: async () => principals['user-token']!,
        }),
      ).toThrow(/hooks.both/);
    });

    function signedHeaders(body: string): HttpRequest['headers'] {
      // Signed by hand; tests/webhooks checks the verifier against the reference implementation.
      const timestamp = Math.floor(Date.now() / 1000);
      return {
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${createHmac('sha256', Buffer.from(webhookSecret.slice('whsec_'.length), 'base64')).update(`msg_1.${timestamp}.${body}`).digest('base64')}`,
      };
    }
  });
});
