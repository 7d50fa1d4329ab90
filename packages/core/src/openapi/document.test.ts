import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { contract } from '../contract/index.js';
import { defineRoute, listRoutes, routeErrors } from '../contract/route.js';
import { STANDARD_WEBHOOK_HEADERS } from '../webhooks/standard-webhooks.js';
import { errorCatalog } from '../errors.js';
import { createOpenApiDocument } from './document.js';

const doc = createOpenApiDocument(contract, { version: '1.2.3', basePath: '/api/v1' });
type Operation = {
  operationId: string;
  tags: string[];
  security: unknown[];
  requestBody?: unknown;
  responses: Record<string, { 'x-error-codes'?: string[] }>;
};
const operation = (path: string, method: string) => doc.paths[path]?.[method] as Operation | undefined;

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every contract route exactly once, with operationId, tags and security', () => {
    const routes = listRoutes(contract);
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item) as Operation[]);
    expect(operations.map((o) => o.operationId).sort()).toEqual(routes.map((r) => r.id).sort());
    for (const route of routes) {
      const op = operation(route.path, route.method.toLowerCase());
      expect(op, route.id).toBeDefined();
      expect(op!.operationId).toBe(route.id);
      expect(op!.tags).toEqual(route.tags);
      const expected = route.auth === 'public' ? [] : route.auth === 'license' ? [{ licenseAuth: [] }] : [{ bearerAuth: [] }, ...(route.scope ? [{ apiKeyAuth: [route.scope] }] : [])];
      expect(op!.security).toEqual(expected);
      expect(Boolean(op!.requestBody)).toBe(Boolean(route.body ?? route.rawBody));
    }
  });

  it('documents every error a route can answer with, by status', () => {
    for (const route of listRoutes(contract)) {
      const op = operation(route.path, route.method.toLowerCase())!;
      const documented = Object.values(op.responses).flatMap((r) => r['x-error-codes'] ?? []);
      expect(documented.sort(), route.id).toEqual(routeErrors(route).sort());
      for (const [status, response] of Object.entries(op.responses)) {
        for (const code of response['x-error-codes'] ?? []) {
          expect(errorCatalog[code as keyof typeof errorCatalog].status, `${route.id} ${code}`).toBe(Number(status));
        }
      }
    }
    expect(operation('/auth/register', 'post')!.responses['409']?.['x-error-codes']).toEqual(['email_taken', 'username_taken']);
    expect(operation('/auth/me', 'get')!.responses['401']?.['x-error-codes']?.sort()).toEqual(['invalid_token', 'token_expired', 'unauthenticated']);
    expect(operation('/auth/refresh', 'post')!.responses['403']?.['x-error-codes']?.sort()).toEqual(['account_disabled', 'csrf_failed']);
    expect(operation('/auth/me', 'get')!.responses['403']?.['x-error-codes']).toEqual(['insufficient_scope']);
  });

  it('documents non-problem answers without letting them collide with error statuses', () => {
    for (const route of listRoutes(contract)) {
      const errorStatuses = new Set<number>(routeErrors(route).map((code) => errorCatalog[code].status));
      for (const status of Object.keys(route.otherResponses ?? {})) {
        expect(errorStatuses.has(Number(status)), `${route.id} ${status}`).toBe(false);
      }
    }
    const health = operation('/health', 'get')! as unknown as { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
    expect(health.responses['503']?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Health' });
  });

  it('shares named schemas as components and points servers at the mount path', () => {
    const components = (doc.components as { schemas: Record<string, unknown> }).schemas;
    expect(Object.keys(components)).toEqual(expect.arrayContaining(['Problem', 'User', 'TokenPair', 'Health']));
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect((doc.info as { version: string }).version).toBe('1.2.3');
  });

  it('documents a raw-body route: JSON by media type, an open or documentary schema, its signature headers required', async () => {
    const route = (id: string, schema?: z.ZodType) =>
      defineRoute({
        id: `hooks.${id}`,
        method: 'POST',
        path: `/hooks/${id}`,
        summary: 'A signed callback',
        tags: ['hooks'],
        auth: 'public',
        rawBody: { headers: STANDARD_WEBHOOK_HEADERS, ...(schema ? { schema } : {}) },
        response: z.null(),
        successStatus: 204,
        errors: ['invalid_signature', 'stale_webhook'],
      });
    const hooks = createOpenApiDocument({ hooks: { open: route('open'), typed: route('typed', z.object({ type: z.string() })) } }, { version: '1.0.0' });
    const validator = new Validator();
    expect((await validator.validate(structuredClone(hooks))).errors ?? []).toEqual([]);

    const open = hooks.paths['/hooks/open']!.post as Record<string, unknown> & Operation & { parameters: unknown[] };
    expect(open.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: {} } } });
    expect(open.parameters).toEqual(
      STANDARD_WEBHOOK_HEADERS.map((name) => expect.objectContaining({ name, in: 'header', required: true, schema: { type: 'string', minLength: 1 } })),
    );
    expect(open['x-raw-body']).toBe(true);
    expect(open.security).toEqual([]);
    expect(open.responses['400']?.['x-error-codes']?.sort()).toEqual(['bad_request', 'invalid_signature', 'raw_body_unavailable', 'stale_webhook']);
    expect(open.responses['413']?.['x-error-codes']).toEqual(['payload_too_large']);
    expect(open.responses['422']?.['x-error-codes']).toEqual(['validation_failed']);
    expect(open.responses['415']).toBeUndefined();

    const typed = hooks.paths['/hooks/typed']!.post as Operation;
    expect(typed.requestBody).toMatchObject({ content: { 'application/json': { schema: { type: 'object', properties: { type: { type: 'string' } } } } } });
  });
});
