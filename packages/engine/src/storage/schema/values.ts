/*
 * The values a text column may hold, listed once: a column's type takes its union from here and
 * its CHECK (where it has one) its SQL. Core declares the same sets as union types on its records
 * (`@tradeplane/core`); `schema.test.ts` fails to type-check when a list here and core's union differ.
 */

export const roles = ['user', 'viewer', 'admin'] as const;
export const userStatuses = ['active', 'pending', 'disabled'] as const;

export const accountKinds = ['demo', 'real', 'system'] as const;
export const systemAccountCodes = ['external', 'demo_faucet', 'demo_settlement', 'fees', 'commission', 'settlement', 'adjustments', 'receivable'] as const;
export const accountStatuses = ['active', 'frozen'] as const;
export const entryKinds = ['deposit', 'withdrawal', 'transfer', 'fee', 'commission', 'trade_settlement', 'adjustment', 'demo_faucet', 'refund', 'chargeback'] as const;
export const holdStatuses = ['pending', 'captured', 'released', 'expired'] as const;
export const withdrawalStatuses = ['pending', 'approved', 'paying', 'completed', 'rejected', 'failed', 'cancelled'] as const;
export const operatorCreditStatuses = ['pending_approval', 'completed', 'rejected'] as const;

export const tradeSides = ['BUY', 'SELL'] as const;
export const signalSides = ['BUY', 'SELL', 'HOLD'] as const;
export const orderTypes = ['market', 'limit', 'stop'] as const;
export const orderStatuses = ['pending', 'filled', 'cancelled', 'rejected'] as const;
export const tradeStatuses = ['open', 'closed'] as const;
export const tradeCloseReasons = ['manual', 'stop_loss', 'take_profit', 'stop_out', 'signal', 'copy'] as const;
export const tradeSources = ['manual', 'strategy', 'copy'] as const;

export const lockScopes = ['user', 'symbol', 'side'] as const;
export const protectionSources = ['risk', 'ea'] as const;
export const strategyStatuses = ['active', 'paused'] as const;
export const backtestStatuses = ['queued', 'running', 'completed', 'failed'] as const;

export const masterVisibilities = ['public', 'private'] as const;
export const copyModes = ['fixed', 'proportional', 'multiplier'] as const;
export const subscriptionStatuses = ['active', 'paused', 'cancelled', 'expired'] as const;
/** The subscriptions that still copy trades (or may again): at most one per follower and master. */
export const liveSubscriptionStatuses = ['active', 'paused'] as const satisfies readonly (typeof subscriptionStatuses)[number][];
export const commissionKinds = ['performance_fee', 'markup'] as const;

export const depositStatuses = ['pending', 'processing', 'succeeded', 'failed', 'canceled'] as const;
export const disputeStatuses = ['open', 'won', 'lost'] as const;
export const receivableStatuses = ['open', 'settled'] as const;
export const receivableCauses = ['refund', 'chargeback'] as const;

/** A plan subscription's status, as the billing provider reports it. */
export const planSubscriptionStatuses = ['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled'] as const;
