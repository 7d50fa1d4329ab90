import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import pino from 'pino';
import type { Logger, MigrationStatus, Observer } from '@tradeplane/core';
import { migrationsFolder } from './migrations.js';

/**
 * The engine's Prometheus metrics: one registry per engine (two engines in a process do not
 * share counters), fed by the core's `Observer`. Route labels are contract route ids, never raw
 * paths, so label cardinality is bounded by the contract.
 */
export function createMetrics(): { observer: Observer; registry: Registry; wsClients: Gauge<'channel'> } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by contract route id, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by contract route id and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const logins = new Counter({ name: 'auth_logins_total', help: 'Sign-in attempts by outcome (success, failure, blocked by throttling)', labelNames: ['outcome'] as const, registers: [registry] });
  const entries = new Counter({ name: 'ledger_entries_total', help: 'Committed journal entries by kind', labelNames: ['kind'] as const, registers: [registry] });
  const events = new Counter({ name: 'protection_events_total', help: 'Refused signals and trades by reason', labelNames: ['reason'] as const, registers: [registry] });
  const wsClients = new Gauge({ name: 'ws_clients', help: 'Connected real-time clients by channel', labelNames: ['channel'] as const, registers: [registry] });
  const observer: Observer = {
    request(o) {
      const route = o.routeId ?? 'unmatched';
      requests.inc({ route, method: o.method, status: String(o.status) });
      duration.observe({ route, method: o.method }, o.durationMs / 1000);
    },
    login: (outcome) => logins.inc({ outcome }),
    ledgerEntry: (kind) => entries.inc({ kind }),
    protectionEvent: (reason) => events.inc({ reason }),
    streamClients: (channel, delta) => wsClients.inc({ channel }, delta),
  };
  return { observer, registry, wsClients };
}

/**
 * The default logger: pino, one JSON line per record on stdout. Whatever a caller logs, these
 * fields are replaced by `[redacted]` (defence in depth: the core never logs headers or bodies).
 */
export function createDefaultLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'tradeplane' },
    redact: {
      paths: ['password', 'token', 'accessToken', 'refreshToken', 'authorization', 'cookie', '*.password', '*.token', '*.accessToken', '*.refreshToken', '*.access_token', '*.refresh_token', '*.license_token', '*.authorization', '*.cookie', 'headers', '*.headers'],
      censor: '[redacted]',
    },
  });
}

/**
 * Whether the database holds every shipped migration: the newest applied migration's
 * timestamp (drizzle's `created_at`, the journal's `when`) against the shipped journal's newest.
 */
export async function migrationStatus(dialect: 'sqlite' | 'postgres', appliedTimes: () => Promise<number[]>): Promise<MigrationStatus> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder(dialect), 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const shipped = journal.entries.map((e) => e.when);
  const applied = new Set((await appliedTimes()).map(Number));
  const missing = shipped.filter((when) => !applied.has(when));
  return { ok: missing.length === 0, applied: shipped.length - missing.length, shipped: shipped.length };
}
