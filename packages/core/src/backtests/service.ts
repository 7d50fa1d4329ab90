import type { EntitlementGate } from '../modules/entitlements.js';
import { invalidFields, TradeplaneError, type FieldError } from '../errors.js';
import type { BacktestRecord, Clock, Ids, Logger, Storage } from '../ports/index.js';
import type { CurrencyRegistry } from '../money/currency.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { intervalMs, type CandleInterval } from '../market/intervals.js';
import type { RiskProfileUpdate } from '../risk/service.js';
import type { ConsensusOptions } from '../signals/consensus.js';
import { keysetPage } from '../pagination.js';
import { prepareBacktest, replayBacktest, type BacktestOutcome, type BacktestPlan, type BacktestSummary, type BacktestTrade, type Scratch } from './runner.js';

export interface BacktestInput {
  symbol: string;
  interval: CandleInterval;
  from: Date;
  to: Date;
  strategies: { name: string; params?: Record<string, unknown> }[];
  consensus?: ConsensusOptions;
  risk?: RiskProfileUpdate;
  /** Decimal string in `currency`. */
  initialBalance: string;
  /** Default: the wallets' default currency. */
  currency?: string;
  stake?: string;
  stopLossPct?: number;
  takeProfitPct?: number;
}

export interface Backtest {
  id: string;
  status: BacktestRecord['status'];
  symbol: string;
  interval: string;
  from: string;
  to: string;
  currency: string;
  initialBalance: string;
  strategies: BacktestInput['strategies'];
  consensus: ConsensusOptions;
  risk: RiskProfileUpdate;
  stake: string | null;
  stopLossPct: number | null;
  takeProfitPct: number | null;
  /** Bars replayed so far. */
  candles: number;
  metrics: BacktestSummary | null;
  /** Only when one backtest is read. */
  trades?: BacktestTrade[];
  equity?: BacktestOutcome['equity'];
  error: { code: string; detail: string } | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

/**
 * Backtests (`POST /backtests`): a bot replayed over stored bars on a scratch tradeplane (see
 * `runner.ts`), its trades, equity curve and metrics stored per user.
 *
 * A range of at most `syncBars` bars (by its length ÷ the interval) runs inside the request and
 * is stored completed; a longer one is stored `queued` and runs as a job in this process, one
 * job at a time, reporting its progress (`candles`) as it goes. A job whose process ended stops
 * showing signs of life; the next process to start marks it `failed` with code `interrupted`
 * (the request is kept: post it again to rerun).
 */
export interface BacktestService {
  create(userId: string, input: BacktestInput): Promise<Backtest>;
  list(userId: string, filter?: { cursor?: string; limit?: number }): Promise<{ backtests: Backtest[]; nextCursor: string | null }>;
  get(userId: string, id: string): Promise<Backtest>;
  /** Resolves when this process has no queued or running backtest. */
  idle(): Promise<void>;
  /** Stops the running job at its next page and drops the queued ones (engine shutdown); they are marked `interrupted` by the next start. */
  stop(): Promise<void>;
}

export interface BacktestServiceDeps {
  storage: Storage;
  /** The plan's `backtestsPerDay`: checked before the replay, and again in the transaction that records it. */
  entitlements?: EntitlementGate;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  currencies: CurrencyRegistry;
  defaultCurrency: string;
  /** A fresh scratch tradeplane for one run; undefined when the host cannot make one (backtests then answer 503). */
  openScratch?: (setup: { currency: string; initialBalance: string }) => Promise<Scratch>;
  syncBars: number;
  maxBars: number;
  jobsPerUser: number;
}

/** A job whose heartbeat is older than this is taken for dead when a process starts. */
const STALE_AFTER_MS = 10 * 60_000;

export function createBacktestService(deps: BacktestServiceDeps): BacktestService {
  const { storage, clock, ids, logger } = deps;
  const iso = (d: Date) => d.toISOString();
  const queue: { id: string; userId: string; scratch: Scratch; plan: BacktestPlan }[] = [];
  const unfinished = new Map<string, number>();
  let running: Promise<void> | undefined;
  let stopping = false;

  let recovered: Promise<void> | undefined;
  const recover = () =>
    (recovered ??= (async () => {
      const now = clock.now();
      const count = await storage.repos.backtests.failStale(new Date(now.getTime() - STALE_AFTER_MS), { code: 'interrupted', detail: 'The process running this backtest stopped; post it again to rerun' }, now);
      if (count > 0) logger.warn({ event: 'backtests.interrupted', count }, 'Backtests left unfinished by an earlier process were marked failed');
    })());

  const toBacktest = (r: BacktestRecord): Backtest => {
    const params = r.params as { strategies: Backtest['strategies']; consensus?: ConsensusOptions; risk?: RiskProfileUpdate; stake?: string; stopLossPct?: number; takeProfitPct?: number };
    const detail = r.detail as { trades: BacktestTrade[]; equity: BacktestOutcome['equity'] } | null | undefined;
    const currency = deps.currencies.get(r.currency)!;
    return {
      id: r.id,
      status: r.status,
      symbol: r.symbol,
      interval: r.interval,
      from: iso(r.from),
      to: iso(r.to),
      currency: r.currency,
      initialBalance: formatAmount(r.initialBalance, currency),
      strategies: params.strategies,
      consensus: params.consensus ?? {},
      risk: params.risk ?? {},
      stake: params.stake ?? null,
      stopLossPct: params.stopLossPct ?? null,
      takeProfitPct: params.takeProfitPct ?? null,
      candles: r.candles,
      metrics: r.summary as BacktestSummary | null,
      ...(detail ? { trades: detail.trades, equity: detail.equity } : {}),
      error: r.error,
      createdAt: iso(r.createdAt),
      startedAt: r.startedAt ? iso(r.startedAt) : null,
      completedAt: r.completedAt ? iso(r.completedAt) : null,
    };
  };

  const barsIn = (input: BacktestInput) => Math.ceil((input.to.getTime() - input.from.getTime()) / intervalMs[input.interval]);

  /** Checks what needs no scratch: the range, the currency and the amounts. */
  async function planOf(input: BacktestInput): Promise<BacktestPlan> {
    const fields: FieldError[] = [];
    const bad = (path: string, code: string, message: string) => fields.push({ in: 'body', path, code, message });
    const code = input.currency ?? deps.defaultCurrency;
    const currency = deps.currencies.get(code);
    if (!currency) bad('currency', 'unknown_currency', `${code} is not a configured currency`);
    let initialBalance = 0n;
    if (currency) {
      const parsed = parseAmount(input.initialBalance, currency);
      if (!parsed.ok) bad('initial_balance', parsed.problem, parsed.message);
      else if (parsed.minor <= 0n) bad('initial_balance', 'not_positive', 'must be greater than zero');
      else initialBalance = parsed.minor;
      if (input.stake !== undefined) {
        const stake = parseAmount(input.stake, currency);
        if (!stake.ok) bad('stake', stake.problem, stake.message);
        else if (stake.minor <= 0n) bad('stake', 'not_positive', 'must be greater than zero');
      }
    }
    const span = input.to.getTime() - input.from.getTime();
    const bars = barsIn(input);
    if (span <= 0) bad('to', 'not_after_from', 'must be later than `from`');
    else if (bars > deps.maxBars) bad('to', 'range_too_large', `the range holds up to ${bars} ${input.interval} bars; the limit is ${deps.maxBars}`);
    if (fields.length === 0) {
      const [first] = await storage.repos.candles.list(input.symbol, input.interval, { from: input.from, to: input.to, limit: 1 });
      if (!first) bad('from', 'no_candles', `no stored ${input.symbol} ${input.interval} bars between \`from\` and \`to\``);
    }
    if (fields.length > 0) throw invalidFields(fields);
    return {
        symbol: input.symbol,
        interval: input.interval,
        from: input.from,
        to: input.to,
        strategies: input.strategies,
        consensus: input.consensus,
        risk: input.risk,
        currency: currency!,
        initialBalance,
        stake: input.stake,
        stopLossPct: input.stopLossPct,
        takeProfitPct: input.takeProfitPct,
    };
  }

  const paramsOf = (input: BacktestInput): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify({
        strategies: input.strategies,
        consensus: input.consensus,
        risk: input.risk,
        stake: input.stake,
        stopLossPct: input.stopLossPct,
        takeProfitPct: input.takeProfitPct,
      }),
    ) as Record<string, unknown>;

  const finish = (userId: string) => {
    const left = (unfinished.get(userId) ?? 1) - 1;
    if (left > 0) unfinished.set(userId, left);
    else unfinished.delete(userId);
  };

  async function runJob(job: (typeof queue)[number]): Promise<void> {
    const { id, scratch, plan } = job;
    try {
      if (stopping) return;
      const startedAt = clock.now();
      await storage.repos.backtests.update(id, { status: 'running', startedAt, heartbeatAt: startedAt });
      const outcome = await replayBacktest(scratch, storage, plan, async (candles) => {
        if (stopping) throw new TradeplaneError('service_unavailable', 'The engine is shutting down');
        await storage.repos.backtests.update(id, { candles, heartbeatAt: clock.now() });
      });
      const at = clock.now();
      await storage.repos.backtests.update(id, { status: 'completed', candles: outcome.candles, summary: { ...outcome.summary }, detail: { trades: outcome.trades, equity: outcome.equity }, completedAt: at, heartbeatAt: at });
    } catch (error) {
      if (stopping) return;
      const known = error instanceof TradeplaneError;
      if (!known) logger.error({ event: 'backtests.failed', backtestId: id, error }, 'A backtest job failed');
      const at = clock.now();
      await storage.repos.backtests
        .update(id, { status: 'failed', error: { code: known ? error.code : 'internal_error', detail: known ? error.detail : 'The backtest failed unexpectedly' }, completedAt: at, heartbeatAt: at })
        .catch((e: unknown) => logger.error({ event: 'backtests.update_failed', backtestId: id, error: e }, 'Could not store a failed backtest'));
    } finally {
      finish(job.userId);
      await scratch.close().catch(() => undefined);
    }
  }

  function drain(): Promise<void> {
    return (running ??= (async () => {
      while (queue.length > 0) await runJob(queue.shift()!);
      running = undefined;
    })());
  }

  async function own(userId: string, id: string): Promise<BacktestRecord> {
    const found = await storage.repos.backtests.findById(id);
    if (!found || found.userId !== userId) throw new TradeplaneError('not_found', 'No such backtest');
    return found;
  }

  return {
    async create(userId, input) {
      if (!deps.openScratch) throw new TradeplaneError('service_unavailable', 'Backtests need a host that can open a scratch database (createEngine provides one)');
      if (stopping) throw new TradeplaneError('service_unavailable', 'The engine is shutting down');
      // Decided before the first await, so simultaneous requests cannot all take the last slot.
      const sync = barsIn(input) <= deps.syncBars;
      if (!sync) {
        if ((unfinished.get(userId) ?? 0) >= deps.jobsPerUser) throw new TradeplaneError('conflict', `You have ${deps.jobsPerUser} backtests queued or running; wait for one to finish`);
        unfinished.set(userId, (unfinished.get(userId) ?? 0) + 1);
      }
      let scratch: Scratch | undefined;
      let handedOff = false;
      // Records the backtest unless the plan's daily count is used up meanwhile (a request racing this one).
      const insert = (record: BacktestRecord) =>
        storage.transaction(async (tx) => {
          await deps.entitlements?.check(tx, userId, 'backtestsPerDay');
          await tx.backtests.insert(record);
        });
      try {
        // Refused before any bar is replayed when today's backtests are used up.
        await deps.entitlements?.check(storage.repos, userId, 'backtestsPerDay', { lock: false });
        await recover();
        const plan = await planOf(input);
        scratch = await deps.openScratch({ currency: plan.currency.code, initialBalance: formatAmount(plan.initialBalance, plan.currency) });
        await prepareBacktest(scratch, storage, plan);
        const now = clock.now();
        const record: BacktestRecord = {
          id: ids.next(),
          userId,
          status: 'queued',
          symbol: plan.symbol,
          interval: plan.interval,
          from: plan.from,
          to: plan.to,
          currency: plan.currency.code,
          initialBalance: plan.initialBalance,
          params: paramsOf(input),
          candles: 0,
          summary: null,
          detail: null,
          error: null,
          createdAt: now,
          startedAt: null,
          completedAt: null,
          heartbeatAt: now,
        };
        if (sync) {
          const outcome = await replayBacktest(scratch, storage, plan);
          const at = clock.now();
          Object.assign(record, { status: 'completed', candles: outcome.candles, summary: { ...outcome.summary }, detail: { trades: outcome.trades, equity: outcome.equity }, startedAt: now, completedAt: at, heartbeatAt: at });
          await insert(record);
          return toBacktest(record);
        }
        await insert(record);
        queue.push({ id: record.id, userId, scratch, plan });
        handedOff = true;
        void drain();
        return toBacktest({ ...record, detail: undefined });
      } finally {
        if (!handedOff) {
          if (!sync) finish(userId);
          await scratch?.close().catch(() => undefined);
        }
      }
    },

    async list(userId, filter = {}) {
      await recover();
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.backtests.list({ userId, cursor: filter.cursor, limit: n }), toBacktest);
      return { backtests: page.items, nextCursor: page.nextCursor };
    },

    async get(userId, id) {
      await recover();
      return toBacktest(await own(userId, id));
    },

    async idle() {
      while (running) await running;
    },

    async stop() {
      stopping = true;
      const dropped = queue.splice(0);
      for (const job of dropped) await job.scratch.close().catch(() => undefined);
      while (running) await running;
    },
  };
}
