/**
 * Invokes the bundled handler locally, as Lambda would: sample events in, results out.
 *   pnpm --filter @tradeplane/example-lambda invoke
 * Uses a throw-away SQLite file unless DATABASE_URL is set. Exits non-zero on a wrong answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tp-lambda-'));
process.env.DATABASE_URL ??= join(dir, 'demo.db');
const { handler } = await import('../dist/lambda/handler.mjs');
const event = (name) => JSON.parse(readFileSync(new URL(`../events/${name}.json`, import.meta.url), 'utf8'));
let failed = false;
for (const [name, expected] of [['health', 200], ['register', 201], ['register', 409]]) {
  const result = await handler(event(name), { awsRequestId: 'local' });
  console.log(`${name} → ${result.statusCode} ${result.body}`);
  if (result.statusCode !== expected) {
    console.error(`expected ${expected}`);
    failed = true;
  }
}
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
