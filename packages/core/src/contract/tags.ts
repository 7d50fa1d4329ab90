/** What each tag's routes are for: the OpenAPI document shows it above them. */
export const tagDescriptions: Readonly<Record<string, string>> = {
  wallet:
    'Your money. Demo accounts are topped up from the demo faucet within caps. Real accounts are never credited on request: real money enters only on a funding provider’s verified confirmation or an audited operator credit, and a withdrawal from a real account holds the amount until an operator or the provider completes it.',
  funding:
    'Operators moving real money: credits to real accounts (audited; above the configured amount a second operator must approve) and the completion or rejection of pending withdrawals (audited). Funding providers use the same paths in-process once they have verified an event.',
};
