import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { contract } from '../contract/index.js';
import { listRoutes, routeErrors } from '../contract/route.js';
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
      expect(Boolean(op!.requestBody)).toBe(Boolean(route.body));
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
});
