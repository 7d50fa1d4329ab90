import type { systemRoutes } from '../contract/system.js';
import type { ContractHandlers } from '../http/types.js';
import { reply } from '../http/types.js';
import type { Clock, Storage } from '../ports/index.js';
import type { OpenApiDocument } from '../openapi/document.js';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  version: string;
  uptime_seconds: number;
  db_status: { state: 'ok' | 'degraded' | 'down'; dialect: 'sqlite' | 'postgres'; latency_ms?: number; reason?: string };
}

/** Database latency above this marks the instance degraded (still serving). */
const DEGRADED_MS = 1000;

export function checkHealth(deps: { storage: Storage; clock: Clock; version: string; startedAt: Date }): Promise<HealthReport> {
  const { storage, clock, version, startedAt } = deps;
  const started = performance.now();
  const base = { version, uptime_seconds: Math.max(0, (clock.now().getTime() - startedAt.getTime()) / 1000) };
  return storage.ping().then(
    () => {
      const latency = Math.round((performance.now() - started) * 100) / 100;
      const state = latency > DEGRADED_MS ? 'degraded' : 'ok';
      return { ...base, status: state, db_status: { state, dialect: storage.dialect, latency_ms: latency } };
    },
    () => ({
      ...base,
      status: 'down',
      db_status: { state: 'down', dialect: storage.dialect, reason: 'database did not answer' },
    }),
  );
}

export function systemHandlers(deps: {
  health: () => Promise<HealthReport>;
  openapi: (basePath: string) => OpenApiDocument;
  jwks: () => { keys: Record<string, unknown>[] };
}): ContractHandlers<{ system: typeof systemRoutes }>['system'] {
  return {
    health: async () => {
      const report = await deps.health();
      return report.status === 'down' ? reply(report, { status: 503 }) : report;
    },
    jwks: async () => deps.jwks(),
    openapi: async ({ request }) => deps.openapi(request.basePath),
  };
}
