/**
 * Benches call `record(...)` beside what they print: when `pnpm bench` runs them, it sets
 * BENCH_RECORD to a file and collects these rows into bench/RESULTS.md. Run alone, a bench
 * only prints.
 */
import { appendFileSync } from 'node:fs';

/**
 * @param {string} bench      which bench (`http`, `ledger`, …)
 * @param {string} measure    what was measured
 * @param {number} value      the figure
 * @param {string} unit       `req/s`, `ms`, …
 * @param {{ ratio?: number, baseline?: string, target?: string }} [extra]
 */
export function record(bench, measure, value, unit, extra = {}) {
  const file = process.env.BENCH_RECORD;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ bench, measure, value, unit, ...extra })}\n`);
}
