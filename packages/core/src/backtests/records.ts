/**
 * Storage records and repositories of backtest runs.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
export type BacktestStatus = 'queued' | 'running' | 'completed' | 'failed';

/** A backtest run: what was asked, where it stands, and once completed what came of it. */
export interface BacktestRecord {
  id: string;
  userId: string;
  status: BacktestStatus;
  symbol: string;
  interval: string;
  /** Bars with from ≤ open time < to. */
  from: Date;
  to: Date;
  currency: string;
  initialBalance: bigint;
  /** The rest of the request (strategies, consensus, risk, stake, stops), as given. */
  params: Record<string, unknown>;
  /** Bars replayed so far. */
  candles: number;
  /** The metrics and counts (small; listed). */
  summary: Record<string, unknown> | null;
  /** The trades and the equity curve (large; only read one backtest at a time). Undefined when not selected. */
  detail?: Record<string, unknown> | null;
  error: { code: string; detail: string } | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Last sign of life of the process running it. */
  heartbeatAt: Date;
}

export interface BacktestsRepository {
  insert(backtest: BacktestRecord): Promise<void>;
  /** With `detail`. */
  findById(id: string): Promise<BacktestRecord | undefined>;
  /** Newest first, without `detail`. */
  list(filter: { userId: string; cursor?: string; limit: number }): Promise<BacktestRecord[]>;
  update(id: string, patch: Partial<Pick<BacktestRecord, 'status' | 'candles' | 'summary' | 'detail' | 'error' | 'startedAt' | 'completedAt' | 'heartbeatAt'>>): Promise<void>;
  /** Marks queued or running backtests whose heartbeat is older than `before` as failed with `error`; returns how many. */
  failStale(before: Date, error: { code: string; detail: string }, at: Date): Promise<number>;
}
