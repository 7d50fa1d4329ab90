/**
 * The storage port. Services never see SQL: they ask for repositories, and every service
 * method that writes does so inside exactly one `storage.transaction(...)`.
 *
 * `@tradeplane/engine` implements this for SQLite and PostgreSQL; both implementations pass
 * one shared conformance suite, so the services behave the same on either database.
 */
import type { AffiliatesRepository } from '../affiliates/records.js';
import type { AuditRepository } from '../audit/records.js';
import type { ApiKeysRepository, IdentitiesRepository, LoginThrottleRepository, RefreshTokensRepository, RevokedTokensRepository, SessionsRepository, UsersRepository } from '../auth/records.js';
import type { BacktestsRepository } from '../backtests/records.js';
import type { CommissionRepository, CopyRepository } from '../copy/records.js';
import type { IdempotencyRepository } from '../idempotency/records.js';
import type { CandlesRepository } from '../market/records.js';
import type { NotificationsRepository } from '../notifications/records.js';
import type { DepositsRepository, DisputesRepository, ProviderEventsRepository, ReceivablesRepository } from '../payments/records.js';
import type { PlanSubscriptionsRepository } from '../plans/records.js';
import type { RiskRepository } from '../risk/records.js';
import type { JobsRepository, RateLimitsRepository, SystemRepository, UsedTokensRepository } from '../system/records.js';
import type { OrdersRepository, SignalsRepository, StrategiesRepository, TradesRepository } from '../trading/records.js';
import type { AccountState, AccountsRepository, HoldsRepository, JournalRepository, MovementStatement, OperatorCreditsRepository, WithdrawalsRepository } from '../wallets/records.js';

// Each module declares its own records and repositories (`<module>/records.ts`); they are
// re-exported here so that the port stays importable as a whole, from here or from `ports/index.ts`.
export type * from '../auth/records.js';
export type * from '../audit/records.js';
export type * from '../wallets/records.js';
export type * from '../idempotency/records.js';
export type * from '../market/records.js';
export type * from '../trading/records.js';
export type * from '../risk/records.js';
export type * from '../backtests/records.js';
export type * from '../copy/records.js';
export type * from '../affiliates/records.js';
export type * from '../notifications/records.js';
export type * from '../system/records.js';
export type * from '../payments/records.js';
export type * from '../plans/records.js';

export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  refreshTokens: RefreshTokensRepository;
  revokedTokens: RevokedTokensRepository;
  audit: AuditRepository;
  loginThrottle: LoginThrottleRepository;
  apiKeys: ApiKeysRepository;
  identities: IdentitiesRepository;
  accounts: AccountsRepository;
  journal: JournalRepository;
  holds: HoldsRepository;
  idempotency: IdempotencyRepository;
  candles: CandlesRepository;
  orders: OrdersRepository;
  trades: TradesRepository;
  risk: RiskRepository;
  strategies: StrategiesRepository;
  signals: SignalsRepository;
  backtests: BacktestsRepository;
  copy: CopyRepository;
  commission: CommissionRepository;
  affiliates: AffiliatesRepository;
  notifications: NotificationsRepository;
  jobs: JobsRepository;
  system: SystemRepository;
  rateLimits: RateLimitsRepository;
  usedTokens: UsedTokensRepository;
  withdrawals: WithdrawalsRepository;
  operatorCredits: OperatorCreditsRepository;
  deposits: DepositsRepository;
  providerEvents: ProviderEventsRepository;
  disputes: DisputesRepository;
  receivables: ReceivablesRepository;
  plans: PlanSubscriptionsRepository;
}

export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one database transaction: it commits if `fn` resolves and rolls back if it
   * throws (the error is re-thrown). Nested calls are not supported.
   */
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Single-statement reads and writes outside an explicit transaction. */
  readonly repos: Repositories;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: commits a whole two-posting movement (balances, entry, postings, Idempotency-Key,
   * notification) at once, everything decided up front except the resulting balances. Both
   * built-in storages have it: PostgreSQL as one statement, one round trip (there a transaction's
   * round trips, not its statements, are most of a movement's cost), movements that arrive
   * together sharing one statement and one commit, each still all or nothing; SQLite as compiled
   * statements run back to back without the general path's work between them. Resolves to the two
   * accounts' states after it (in `lines` order), or to `undefined` when it wrote nothing
   * because the happy path did not apply — a debit not covered, a balance out of range, the key
   * already stored — and the caller must run its general path, which knows what to do about
   * each. Any other failure rejects, also having written nothing.
   */
  postMovement?(movement: MovementStatement): Promise<[AccountState, AccountState] | undefined>;
}
