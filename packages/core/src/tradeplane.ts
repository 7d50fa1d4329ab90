import { isTradeplaneError, TradeplaneError } from './errors.js';
import { contract, type TradeplaneContract } from './contract/index.js';
import { createDispatcher, type CorsOptions, type Dispatcher } from './http/dispatcher.js';
import type { ContractHandlers } from './http/types.js';
import { createAuthService, type AuthService } from './auth/service.js';
import { createAuthenticator } from './auth/authenticate.js';
import { apiKeyHandlers, authHandlers } from './auth/handlers.js';
import { createApiKeyService, type ApiKeyService } from './auth/api-keys.js';
import { createAuditLog } from './audit/audit-log.js';
import { createAdminService, type AdminService } from './admin/service.js';
import { adminHandlers } from './admin/handlers.js';
import type { AuthOptions } from './auth/options.js';
import { createWalletService, type WalletService } from './wallets/service.js';
import { walletHandlers } from './wallets/handlers.js';
import type { WalletOptions } from './wallets/options.js';
import { createMarketDataService, type MarketDataService } from './market/service.js';
import { marketHandlers } from './market/handlers.js';
import { createRiskService, type RiskService } from './risk/service.js';
import { riskHandlers } from './risk/handlers.js';
import { createTradingService, type TradingService } from './trading/service.js';
import { tradingHandlers } from './trading/handlers.js';
import { createStrategyBotService, type StrategyBotService } from './trading/bots.js';
import { botHandlers } from './trading/bot-handlers.js';
import { builtinStrategies } from './signals/strategies/builtin.js';
import type { AnyStrategyDefinition } from './signals/strategies/strategy.js';
import { createPaperBroker } from './trading/broker.js';
import type { TradingOptions } from './trading/options.js';
import { intervalMs } from './market/intervals.js';
import { checkHealth, checkReadiness, systemHandlers, type HealthReport, type MetricsEndpoint, type MigrationStatus } from './system/handlers.js';
import { createOpenApiDocument, type OpenApiDocument } from './openapi/document.js';
import { createBacktestService, type BacktestService } from './backtests/service.js';
import { createCopyService, type CopyService } from './copy/service.js';
import { copyHandlers } from './copy/handlers.js';
import { backtestHandlers } from './backtests/handlers.js';
import type { Scratch } from './backtests/runner.js';
import { withCommitHooks } from './commit-hooks.js';
import { createNotificationService, type NotificationService } from './notifications/service.js';
import { notificationHandlers } from './notifications/handlers.js';
import { affiliateHandlers } from './affiliates/handlers.js';
import { createAffiliateService, type AffiliateService } from './affiliates/service.js';
import { createCommissionService, type CommissionService } from './copy/commission.js';
import { copyOptionsSchema, type CopyOptionsInput } from './copy/options.js';
import { createJobRunner, type JobRunner } from './system/jobs.js';
import { createRateLimiter, type RateLimitRule, type RateLimitRules, type RateLimitStore } from './http/rate-limit.js';
import { createStreamHub, type EventTransport } from './stream/hub.js';
import { createStreamService, type StreamService } from './stream/service.js';
import { watchCredentialChanges } from './stream/revocations.js';
import { orderToWire, tradeToWire } from './trading/handlers.js';
import { signalToWire } from './trading/bot-handlers.js';
import { notificationToWire } from './notifications/handlers.js';
import { resolveModules, type ModuleName } from './modules.js';
import type { Contract } from './contract/route.js';
import { manualClock, uuidV7Ids, type Clock, type Ids, type Logger, type Observer, type Storage } from './ports/index.js';

export interface TradeplaneDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  auth: AuthOptions;
  wallets: WalletOptions;
  /** Reported by /health and the OpenAPI document. */
  version: string;
  http?: { bodyLimit?: number; validateResponses?: boolean; cors?: CorsOptions; requestTimeoutMs?: number; hsts?: boolean };
  trading?: TradingOptions;
  /** Commission and affiliate shares, the settlement period: see `copyOptionsSchema`. */
  copy?: CopyOptionsInput;
  /** The modules to serve (default: all). Their routes are mounted and their jobs run; tables exist regardless. */
  modules?: readonly ModuleName[];
  /**
   * Opens an empty, migrated database of the same schema for one backtest (the engine opens an
   * in-memory SQLite database). Without it, `POST /backtests` answers 503.
   */
  scratchStorage?: () => Promise<Storage>;
  /** Operations: what the host adds to the probes and metrics (the engine fills these). */
  operations?: {
    /** Told of requests, sign-ins, ledger entries and protection events (Prometheus counters). */
    observer?: Observer;
    /** `/metrics`: the collector and its guard. Without it, `/metrics` is 404. */
    metrics?: MetricsEndpoint;
    /** `/ready`: whether the database has every shipped migration. */
    migrations?: () => Promise<MigrationStatus>;
    /** Log one line per request (default true). */
    logRequests?: boolean;
    /** Request budgets per rate-limit group, counted in `store` (default: the database). Omitted: no limits. */
    rateLimits?: { rules: RateLimitRules; store?: RateLimitStore; failedAuth?: RateLimitRule };
    /** Carries real-time events between instances (PostgreSQL LISTEN/NOTIFY); `false` turns the stream off. */
    events?: EventTransport | false;
  };
}


/**
 * The services and the HTTP entry point, independent of database driver and host.
 * `@tradeplane/engine` builds one of these around a real database; adapters call `handle`.
 */
export interface Tradeplane {
  readonly auth: AuthService;
  readonly apiKeys: ApiKeyService;
  readonly admin: AdminService;
  readonly wallets: WalletService;
  readonly market: MarketDataService;
  readonly risk: RiskService;
  readonly trading: TradingService;
  readonly strategies: StrategyBotService;
  readonly backtests: BacktestService;
  readonly copy: CopyService;
  readonly commission: CommissionService;
  readonly affiliates: AffiliateService;
  readonly notifications: NotificationService;
  /** Background jobs (subscription and hold expiry, commission settlement, purges); the engine starts them. */
  readonly jobs: JobRunner;
  /** Real-time events for WebSocket hosts (see `StreamService`). */
  readonly stream: StreamService;
  /** The neutral dispatcher: adapters translate their requests into this and back. */
  readonly handle: Dispatcher;
  readonly contract: TradeplaneContract;
  /** The OpenAPI 3.1 document, with `servers` pointing at `basePath`. */
  openapi(basePath?: string): OpenApiDocument;
  health(): Promise<HealthReport>;
}

export type { StreamService };

/** Wires the core services to their ports. Most users call `createEngine` instead. */
export function createTradeplane(deps: TradeplaneDeps): Tradeplane {
  const startedAt = deps.clock.now();
  const { clock, ids, logger } = deps;
  const enabled = resolveModules(deps.modules);
  // The contract this instance serves: every route of its modules (the client still knows them all).
  const served = Object.fromEntries(Object.entries(contract).filter(([group]) => enabled.groups.has(group))) as Contract;
  // Real-time events: published by the services after their commits (off in backtests' scratch engines).
  const events = deps.operations?.events;
  const hub = events === false ? undefined : createStreamHub({ ids, logger, now: () => clock.now(), transport: events });
  // Every committed revocation (whichever service made it) reaches the stream on every instance,
  // which closes the sockets that depended on the revoked sessions.
  const watchedStorage = hub ? watchCredentialChanges(deps.storage, (change) => stream.announceCredentialChange(change)) : deps.storage;
  // Events (notifications) are announced only once the transaction that wrote them commits.
  const { storage, afterCommit } = withCommitHooks(watchedStorage, (error) =>
    logger.error({ event: 'after_commit.failed', error: error instanceof Error ? error.message : String(error) }, 'An after-commit announcement failed'),
  );
  const copyOptions = copyOptionsSchema.parse(deps.copy ?? {});
  const notifications = createNotificationService({ storage, clock, ids, logger, afterCommit });
  // An admin's audited action on a user notifies that user, in the action's transaction.
  const audit = createAuditLog({ storage, clock, ids, logger, onRecordedIn: notifications.fromAuditIn });
  const wallets = createWalletService({
    storage,
    clock,
    ids,
    logger,
    audit,
    options: deps.wallets,
    observer: deps.operations?.observer,
    afterCommit,
    onBalancesCommitted:
      hub &&
      ((changes) => {
        for (const c of changes) {
          hub.publish({ channel: 'balance', type: 'balance.changed', userId: c.userId, data: { account_id: c.accountId, currency: c.currency, balance: c.balance, available: c.available, entry_id: c.entryId, kind: c.kind } });
        }
      }),
    cashNotifications: {
      notifications,
      notice: (m) => ({
        type: `wallet.${m.kind}`,
        title: `${m.kind === 'deposit' ? 'Deposit' : 'Withdrawal'} of ${m.amount} ${m.currency}`,
        data: { account_id: m.accountId, entry_id: m.entryId, amount: m.amount, currency: m.currency, balance: m.balance },
      }),
    },
  });
  const affiliates = createAffiliateService({ storage, clock, currencies: wallets.currencies });
  // Sign-up links a referral (an unknown code rolls it back) and opens the user's default
  // account, in the same transaction as the user row.
  const auth = createAuthService({
    storage,
    clock,
    ids,
    logger,
    audit,
    options: deps.auth,
    observer: deps.operations?.observer,
    onUserCreated: async (tx, user) => {
      await affiliates.linkIn(tx, user);
      await wallets.openInitialAccount(tx, user);
    },
  });
  const apiKeys = createApiKeyService({ storage, clock, ids, audit });
  const admin = createAdminService({ storage, clock, audit });
  const market = createMarketDataService({ storage, logger });
  const risk = createRiskService({ storage, clock, ids, audit, currencies: wallets.currencies, defaultCurrency: deps.wallets.defaultCurrency, defaults: deps.trading?.risk, notifyIn: notifications.notifyIn, observer: deps.operations?.observer, afterCommit });
  const broker =
    deps.trading?.broker ??
    createPaperBroker({
      ...deps.trading?.paper,
      // Before this process has seen a bar of a symbol, its last stored close is the price.
      lastPrice: async (symbol) => {
        const seen = market.lastPrice(symbol);
        if (seen) return seen;
        try {
          return await market.ticker(symbol);
        } catch (error) {
          // No stored bar is "no price"; a database failure is not.
          if (isTradeplaneError(error) && error.code === 'not_found') return undefined;
          throw error;
        }
      },
    });
  const trading = createTradingService({
    storage,
    clock,
    ids,
    logger,
    wallets,
    risk,
    broker,
    idempotencyTtl: deps.wallets.idempotencyTtl,
    afterCommit,
    onOrderCommitted: hub && ((userId, order) => hub.publish({ channel: 'orders', type: `order.${order.status}`, userId, data: orderToWire(order) })),
  });
  if (hub) trading.subscribe((e) => hub.publish({ channel: 'trades', type: `trade.${e.type}`, userId: e.userId, data: tradeToWire(e.trade) }));
  const definitions = new Map<string, AnyStrategyDefinition>();
  for (const d of [...builtinStrategies, ...(deps.trading?.strategies ?? [])]) definitions.set(d.name, d);
  // Masters' trades are mirrored to their followers from the trade events (see CopyService).
  const copy = createCopyService({ storage, clock, ids, logger, wallets, risk, trading, notifications });
  const commission = createCommissionService({ storage, clock, ids, logger, wallets, notifications, affiliates, options: copyOptions });
  // A copy that closes in profit pays its markup at once (the settlement sweeps any missed).
  trading.subscribe(async (event) => {
    if (event.type !== 'closed' || event.trade.source !== 'copy' || !event.trade.subscriptionId) return;
    try {
      const trade = await storage.repos.trades.findById(event.trade.id);
      if (trade) await commission.chargeMarkup(trade);
    } catch (error) {
      logger.warn({ event: 'commission.markup_failed', tradeId: event.trade.id, error: error instanceof Error ? error.message : String(error) }, 'A markup was not charged; the next settlement retries it');
    }
  });
  const strategies = createStrategyBotService({
    storage,
    clock,
    ids,
    logger,
    trading,
    definitions: [...definitions.values()],
    onSignal: hub && ((userId, signal) => hub.publish({ channel: 'signals', type: 'signal.created', userId, data: signalToWire(signal) })),
  });
  if (hub) {
    notifications.subscribe((n) => hub.publish({ channel: 'notifications', type: 'notification.created', userId: n.userId, data: notificationToWire(n) }));
    market.subscribe((c) =>
      hub.publish({
        channel: `ticks:${c.symbol}`,
        type: 'tick',
        userId: null,
        data: { symbol: c.symbol, interval: c.interval, open_time: c.openTime.toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume },
      }),
    );
  }
  // Every stored bar drives fills, stops and targets, then the bots on its symbol and interval.
  market.subscribe(async (candle) => {
    const bar = { ...candle, closeTime: new Date(candle.openTime.getTime() + intervalMs[candle.interval]) };
    // The bots trade for their own users: a failure in this bar's fills and stops (logged by the
    // market service) must not keep them from the bar.
    try {
      await trading.onBar(bar);
    } finally {
      await strategies.onBar(bar);
    }
  });
  // A backtest runs these same services on a scratch database and a clock it moves bar by bar.
  const scratchStorage = deps.scratchStorage;
  const openScratch =
    scratchStorage &&
    (async (setup: { currency: string; initialBalance: string }): Promise<Scratch> => {
      const scratch = await scratchStorage();
      const scratchClock = manualClock(new Date(0));
      try {
        const inner = createTradeplane({
          ...deps,
          storage: scratch,
          clock: scratchClock,
          ids: uuidV7Ids(scratchClock),
          wallets: { ...deps.wallets, defaultCurrency: setup.currency, demo: { balance: setup.initialBalance, balances: {}, maxBalances: {}, topUpsPerDay: 0, maxAccounts: 1 } },
          trading: { ...deps.trading, broker: undefined },
          scratchStorage: undefined,
          // A backtest's requests, entries and events are not this instance's.
          operations: { logRequests: false, events: false },
        });
        return { ...inner, storage: scratch, clock: scratchClock, close: () => scratch.close() };
      } catch (error) {
        await scratch.close();
        throw error;
      }
    });
  const backtests = createBacktestService({
    storage,
    clock,
    ids,
    logger,
    currencies: wallets.currencies,
    defaultCurrency: deps.wallets.defaultCurrency,
    openScratch,
    syncBars: deps.trading?.backtests?.syncBars ?? 10_000,
    maxBars: deps.trading?.backtests?.maxBars ?? 2_000_000,
    jobsPerUser: deps.trading?.backtests?.jobsPerUser ?? 2,
  });
  // Background work, each job run by one instance at a time (see JobRunner).
  let settledPeriod: string | undefined;
  const jobs = createJobRunner({
    storage,
    clock,
    ids,
    logger,
    jobs: [
      { module: 'copy', name: 'expire_subscriptions', everyMs: 60_000, run: async () => ({ expired: await copy.expireDue() }) },
      { module: 'wallets', name: 'expire_holds', everyMs: 60_000, run: async () => ({ expired: await wallets.expireHolds() }) },
      {
        module: 'copy',
        name: 'settle_commission',
        everyMs: 60_000,
        // Each period once it is over; settling is idempotent, so this only saves the scan.
        run: async () => {
          const last = commission.periodOf(new Date(commission.periodOf(clock.now()).start.getTime() - 1)).label;
          if (last === settledPeriod) return { period: last, settled: 'already' };
          const report = await commission.settle({ period: last });
          settledPeriod = last;
          return { ...report };
        },
      },
      {
        module: 'auth',
        name: 'purge_expired',
        everyMs: 60 * 60_000,
        run: async () => {
          const now = clock.now();
          return {
            refreshTokens: await storage.repos.refreshTokens.purgeExpired(now),
            revokedTokens: await storage.repos.revokedTokens.purgeExpired(now),
            // Spent stream tickets (and other single-use tokens) past their expiry.
            usedTokens: await storage.repos.usedTokens.purgeExpired(now),
            signInCounters: await auth.purgeThrottleCounters(),
            idempotencyKeys: await storage.repos.idempotency.purgeExpired(now),
            // Windows are at most a day long (see the engine's `rateLimits` option).
            rateLimitCounters: await storage.repos.rateLimits.purge(new Date(now.getTime() - 86_400_000)),
          };
        },
      },
    ].filter((job) => enabled.modules.has(job.module as ModuleName)),
  });

  const documents = new Map<string, OpenApiDocument>();
  const openapi = (basePath = '') => {
    let doc = documents.get(basePath);
    if (!doc) {
      doc = createOpenApiDocument(served, { version: deps.version, basePath });
      documents.set(basePath, doc);
    }
    return doc;
  };
  const health = () => checkHealth({ storage: deps.storage, clock: deps.clock, version: deps.version, startedAt, jobs: jobs.status });
  const ready = () => checkReadiness({ storage: deps.storage, migrations: deps.operations?.migrations });
  const status = async () => {
    const counts = await storage.repos.system.businessCounts();
    return { timestamp: clock.now().toISOString(), version: deps.version, users: counts.users, admins_active: counts.activeAdmins, open_positions: counts.openTrades, active_subscriptions: counts.activeSubscriptions };
  };

  const handlers: ContractHandlers<TradeplaneContract> = {
    system: systemHandlers({ health, ready, status, metrics: deps.operations?.metrics, openapi, jwks: () => auth.jwks() }),
    auth: authHandlers(auth),
    apiKeys: apiKeyHandlers(apiKeys),
    admin: adminHandlers(admin),
    ...walletHandlers(wallets),
    ...marketHandlers(market),
    ...tradingHandlers(trading),
    ...riskHandlers(risk, copy.reportProtectionEvent),
    ...botHandlers(strategies),
    ...backtestHandlers(backtests),
    ...copyHandlers(copy, commission),
    ...notificationHandlers(notifications),
    ...affiliateHandlers(affiliates),
    stream: {
      ticket: async ({ principal }) => {
        // The route takes access tokens only: a ticket is bound to the session that asked for it.
        if (principal.via !== 'session') throw new TradeplaneError('unauthenticated', 'Stream tickets are issued to signed-in sessions');
        const t = await stream.issueTicket(principal);
        return { ticket: t.ticket, expires_at: t.expiresAt.toISOString() };
      },
    },
  };
  const rateLimits = deps.operations?.rateLimits;
  const rateLimiter = rateLimits && createRateLimiter({ store: rateLimits.store ?? storage.repos.rateLimits, clock, rules: rateLimits.rules, failedAuth: rateLimits.failedAuth });
  const stream: StreamService = createStreamService({
    hub,
    storage,
    clock,
    ids,
    secret: deps.auth.jwtSecret,
    verifyAccessToken: (token) => auth.verifyAccessToken(token),
    // A bad ticket or token on the socket counts with every other failed credential from the address.
    failedAuthentication: rateLimiter && ((ip) => rateLimiter.failedAuthentication(ip)),
    observer: deps.operations?.observer,
  });

  const handle = createDispatcher({
    contract: served,
    handlers,
    authenticate: createAuthenticator(auth, apiKeys, copy.authenticateLicense),
    ids: deps.ids,
    logger: deps.logger,
    observer: deps.operations?.observer,
    logRequests: deps.operations?.logRequests,
    rateLimiter,
    ...deps.http,
  });

  return { auth, apiKeys, admin, wallets, market, risk, trading, strategies, backtests, copy, commission, affiliates, notifications, jobs, stream, handle, contract, openapi, health };
}
