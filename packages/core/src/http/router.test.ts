import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../contract/route.js';
import { createRouter } from './router.js';

const route = (id: string, method: 'GET' | 'POST' | 'DELETE', path: string, params?: z.ZodObject) =>
  defineRoute({ id, method, path, summary: id, tags: ['t'], auth: 'public', params, response: z.null(), errors: [] });

describe('router', () => {
  const router = createRouter([
    route('list', 'GET', '/trades'),
    route('open', 'GET', '/trades/open'),
    route('get', 'GET', '/trades/{id}', z.object({ id: z.string() })),
    route('close', 'POST', '/trades/{id}/close', z.object({ id: z.string() })),
    route('leg', 'GET', '/trades/{id}/legs/{leg}', z.object({ id: z.string(), leg: z.string() })),
  ]);

  it('matches static paths, parameters and trailing slashes', () => {
    expect(router.match('GET', '/trades')).toMatchObject({ kind: 'found', route: { id: 'list' } });
    expect(router.match('GET', '/trades/')).toMatchObject({ kind: 'found', route: { id: 'list' } });
    expect(router.match('GET', '/trades/open')).toMatchObject({ kind: 'found', route: { id: 'open' } });
    expect(router.match('GET', '/trades/t-1')).toEqual({ kind: 'found', route: expect.objectContaining({ id: 'get' }), params: { id: 't-1' } });
    expect(router.match('GET', '/trades/a/legs/b')).toMatchObject({ params: { id: 'a', leg: 'b' } });
  });

  it('decodes parameters and refuses malformed encodings', () => {
    expect(router.match('GET', '/trades/a%20b')).toMatchObject({ params: { id: 'a b' } });
    expect(router.match('GET', '/trades/%E0%A4%A')).toEqual({ kind: 'not_found' });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(router.match('DELETE', '/trades')).toEqual({ kind: 'method_not_allowed', allowed: ['GET'] });
    expect(router.match('GET', '/trades/t-1/close')).toEqual({ kind: 'method_not_allowed', allowed: ['POST'] });
    expect(router.match('GET', '/orders')).toEqual({ kind: 'not_found' });
    expect(router.match('GET', '/trades/t-1/extra/segments/here')).toEqual({ kind: 'not_found' });
  });

  it('refuses a contract whose path parameters and params schema disagree, or that repeats a route', () => {
    expect(() => createRouter([route('x', 'GET', '/x/{id}')])).toThrow(/Route x: path parameters \[id\]/);
    expect(() => createRouter([route('y', 'GET', '/y', z.object({ id: z.string() }))])).toThrow(/Route y/);
    expect(() => createRouter([route('a', 'GET', '/z'), route('b', 'GET', '/z')])).toThrow(/Duplicate route GET \/z/);
  });
});
