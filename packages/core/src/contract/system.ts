import { z } from 'zod';
import { defineRoute } from './route.js';

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'down']),
    version: z.string(),
    uptime_seconds: z.number(),
    db_status: z.object({
      state: z.enum(['ok', 'degraded', 'down']),
      dialect: z.enum(['sqlite', 'postgres']),
      latency_ms: z.number().optional(),
      reason: z.string().optional(),
    }),
  })
  .meta({ id: 'Health' });

export const systemRoutes = {
  health: defineRoute({
    id: 'system.health',
    method: 'GET',
    path: '/health',
    summary: 'Liveness and database status (503 with the same report when the database is down)',
    tags: ['system'],
    auth: 'public',
    response: healthSchema,
    otherResponses: { 503: { description: 'The database is down', schema: healthSchema } },
    errors: [],
  }),
  jwks: defineRoute({
    id: 'system.jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'Public keys that verify access tokens (empty when tokens are HS256-signed)',
    tags: ['system'],
    auth: 'public',
    response: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).meta({ id: 'JsonWebKeySet' }),
    errors: [],
  }),
  openapi: defineRoute({
    id: 'system.openapi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API’s OpenAPI 3.1 document',
    tags: ['system'],
    auth: 'public',
    response: z.record(z.string(), z.unknown()),
    errors: [],
  }),
} as const;
