import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from './dispatcher.js';
import { reply, type ContractHandlers, type HttpRequest } from './types.js';
import { defineRoute } from '../contract/route.js';
import { TradeplaneError } from '../errors.js';
import { sequentialIds, silentLogger } from '../ports/index.js';
import type { Principal } from '../auth/service.js';

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
});
