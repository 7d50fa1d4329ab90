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
    jobs: z
      .array(
        z.object({
          name: z.string(),
          every_seconds: z.number(),
          last_tick_at: z.string().nullable(),
          lag_seconds: z.number().nullable().meta({ description: 'How far behind its interval the job is (0: on time)' }),
          last_duration_ms: z.number().nullable(),
          last_error: z.string().nullable(),
          running: z.boolean(),
        }),
      )
      .meta({ description: 'Background jobs, as recorded in the database by whichever instance ran them (absent when the database is down)' }),
  })
  .meta({ id: 'Health' });

const readinessSchema = z
  .object({
    ready: z.boolean(),
    checks: z.object({
      database: z.object({ ok: z.boolean(), latency_ms: z.number().optional(), reason: z.string().optional() }),
      migrations: z.object({ ok: z.boolean(), applied: z.number().int().optional(), shipped: z.number().int().optional(), reason: z.string().optional() }),
    }),
  })
  .meta({ id: 'Readiness' });

export const systemRoutes = {
  health: defineRoute({
    id: 'system.health',
    method: 'GET',
    path: '/health',
    summary: 'Liveness and database status (503 with the same report when the database is down)',
    tags: ['system'],
    auth: 'public',
    rateLimit: 'none',
    response: healthSchema,
    otherResponses: { 503: { description: 'The database is down', schema: healthSchema } },
    errors: [],
  }),
  live: defineRoute({
    id: 'system.live',
    method: 'GET',
    path: '/live',
    summary: 'Liveness: the process is up and answering (touches nothing else)',
    tags: ['system'],
    auth: 'public',
    rateLimit: 'none',
    response: z.object({ status: z.literal('ok') }),
    errors: [],
  }),
  ready: defineRoute({
    id: 'system.ready',
    method: 'GET',
    path: '/ready',
    summary: 'Readiness: the database answers and its migrations are current (503 otherwise)',
    tags: ['system'],
    auth: 'public',
    rateLimit: 'none',
    response: readinessSchema,
    otherResponses: { 503: { description: 'Not ready: the database is down or behind the shipped migrations', schema: readinessSchema } },
    errors: [],
  }),
  status: defineRoute({
    id: 'system.status',
    method: 'GET',
    path: '/status',
    summary: 'Admin: business counts — users by status, active admins, open positions, active subscriptions',
    description: 'Admins only: user counts are business data.',
    tags: ['system', 'admin'],
    auth: 'admin',
    response: z.object({
      timestamp: z.string(),
      version: z.string(),
      users: z.object({ active: z.number().int(), pending: z.number().int(), disabled: z.number().int() }),
      admins_active: z.number().int(),
      open_positions: z.number().int().meta({ description: 'Open trades' }),
      active_subscriptions: z.number().int(),
    }),
    errors: [],
  }),
  metrics: defineRoute({
    id: 'system.metrics',
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    description: 'Guarded when `metrics.token` is set (send `Authorization: Bearer <token>`) or `metrics.allow` lists addresses. 404 when the host provides no metrics.',
    tags: ['system'],
    auth: 'public',
    rateLimit: 'none',
    response: z.string(),
    responseType: 'text/plain; version=0.0.4; charset=utf-8',
    errors: ['not_found', 'unauthenticated', 'forbidden'],
  }),
  jwks: defineRoute({
    id: 'system.jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'Public keys that verify access tokens (empty when tokens are HS256-signed)',
    tags: ['system'],
    auth: 'public',
    rateLimit: 'none',
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
    rateLimit: 'none',
    response: z.record(z.string(), z.unknown()),
    errors: [],
  }),
  asyncapi: defineRoute({
    id: 'system.asyncapi',
    method: 'GET',
    path: '/asyncapi.json',
    summary: 'The real-time stream’s AsyncAPI 3.0 document: its channels and each event’s payload',
    description: 'Generated from the events the modules declare. The stream itself is a WebSocket at `/stream` beside these routes (see `POST /stream/ticket`).',
    tags: ['system', 'stream'],
    auth: 'public',
    rateLimit: 'none',
    response: z.record(z.string(), z.unknown()),
    errors: [],
  }),
} as const;
