import type { AuditLog } from '../audit/audit-log.js';
import type { TradeplaneContract } from '../contract/index.js';
import type { EntitlementSeam } from './entitlements.js';
import type { ContractHandlers } from '../http/types.js';
import type { Clock, Ids, Logger, Observer } from '../ports/index.js';
import type { LicensePrincipal } from '../ports/principals.js';
import type { AuditRecord, Repositories, Storage, UserRecord } from '../ports/storage.js';
import type { ProtectionEvent, ReportedProtectionEvent } from '../risk/service.js';
import type { AnyEventDefinition } from '../stream/events.js';
import type { StreamHub } from '../stream/hub.js';
import type { StreamService } from '../stream/service.js';
import type { JobDefinition } from '../system/jobs.js';
import type { Tradeplane, TradeplaneDeps } from '../tradeplane.js';

/**
 * What a module is given to build its services: the engine's ports (storage already wrapped so
 * that `afterCommit` works), the audit log, the stream hub, and the hooks other modules run.
 */
export interface ModuleContext {
  readonly deps: TradeplaneDeps;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly logger: Logger;
  readonly observer: Observer | undefined;
  readonly audit: AuditLog;
  /** Runs `fn` once the transaction `tx` commits (never if it rolls back). */
  afterCommit(tx: Repositories, fn: () => void): void;
  /** Real-time events; absent when the stream is off (`events: false`, a backtest's scratch engine). */
  readonly hub: StreamHub | undefined;
  readonly hooks: {
    /** Run in the sign-up transaction once the user row is written; a throw rolls the sign-up back. */
    readonly userCreated: Hooks<[tx: Repositories, user: UserRecord]>;
    /** Run in the audited action's transaction after each audit record. */
    readonly auditRecorded: Hooks<[tx: Repositories, record: AuditRecord]>;
  };
  /**
   * What the user's plan allows: modules call `check` where they create what a plan limits (in
   * the creating transaction); the plans module provides the gate. Without plans every check passes.
   */
  readonly entitlements: EntitlementSeam;
  /** Builds another engine from these deps with some replaced (a backtest's scratch engine). */
  rebuild(overrides: Partial<TradeplaneDeps>): Tradeplane;
}

/** Work other modules add to one of a module's steps, run in the order added. */
export interface Hooks<A extends unknown[]> {
  add(hook: (...args: A) => Promise<void>): void;
  run(...args: A): Promise<void>;
}

export function createHooks<A extends unknown[]>(): Hooks<A> {
  const hooks: ((...args: A) => Promise<void>)[] = [];
  return {
    add: (hook) => void hooks.push(hook),
    async run(...args) {
      for (const hook of hooks) await hook(...args);
    },
  };
}

/**
 * What trading terminals — callers holding a license token rather than a session — may do. The
 * module that issues license tokens provides it; routes with `auth: 'license'` use it.
 */
export interface Terminals {
  authenticate(token: string): Promise<LicensePrincipal>;
  reportProtectionEvent(principal: LicensePrincipal, input: ReportedProtectionEvent): Promise<{ event: ProtectionEvent; created: boolean }>;
}

/** What handlers may reach beyond their own module's services. */
export interface HandlerContext {
  readonly stream: StreamService;
  /** Throws `unauthenticated` when no module issues license tokens. */
  readonly terminals: Terminals;
}

/** Any module, as a module list holds them (its services' and routes' types erased). */
export interface AnyModule {
  readonly name: string;
  readonly requires: readonly string[];
  readonly uses: readonly AnyModule[];
  readonly routes: readonly string[];
  readonly events?: readonly AnyEventDefinition[];
  create(ctx: ModuleContext, used: any): object;
  handlers(own: any, ctx: HandlerContext): object;
  jobs?(own: any, ctx: ModuleContext): JobDefinition[];
  terminals?(own: any): Terminals;
}

/** The services of the modules in `U`, by module name. */
export type ServicesByName<U extends readonly AnyModule[]> = { [M in U[number] as M['name']]: ReturnType<M['create']> };

/**
 * One capability of tradeplane: its routes (contract groups), its services, the handlers that
 * answer its routes and its background jobs. `createTradeplane` builds the modules of its list in
 * order and serves the chosen ones.
 */
export interface ModuleDefinition<N extends string, S extends object, U extends readonly AnyModule[], G extends keyof TradeplaneContract> {
  readonly name: N;
  /** Modules that must be served with this one (whose routes sign callers in, hold the accounts…). */
  readonly requires: readonly string[];
  /** Modules whose services this one's services are built on; they come earlier in the list. */
  readonly uses: U;
  /** The contract groups this module serves. */
  readonly routes: readonly G[];
  /** The real-time events its services publish (the stream's channels and `/asyncapi.json` derive from these). */
  readonly events?: readonly AnyEventDefinition[];
  /** Builds the services (each module's services exist whether or not it is served: others may call them). */
  create(ctx: ModuleContext, used: ServicesByName<U>): S;
  /** One handler per route of its groups. */
  handlers(own: S, ctx: HandlerContext): Pick<ContractHandlers<TradeplaneContract>, G>;
  /** Background jobs, run (each by one instance at a time) while the module is served. */
  jobs?(own: S, ctx: ModuleContext): JobDefinition[];
  /** Set by the module that issues license tokens to trading terminals. */
  terminals?(own: S): Terminals;
}

/** Declares a module; the identity function that lets TypeScript infer its services and routes. */
export function defineModule<const N extends string, S extends object, const U extends readonly AnyModule[], G extends keyof TradeplaneContract>(
  definition: ModuleDefinition<N, S, U, G>,
): ModuleDefinition<N, S, U, G> {
  return definition;
}

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

/** Every service of a module list, flattened (`{ auth, apiKeys, …, wallets, … }`). */
export type ModuleServices<L extends readonly AnyModule[]> = UnionToIntersection<ReturnType<L[number]['create']>>;
