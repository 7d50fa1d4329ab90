import type { Clock, Ids, Logger } from '../ports/index.js';
import type { Storage } from '../ports/storage.js';

export interface JobDefinition {
  /** Stable name: the lease's key and the label in `/health`. */
  name: string;
  /** How often it should run. */
  everyMs: number;
  /** Does one round of work; returns figures worth logging. */
  run(): Promise<Record<string, unknown> | void>;
}

export interface JobStatus {
  name: string;
  everySeconds: number;
  lastTickAt: string | null;
  /** Seconds the job is behind: time since its last run minus its interval (0 when on time; null before a first run). */
  lagSeconds: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  /** Whether some instance holds the job's lease right now. */
  running: boolean;
}

/**
 * Runs background jobs so that exactly one instance runs each at a time: a job runs when it
 * is due (its last run, by any instance, is older than its interval) and this instance takes
 * its lease in the `jobs` table. The lease outlives a crashed holder by `leaseMs` at most. A
 * table lease rather than a PostgreSQL advisory lock: it holds through poolers in transaction
 * mode (which do not keep session locks), works the same on SQLite, and keeps the last run of
 * each job where every instance's `/health` can read it.
 *
 * `tick()` does one round (a scheduler, a Lambda on a timer); `start()` ticks on an interval.
 */
export interface JobRunner {
  readonly jobs: readonly JobDefinition[];
  tick(): Promise<void>;
  start(intervalMs?: number): void;
  /** Stops ticking and waits for a round in progress. */
  stop(): Promise<void>;
  status(): Promise<JobStatus[]>;
}

export function createJobRunner(deps: { storage: Storage; clock: Clock; ids: Ids; logger: Logger; jobs: JobDefinition[]; leaseMs?: number }): JobRunner {
  const { storage, clock, logger, jobs } = deps;
  const holder = `instance-${deps.ids.next()}`;
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  let timer: ReturnType<typeof setInterval> | undefined;
  let round: Promise<void> | undefined;

  async function runOne(job: JobDefinition, lastTickAt: Date | null): Promise<void> {
    const now = clock.now();
    if (lastTickAt && now.getTime() - lastTickAt.getTime() < job.everyMs) return;
    const lease = await storage.repos.jobs.acquire(job.name, holder, now, new Date(now.getTime() + leaseMs));
    if (!lease) return;
    // Another instance may have run it between our read and our lease.
    if (lease.lastTickAt && now.getTime() - lease.lastTickAt.getTime() < job.everyMs) {
      await storage.repos.jobs.finish(job.name, holder, { at: lease.lastTickAt, durationMs: lease.lastDurationMs ?? 0, error: lease.lastError });
      return;
    }
    const started = performance.now();
    let error: string | null = null;
    try {
      const figures = await job.run();
      logger.info({ event: 'job.ran', job: job.name, durationMs: Math.round(performance.now() - started), ...(figures ?? {}) }, 'job ran');
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
      logger.error({ event: 'job.failed', job: job.name, error }, 'job failed');
    }
    await storage.repos.jobs.finish(job.name, holder, { at: now, durationMs: performance.now() - started, error });
  }

  async function tick(): Promise<void> {
    const known = new Map((await storage.repos.jobs.list()).map((r) => [r.name, r]));
    for (const job of jobs) {
      try {
        await runOne(job, known.get(job.name)?.lastTickAt ?? null);
      } catch (failure) {
        // The database itself failed (the lease or its release): try again next round.
        logger.error({ event: 'job.lease_failed', job: job.name, error: failure instanceof Error ? failure.message : String(failure) }, 'job lease failed');
      }
    }
  }

  return {
    jobs,
    tick: () => (round ??= tick().finally(() => (round = undefined))),
    start(intervalMs = 15_000) {
      if (timer) return;
      const go = () => void (round ??= tick()
        .catch((failure: unknown) => logger.error({ event: 'job.round_failed', error: failure instanceof Error ? failure.message : String(failure) }, 'job round failed'))
        .finally(() => (round = undefined)));
      timer = setInterval(go, intervalMs);
      timer.unref();
      go();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await round;
    },
    async status() {
      const now = clock.now().getTime();
      const rows = new Map((await storage.repos.jobs.list()).map((r) => [r.name, r]));
      return jobs.map((job) => {
        const row = rows.get(job.name);
        const last = row?.lastTickAt ?? null;
        return {
          name: job.name,
          everySeconds: job.everyMs / 1000,
          lastTickAt: last ? last.toISOString() : null,
          lagSeconds: last ? Math.max(0, (now - last.getTime() - job.everyMs) / 1000) : null,
          lastDurationMs: row?.lastDurationMs ?? null,
          lastError: row?.lastError ?? null,
          running: !!row?.leaseUntil && row.leaseUntil.getTime() > now,
        };
      });
    },
  };
}
