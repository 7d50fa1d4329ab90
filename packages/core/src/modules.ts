import type { TradeplaneContract } from './contract/index.js';

/**
 * The parts of tradeplane an engine may serve (an `ENABLED_MODULES`-style list). A module mounts
 * its routes and runs its background jobs; every table exists whatever the modules, so turning
 * one on later needs no migration.
 */
export const moduleNames = ['auth', 'wallets', 'market', 'trading', 'copy', 'notifications'] as const;
export type ModuleName = (typeof moduleNames)[number];

/** Contract groups per module (`system` is always served). */
const GROUPS: Record<ModuleName, readonly (keyof TradeplaneContract)[]> = {
  auth: ['auth', 'apiKeys', 'admin'],
  wallets: ['accounts', 'wallet', 'billing', 'ledger', 'withdrawals', 'funding'],
  market: ['market'],
  trading: ['trades', 'orders', 'positions', 'risk', 'strategies', 'backtests'],
  copy: ['masters', 'subscriptions', 'license', 'commission', 'affiliates'],
  notifications: ['notifications', 'stream'],
};

/** What each module needs besides itself. */
const REQUIRES: Record<ModuleName, readonly ModuleName[]> = {
  auth: [],
  wallets: ['auth'],
  market: ['auth'],
  trading: ['auth', 'wallets', 'market'],
  copy: ['auth', 'wallets', 'market', 'trading'],
  notifications: ['auth'],
};

/** Checks a module list (unknown names, missing requirements) and returns the contract groups it serves. */
export function resolveModules(modules: readonly string[] | undefined): { modules: Set<ModuleName>; groups: Set<string> } {
  const chosen = new Set<ModuleName>(modules === undefined ? moduleNames : []);
  const problems: string[] = [];
  for (const name of modules ?? []) {
    if ((moduleNames as readonly string[]).includes(name)) chosen.add(name as ModuleName);
    else problems.push(`unknown module '${name}' (known: ${moduleNames.join(', ')})`);
  }
  for (const name of chosen) {
    for (const needed of REQUIRES[name]) if (!chosen.has(needed)) problems.push(`module '${name}' needs '${needed}'`);
  }
  if (problems.length > 0) throw new TypeError(`Invalid modules: ${problems.join('; ')}`);
  const groups = new Set<string>(['system']);
  for (const name of chosen) for (const group of GROUPS[name]) groups.add(group);
  return { modules: chosen, groups };
}
