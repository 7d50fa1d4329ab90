/** The reasons a follower's trading terminal may give for refusing to copy a signal. */
export const reportedReasons = ['max_daily_loss', 'max_consecutive_losses', 'stake_out_of_range', 'spread_too_wide', 'slippage', 'market_closed', 'subscription_paused', 'other'] as const;

export type ReportedReason = (typeof reportedReasons)[number];
