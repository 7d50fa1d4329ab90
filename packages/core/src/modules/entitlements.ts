import type { Repositories } from '../ports/storage.js';

/**
 * What a plan limits that other modules enforce: counts of things a user holds or starts
 * (`maxBots`, `backtestsPerDay`, `maxApiKeys`, `maxCopySubscriptions`) and the real-money
 * feature (`realMoneyTrading`).
 */
export type GatedEntitlement = 'maxBots' | 'backtestsPerDay' | 'maxApiKeys' | 'maxCopySubscriptions' | 'realMoneyTrading';

/** The check modules run before they create what a plan limits. */
export interface EntitlementGate {
  /**
   * Throws `plan_limit` (naming the entitlement, the limit and the plan) when the user's plan does
   * not allow one more of `entitlement`, or does not include the feature. Run it in the
   * transaction that writes the counted thing: it locks the user's row first (`lock: false` for a
   * read-only early check), so two requests racing for the last slot are counted one after the other.
   */
  check(tx: Repositories, userId: string, entitlement: GatedEntitlement, options?: { lock?: boolean }): Promise<void>;
}

/** The kernel's seam: modules call `check`; the module that holds plans `provide`s the gate. */
export interface EntitlementSeam extends EntitlementGate {
  /** Whether a gate is provided: without one every check passes, and callers may skip work done only for it. */
  readonly active: boolean;
  provide(gate: EntitlementGate): void;
}

/** Every check passes until a module provides a gate (no plans configured: nothing is limited). */
export function createEntitlementSeam(): EntitlementSeam {
  let gate: EntitlementGate | undefined;
  return {
    get active() {
      return gate !== undefined;
    },
    provide(provided) {
      if (gate) throw new TypeError('An entitlement gate is already provided');
      gate = provided;
    },
    check: (tx, userId, entitlement, options) => (gate ? gate.check(tx, userId, entitlement, options) : Promise.resolve()),
  };
}
