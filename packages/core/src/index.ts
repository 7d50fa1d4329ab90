/**
 * @tradeplane/core — domain services, the HTTP contract and the framework-neutral dispatcher.
 * Imports no database driver, ORM or web framework.
 */
export { createTradeplane } from './tradeplane.js';
export type { Tradeplane, TradeplaneDeps, TradeplaneKernel, StreamService } from './tradeplane.js';
export { isStreamChannel } from './stream/hub.js';
export { moduleNames, resolveModules } from './modules/resolve.js';
export type { ModuleName } from './modules/resolve.js';
export { builtinModules } from './modules/builtin.js';
export { defineModule } from './modules/define.js';
export { standardWebhooksProvider } from './payments/standard-webhooks-provider.js';
export type { StandardWebhooksProviderOptions } from './payments/standard-webhooks-provider.js';
export type { FundingProvider, DepositIntentRequest, DepositIntent, ProviderWebhook, ProviderEvent, RefundRequest, PayoutProvider, PayoutRequest } from './payments/provider.js';
export type { BillingProvider, BillingEvent, BillingSubscriptionStatus, PlanCheckoutRequest } from './plans/provider.js';
export { plansOptionsSchema } from './plans/options.js';
export type { PlansOptionsInput, PlansOptions, Entitlements } from './plans/options.js';
export type { PlanService, PlanState, PlanCatalog, PlanChange } from './plans/service.js';
export type { EntitlementGate, EntitlementSeam, GatedEntitlement } from './modules/entitlements.js';
export type { PaymentService, Deposit, DepositRequested, Dispute, Receivable } from './payments/service.js';
export type { ModuleDefinition, ModuleContext, HandlerContext, Terminals, Hooks } from './modules/define.js';
export type { StreamEvent, EventTransport, StreamListener } from './stream/hub.js';
export type { StreamPrincipal } from './stream/service.js';
export { defineEvent, publish, streamChannels } from './stream/events.js';
export type { EventDefinition, AnyEventDefinition, EventParam, EventAudience, EventMessage, EventTypeOf, EventChannelOf, EventDataOf } from './stream/events.js';
export { createAsyncApiDocument } from './stream/asyncapi.js';
export type { AsyncApiDocument, AsyncApiOptions } from './stream/asyncapi.js';
export { tradingOptionsSchema } from './trading/options.js';
export type { TradingOptions, TradingOptionsInput } from './trading/options.js';

// Errors
export { TradeplaneError, isTradeplaneError, toProblem, problemType, errorCatalog } from './errors.js';
export type { ErrorCode, FieldError, ProblemDetails } from './errors.js';

// Contract
export {
  contract,
  defineRoute,
  allowedRoles,
  routeErrors,
  listRoutes,
  problemSchema,
  userSchema,
  tokenPairSchema,
  sessionSchema,
  apiKeySchema,
  auditLogSchema,
  apiKeyScopes,
  healthSchema,
  accountSchema,
  transactionSchema,
  movementSchema,
  amountSchema,
  candleSchema,
  tickerSchema,
} from './contract/index.js';
export type { RawBodyOption } from './contract/route.js';
export type { TradeplaneContract, RouteDefinition, Contract, HttpMethod, AuthKind, RateLimitGroup, ApiKeyScope } from './contract/index.js';

// HTTP
export { createDispatcher } from './http/dispatcher.js';
export type { Dispatcher, DispatcherOptions } from './http/dispatcher.js';
export { reply, headerValue, queryFromPairs, cookieModeFrom } from './http/types.js';
export type { HttpRequest, HttpResponse, RequestMeta, HandlerInput, RouteHandler, ContractHandlers, Reply, CookieMode } from './http/types.js';

// Webhooks: signed callbacks, verified against a raw-body route's `rawBody`
export { verifyStandardWebhook, STANDARD_WEBHOOK_HEADERS } from './webhooks/standard-webhooks.js';
export type { StandardWebhookInput, VerifiedWebhook } from './webhooks/standard-webhooks.js';

// OpenAPI
export { createOpenApiDocument } from './openapi/document.js';
export type { OpenApiDocument, OpenApiOptions } from './openapi/document.js';

// Auth
export { authOptionsSchema } from './auth/options.js';
export type { AuthOptions, AuthOptionsInput, SigningKeyInput, OidcProviderOptions } from './auth/options.js';
export type { AuthService, Principal, SessionPrincipal, User, TokenPair, SessionInfo } from './auth/service.js';
export type { ApiKeyService, ApiKeyPrincipal } from './auth/api-keys.js';
export { generateSigningKey } from './auth/tokens.js';
export type { AccessTokenClaims } from './auth/tokens.js';
export type { AdminService } from './admin/service.js';
export type { RequestContext } from './audit/audit-log.js';
export type { HealthReport, Readiness, MigrationStatus, MetricsEndpoint } from './system/handlers.js';
export type { JobRunner, JobDefinition, JobStatus } from './system/jobs.js';
export { defaultRateLimits, defaultFailedAuthLimit, createRateLimiter, memoryRateLimitStore } from './http/rate-limit.js';
export type { RateLimitRule, RateLimitRules, RateLimitStore, RateLimiter } from './http/rate-limit.js';

// Money: exact amounts (minor units as bigint inside, decimal strings on the wire)
export { createCurrencyRegistry, MAX_MINOR_UNITS } from './money/currency.js';
export type { Currency, CurrencyRegistry } from './money/currency.js';
export { parseAmount, formatAmount } from './money/amount.js';
export type { AmountProblem } from './money/amount.js';

// Ports
export { systemClock, manualClock, uuidV7Ids, sequentialIds, consoleLogger, silentLogger } from './ports/index.js';
export type { Clock, ManualClock, Ids, Logger, Observer, RequestObservation } from './ports/index.js';
export type {
  Storage,
  Repositories,
  UsersRepository,
  SessionsRepository,
  RefreshTokensRepository,
  RevokedTokensRepository,
  UserRecord,
  SessionRecord,
  AuthState,
  RefreshTokenRecord,
  RevokedAccessToken,
  Role,
  UserStatus,
  UserChanges,
  UserListFilter,
  AuditRecord,
  AuditFilter,
  AuditRepository,
  ThrottleState,
  LoginThrottleRepository,
  ApiKeyRecord,
  ApiKeyAuthState,
  ApiKeysRepository,
  IdentityRecord,
  IdentitiesRepository,
  AccountKind,
  AccountStatus,
  SystemAccountCode,
  AccountRecord,
  EntryKind,
  JournalEntryRecord,
  PostingRecord,
  PostingWithEntry,
  PostingFilter,
  HoldStatus,
  HoldRecord,
  LedgerCheck,
  AccountsRepository,
  JournalRepository,
  HoldsRepository,
  IdempotencyRecord,
  AccountState,
  MovementStatement,
  MovementLine,
  MovementBalances,
  IdempotencyRepository,
  CandleRecord,
  CandleRange,
  CandlesRepository,
  TradeSide,
  OrderType,
  OrderStatus,
  TradeStatus,
  TradeCloseReason,
  TradeSource,
  OrderRecord,
  OrderChanges,
  TradeRecord,
  TradeClose,
  TradeFilter,
  OrderFilter,
  OrdersRepository,
  TradesRepository,
  RiskProfileRecord,
  RiskLockRecord,
  ProtectionEventRecord,
  ProtectionEventFilter,
  ProtectionEventGrouping,
  RiskRepository,
  StrategyRecord,
  SignalRecord,
  BacktestRecord,
  BacktestStatus,
  StrategiesRepository,
  SignalsRepository,
  BacktestsRepository,
  MasterRecord,
  SubscriptionRecord,
  SubscriptionStatus,
  CopyMode,
  CopyRepository,
  CommissionKind,
  CommissionChargeRecord,
  CopyResult,
  CommissionRepository,
  AffiliateCodeRecord,
  ReferralRecord,
  AffiliatesRepository,
  NotificationRecord,
  NotificationsRepository,
  JobRecord,
  JobsRepository,
  BusinessCounts,
  SystemRepository,
  RateLimitsRepository,
  UsedTokensRepository,
  WithdrawalStatus,
  WithdrawalRecord,
  WithdrawalsRepository,
  WithdrawalApprovalRecord,
  WithdrawalChange,
  OperatorCreditStatus,
  OperatorCreditRecord,
  OperatorCreditsRepository,
  DepositStatus,
  DepositRecord,
  DepositFilter,
  DepositsRepository,
  ProviderEventRecord,
  ProviderEventsRepository,
  DisputeStatus,
  DisputeRecord,
  DisputesRepository,
  ReceivableStatus,
  ReceivableRecord,
  ReceivablesRepository,
  PlanSubscriptionStatus,
  PlanSubscriptionRecord,
  PlanSubscriptionsRepository,
  PlanUsage,
} from './ports/storage.js';

export { candleIntervals, intervalMs } from './market/intervals.js';
export type { CandleInterval } from './market/intervals.js';
export type { MarketDataService, CandleInput, StoredCandle, Ticker, CandleQuery } from './market/service.js';
export { walletOptionsSchema } from './wallets/options.js';
export type { WalletOptions, WalletOptionsInput } from './wallets/options.js';
export { isReplayed } from './idempotency/idempotency.js';
export type {
  WalletService,
  LedgerSteps,
  Account,
  Transaction,
  Movement,
  Hold,
  BalanceTotal,
  LedgerReport,
  MoneyInput,
  TransferInput,
  TransactionFilter,
  HoldInput,
  CaptureInput,
} from './wallets/service.js';
export { OPERATOR_SOURCE } from './wallets/funding.js';
export type { FundingLedger, FundingService, DepositConfirmation, Withdrawal, WithdrawalApproval, WithdrawalInput, WithdrawalRequested, OperatorCredit } from './wallets/funding.js';

// Trading and risk
export { createPaperBroker } from './trading/broker.js';
export type { Broker, PaperBroker, PaperBrokerOptions, BrokerOrder, BrokerBar, BrokerPosition, Fill, PlaceOrderResult, Quote } from './trading/broker.js';
export { stakePnl, stakeForQuantity, exactPrice } from './trading/pricing.js';
export type { CopyService, Master, MasterInput, Subscription, SubscriptionInput, IssuedLicense, LicensePrincipal, LicenseVerdict } from './copy/service.js';
export type { CommissionService, CommissionCharge, SettlementReport, SettlementPeriod } from './copy/commission.js';
export { copyOptionsSchema } from './copy/options.js';
export type { CopyOptions, CopyOptionsInput } from './copy/options.js';
export type { AffiliateService, AffiliateCode, AffiliateStats } from './affiliates/service.js';
export type { NotificationService, Notification, NotificationInput, NotificationListener } from './notifications/service.js';
export type { ReportedProtectionEvent } from './risk/service.js';
export { reportedReasons } from './risk/reasons.js';
export type { ReportedReason } from './risk/reasons.js';
export { orderFillPrice, exitOnBar } from './trading/triggers.js';
export type { PriceBar, ExitLevels } from './trading/triggers.js';
export type { TradingService, Trade, TradeEvent, Order, Position, TradeProfit, OrderInput, ListFilter } from './trading/service.js';
export type { RiskService, RiskProfile, RiskProfileUpdate, RiskLockView, ProtectionEvent, RiskCheck, RiskVerdict } from './risk/service.js';
export type { StrategyBotService, Bot, BotInput, SignalView } from './trading/bots.js';
export type { BacktestService, Backtest, BacktestInput } from './backtests/service.js';
export type { BacktestSummary, BacktestTrade } from './backtests/runner.js';
export type { AnyStrategyDefinition, StrategyDefinition } from './signals/strategies/strategy.js';
