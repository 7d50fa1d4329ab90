import { createAuditLog } from './audit/audit-log.js';
import { createAuthenticator } from './auth/authenticate.js';
import type { AuthOptions } from './auth/options.js';
import { withCommitHooks } from './commit-hooks.js';
import type { CopyOptionsInput } from './copy/options.js';
import { contract, type TradeplaneContract } from './contract/index.js';
import type { Contract } from './contract/route.js';
import { TradeplaneError } from './errors.js';
import { createDispatcher, type CorsOptions, type Dispatcher } from './http/dispatcher.js';
import { createRateLimiter, type RateLimitRule, type RateLimitRules, type RateLimitStore } from './http/rate-limit.js';
import type { ContractHandlers } from './http/types.js';
import { type BuiltinModules, builtinModules } from './modules/builtin.js';
import { createEntitlementSeam } from './modules/entitlements.js';
import { type AnyModule, createHooks, type HandlerContext, type ModuleContext, type ModuleServices, type Terminals } from './modules/define.js';
import { type ModuleName, resolveModules } from './modules/resolve.js';
import { createOpenApiDocument, type OpenApiDocument } from './openapi/document.js';
import type { FundingProvider, PayoutProvider } from './payments/provider.js';
import type { PlansOptionsInput } from './plans/options.js';
import type { Clock, Ids, Logger, Observer, Storage } from './ports/index.js';
import type { AuditRecord, Repositories, UserRecord } from './ports/storage.js';
import { createStreamHub, type EventTransport } from './stream/hub.js';
import { watchCredentialChanges } from './stream/revocations.js';
import { createStreamService, type StreamService } from './stream/service.js';
import { checkHealth, checkReadiness, type HealthReport, type MetricsEndpoint, type MigrationStatus, systemHandlers } from './system/handlers.js';
import { createJobRunner, type JobDefinition, type JobRunner } from './system/jobs.js';
import type { TradingOptions } from './trading/options.js';
import type { WalletOptions } from './wallets/options.js';

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
  /**
   * Payment providers real money enters through (`POST /wallet/deposits`, `POST /webhooks/{provider}`),
   * and payout providers approved withdrawals leave through (`manual` is built in).
   */
  payments?: { providers?: readonly FundingProvider[]; payouts?: readonly PayoutProvider[] };
  /** Plans, their entitlements and the billing providers paid plans are bought through; without it nothing is limited (see docs/plans.md). */
  plans?: PlansOptionsInput;
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


/** What every engine has besides its modules' services. */
export interface TradeplaneKernel {
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

/**
 * The services and the HTTP entry point, independent of database driver and host: the services
 * of every built-in module (`auth`, `apiKeys`, `admin`, `wallets`, `trading`, `copy`, …) and the kernel.
 * `@tradeplane/engine` builds one of these around a real database; adapters call `handle`.
 */
export type Tradeplane = TradeplaneKernel & ModuleServices<BuiltinModules>;

export type { StreamService };

const noTerminals: Terminals = {
  authenticate: async () => {
    throw new TradeplaneError('unauthenticated', 'No module issues license tokens here', { headers: { 'www-authenticate': 'License realm="tradeplane"' } });
  },
  reportProtectionEvent: async () => {
    throw new TradeplaneError('unauthenticated', 'No module issues license tokens here');
  },
};

/**
 * Builds every module of the list in order and serves the chosen ones: their routes go to the
 * dispatcher and their jobs to the job runner. Most users call `createEngine` instead.
 */
export function createTradeplane(deps: TradeplaneDeps): Tradeplane {
  const startedAt = deps.clock.now();
  const { clock, ids, logger } = deps;
  const modules: readonly AnyModule[] = builtinModules;
  const enabled = resolveModules(deps.modules, modules);
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
  const hooks = { userCreated: createHooks<[Repositories, UserRecord]>(), auditRecorded: createHooks<[Repositories, AuditRecord]>() };
  const audit = createAuditLog({ storage, clock, ids, logger, onRecordedIn: hooks.auditRecorded.run });
  const ctx: ModuleContext = {
    deps,
    storage,
    clock,
    ids,
    logger,
    observer: deps.operations?.observer,
    audit,
    afterCommit,
    hub,
    hooks,
    entitlements: createEntitlementSeam(),
    rebuild: (overrides) => createTradeplane({ ...deps, ...overrides }),
  };

  // Each module is built from the services of the modules before it.
  const byName: Record<string, object> = {};
  const built = modules.map((module) => {
    const used: Record<string, object> = {};
    for (const u of module.uses as readonly AnyModule[]) {
      const services = byName[u.name];
      if (!services) throw new TypeError(`Module '${module.name}' uses '${u.name}', which must come before it in the module list`);
      used[u.name] = services;
    }
    const services = module.create(ctx, used);
    byName[module.name] = services;
    return { module, services };
  });
  const all = Object.assign({}, ...built.map((b) => b.services)) as ModuleServices<BuiltinModules>;
  const chosen = built.filter((b) => enabled.modules.has(b.module.name));

  const jobs = createJobRunner({ storage, clock, ids, logger, jobs: chosen.flatMap((b): JobDefinition[] => b.module.jobs?.(b.services, ctx) ?? []) });
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

  const rateLimits = deps.operations?.rateLimits;
  const rateLimiter = rateLimits && createRateLimiter({ store: rateLimits.store ?? storage.repos.rateLimits, clock, rules: rateLimits.rules, failedAuth: rateLimits.failedAuth });
  const { auth, apiKeys } = all;
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
  const terminalsFrom = built.find((b) => b.module.terminals);
  const terminals = terminalsFrom?.module.terminals?.(terminalsFrom.services) ?? noTerminals;
  const handlerContext: HandlerContext = { stream, terminals };
  // Every module's handlers exist (a module's routes are simply not mounted when it isn't served).
  const handlers = Object.assign(
    { system: systemHandlers({ health, ready, status, metrics: deps.operations?.metrics, openapi, jwks: () => auth.jwks(), asyncapi: { version: deps.version, events: modules.flatMap((m) => m.events ?? []) } }) },
    ...built.map((b) => b.module.handlers(b.services, handlerContext)),
  ) as ContractHandlers<TradeplaneContract>;

  const handle = createDispatcher({
    contract: served,
    handlers,
    authenticate: createAuthenticator(auth, apiKeys, terminalsFrom ? terminals.authenticate : undefined),
    ids: deps.ids,
    logger: deps.logger,
    observer: deps.operations?.observer,
    logRequests: deps.operations?.logRequests,
    rateLimiter,
    ...deps.http,
  });

  return { ...all, jobs, stream, handle, contract, openapi, health };
}
