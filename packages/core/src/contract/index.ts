/**
 * The contract: every HTTP route tradeplane serves, declared once. Groups become the
 * generated client's namespaces (`api.auth.login`), route ids its operation ids.
 */
import { authRoutes } from './auth.js';
import { systemRoutes } from './system.js';
import { apiKeyRoutes } from './api-keys.js';
import { adminRoutes } from './admin.js';
import { accountRoutes, billingRoutes, fundingRoutes, ledgerRoutes, walletRoutes, withdrawalRoutes } from './wallets.js';
import { marketRoutes } from './market.js';
import { orderRoutes, positionRoutes, tradeRoutes } from './trading.js';
import { riskRoutes } from './risk.js';
import { strategyRoutes } from './strategies.js';
import { backtestRoutes } from './backtests.js';
import { commissionRoutes, licenseRoutes, masterRoutes, subscriptionRoutes } from './copy.js';
import { notificationRoutes } from './notifications.js';
import { affiliateRoutes } from './affiliates.js';
import { streamRoutes } from './stream.js';
import { depositRoutes, paymentOperationsRoutes, webhookRoutes } from './payments.js';
import { planRoutes } from './plans.js';
import type { Contract } from './route.js';

export const contract = {
  system: systemRoutes,
  auth: authRoutes,
  apiKeys: apiKeyRoutes,
  admin: adminRoutes,
  accounts: accountRoutes,
  wallet: walletRoutes,
  billing: billingRoutes,
  ledger: ledgerRoutes,
  withdrawals: withdrawalRoutes,
  funding: fundingRoutes,
  market: marketRoutes,
  trades: tradeRoutes,
  orders: orderRoutes,
  positions: positionRoutes,
  risk: riskRoutes,
  strategies: strategyRoutes,
  backtests: backtestRoutes,
  masters: masterRoutes,
  subscriptions: subscriptionRoutes,
  license: licenseRoutes,
  commission: commissionRoutes,
  affiliates: affiliateRoutes,
  notifications: notificationRoutes,
  stream: streamRoutes,
  deposits: depositRoutes,
  webhooks: webhookRoutes,
  paymentOperations: paymentOperationsRoutes,
  plans: planRoutes,
} as const satisfies Contract;

export type TradeplaneContract = typeof contract;

export { defineRoute, allowedRoles, routeErrors, listRoutes, rateLimitGroup } from './route.js';
export type { RouteDefinition, Contract, HttpMethod, AuthKind, RateLimitGroup } from './route.js';
export { problemSchema, fieldErrorSchema, timestamp, IDEMPOTENCY_KEY } from './common.js';
export { accountSchema, transactionSchema, movementSchema, amountSchema, withdrawalSchema, withdrawResultSchema, operatorCreditSchema } from './wallets.js';
export { userSchema, tokenPairSchema, sessionSchema } from './auth.js';
export { apiKeySchema } from './api-keys.js';
export { auditLogSchema } from './admin.js';
export { apiKeyScopes, apiKeyScopeSchema } from './scopes.js';
export type { ApiKeyScope } from './scopes.js';
export { healthSchema } from './system.js';
export { candleSchema, tickerSchema, symbolSchema } from './market.js';
export { tradeSchema, orderSchema, positionSchema } from './trading.js';
export { riskProfileSchema, riskLockSchema, protectionEventSchema } from './risk.js';
export { botSchema, signalSchema } from './strategies.js';
export { backtestSchema, backtestTradeSchema, backtestMetricsSchema } from './backtests.js';
export { masterSchema, subscriptionSchema, commissionChargeSchema } from './copy.js';
export { notificationSchema } from './notifications.js';
