import { MAX_MINOR_UNITS } from '@tradeplane/core';

/**
 * The range an account's balance must be in for `balance + delta` to stay within the signed
 * 64-bit range (±(2^63 − 1) minor units), as bounds on the balance *before* the change: checked
 * that way, no intermediate value overflows (SQLite would turn an overflowing integer into a
 * float rather than fail).
 */
export function balanceRange(delta: bigint): { low: bigint; high: bigint } {
  return delta > 0n ? { low: -MAX_MINOR_UNITS, high: MAX_MINOR_UNITS - delta } : { low: -MAX_MINOR_UNITS - delta, high: MAX_MINOR_UNITS };
}

/** An account row's columns, and one balance change's values, as a SQL builder's parts. */
interface GuardParts<T> {
  balance: T;
  held: T;
  kind: T;
  delta: T;
  heldDelta: T;
  low: T;
  high: T;
}

/**
 * The ledger's one rule for a balance change: it leaves the balance within range (see
 * `balanceRange`), and a user account's balance still covers what it holds (the held amount
 * itself never below zero). System accounts — the ledger's other side — may go negative.
 *
 * Written once as a template over any SQL builder: drizzle's `sql` for the repositories'
 * prepared statements, `sqlText` for the movement statements written in plain SQL.
 */
export function balanceGuard<T, R>(build: (strings: TemplateStringsArray, ...values: T[]) => R, p: GuardParts<T>): R {
  return build`${p.balance} between ${p.low} and ${p.high} and (${p.kind} = 'system' or (${p.balance} + ${p.delta} >= ${p.held} + ${p.heldDelta} and ${p.held} + ${p.heldDelta} >= 0))`;
}

/** A template tag that joins plain SQL text. */
export function sqlText(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((text, part, i) => text + part + (i < values.length ? values[i] : ''), '');
}
