import { createHash, timingSafeEqual } from 'node:crypto';
import type { systemRoutes } from '../contract/system.js';
import type { ContractHandlers, HttpRequest } from '../http/types.js';
import { headerValue, reply } from '../http/types.js';
import { TradeplaneError } from '../errors.js';
import type { Clock, Storage } from '../ports/index.js';
import type { OpenApiDocument } from '../openapi/document.js';
import { type AsyncApiDocument, createAsyncApiDocument } from '../stream/asyncapi.js';
import type { AnyEventDefinition } from '../stream/events.js';
import type { JobStatus } from './jobs.js';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  version: string;
  uptime_seconds: number;
  db_status: { state: 'ok' | 'degraded' | 'down'; dialect: 'sqlite' | 'postgres'; latency_ms?: number; reason?: string };
  jobs: { name: string; every_seconds: number; last_tick_at: string | null; lag_seconds: number | null; last_duration_ms: number | null; last_error: string | null; running: boolean }[];
}

export interface MigrationStatus {
  ok: boolean;
  applied: number;
  shipped: number;
}

export interface Readiness {
  ready: boolean;
  checks: {
    database: { ok: boolean; latency_ms?: number; reason?: string };
    migrations: { ok: boolean; applied?: number; shipped?: number; reason?: string };
  };
}

/** How `/metrics` is served: the host's collector and who may read it. */
export interface MetricsEndpoint {
  /** The Prometheus exposition text. */
  collect(): Promise<string>;
  /** When set, callers must send `Authorization: Bearer <token>`. */
  token?: string;
  /** When set, only these client addresses may read (exact match; IPv4-mapped IPv6 is unwrapped). */
  allow?: readonly string[];
  /**
   * Refuse every caller (403) unless `token` or `allow` is set: metrics name routes, users and
   * volumes, and are not for the open internet. The engine sets it in production unless
   * `metrics.open` is true.
   */
  requireGuard?: boolean;
}

/** Database latency above this marks the instance degraded (still serving). */
const DEGRADED_MS = 1000;

const round = (ms: number) => Math.round(ms * 100) / 100;

async function timedPing(storage: Storage): Promise<{ ok: true; latency: number } | { ok: false }> {
  const started = performance.now();
  try {
    await storage.ping();
    return { ok: true, latency: round(performance.now() - started) };
  } catch {
    return { ok: false };
  }
}

export async function checkHealth(deps: { storage: Storage; clock: Clock; version: string; startedAt: Date; jobs?: () => Promise<JobStatus[]> }): Promise<HealthReport> {
  const { storage, clock, version, startedAt } = deps;
  const base = { version, uptime_seconds: Math.max(0, (clock.now().getTime() - startedAt.getTime()) / 1000) };
  const ping = await timedPing(storage);
  if (!ping.ok) return { ...base, status: 'down', db_status: { state: 'down', dialect: storage.dialect, reason: 'database did not answer' }, jobs: [] };
  const state = ping.latency > DEGRADED_MS ? 'degraded' : 'ok';
  const jobs = (await deps.jobs?.().catch(() => [])) ?? [];
  return {
    ...base,
    status: state,
    db_status: { state, dialect: storage.dialect, latency_ms: ping.latency },
    jobs: jobs.map((j) => ({ name: j.name, every_seconds: j.everySeconds, last_tick_at: j.lastTickAt, lag_seconds: j.lagSeconds, last_duration_ms: j.lastDurationMs, last_error: j.lastError, running: j.running })),
  };
}

export async function checkReadiness(deps: { storage: Storage; migrations?: () => Promise<MigrationStatus> }): Promise<Readiness> {
  const ping = await timedPing(deps.storage);
  if (!ping.ok) return { ready: false, checks: { database: { ok: false, reason: 'database did not answer' }, migrations: { ok: false, reason: 'database did not answer' } } };
  let migrations: Readiness['checks']['migrations'] = { ok: true, reason: 'not checked by this host' };
  if (deps.migrations) {
    try {
      const m = await deps.migrations();
      migrations = { ok: m.ok, applied: m.applied, shipped: m.shipped, ...(m.ok ? {} : { reason: 'the database is behind the shipped migrations' }) };
    } catch {
      migrations = { ok: false, reason: 'the migration table could not be read' };
    }
  }
  return { ready: migrations.ok, checks: { database: { ok: true, latency_ms: ping.latency }, migrations } };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Checks a `/metrics` caller against the endpoint's token and address list. */
function guardMetrics(endpoint: MetricsEndpoint, headers: HttpRequest['headers'], ip: string | undefined): void {
  if (endpoint.requireGuard && !endpoint.token && !endpoint.allow) {
    throw new TradeplaneError('forbidden', 'Metrics are not served in production without a token or an address list (metrics.token, metrics.allow), or metrics.open');
  }
  if (endpoint.allow) {
    const address = ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
    if (!address || !endpoint.allow.includes(address)) throw new TradeplaneError('forbidden', 'Metrics are not served to this address');
  }
  if (endpoint.token) {
    const sent = /^Bearer (.+)$/i.exec(headerValue(headers, 'authorization') ?? '')?.[1];
    // Compared as digests: equal lengths, constant time.
    if (!sent || !timingSafeEqual(digest(sent), digest(endpoint.token))) {
      throw new TradeplaneError('unauthenticated', 'Send the metrics token as a bearer token', { headers: { 'www-authenticate': 'Bearer realm="metrics"' } });
    }
  }
}

export function systemHandlers(deps: {
  health: () => Promise<HealthReport>;
  ready: () => Promise<Readiness>;
  status: () => Promise<{ timestamp: string; version: string; users: { active: number; pending: number; disabled: number }; admins_active: number; open_positions: number; active_subscriptions: number }>;
  metrics?: MetricsEndpoint;
  openapi: (basePath: string) => OpenApiDocument;
  jwks: () => { keys: Record<string, unknown>[] };
  /** The stream's events, for `/asyncapi.json`. */
  asyncapi: { version: string; events: readonly AnyEventDefinition[] };
}): ContractHandlers<{ system: typeof systemRoutes }>['system'] {
  const asyncapiDocuments = new Map<string, AsyncApiDocument>();
  const asyncapi = (basePath: string) => {
    let doc = asyncapiDocuments.get(basePath);
    if (!doc) {
      doc = createAsyncApiDocument(deps.asyncapi.events, { version: deps.asyncapi.version, basePath });
      asyncapiDocuments.set(basePath, doc);
    }
    return doc;
  };
  return {
    health: async () => {
      const report = await deps.health();
      return report.status === 'down' ? reply(report, { status: 503 }) : report;
    },
    live: async () => ({ status: 'ok' as const }),
    ready: async () => {
      const report = await deps.ready();
      return report.ready ? report : reply(report, { status: 503 });
    },
    status: async () => deps.status(),
    metrics: async ({ request }) => {
      if (!deps.metrics) throw new TradeplaneError('not_found', 'This host serves no metrics');
      guardMetrics(deps.metrics, request.headers, request.ip);
      return reply(await deps.metrics.collect(), { contentType: 'text/plain; version=0.0.4; charset=utf-8' });
    },
    jwks: async () => deps.jwks(),
    openapi: async ({ request }) => deps.openapi(request.basePath),
    asyncapi: async ({ request }) => asyncapi(request.basePath),
  };
}
