/**
 * `pnpm bench`: runs every bench, one after another (each measures its own baseline in the
 * same run), and writes bench/RESULTS.md: the machine, the date, a table of every recorded
 * figure with its ratio to the baseline, and each bench's full output.
 *
 *   pnpm bench                      # SQLite; PostgreSQL figures too when TEST_DATABASE_URL is set
 *   BENCH_ONLY=http,auth pnpm bench
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem, type, release, arch } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const benches = [
  ['http', 'HTTP: authenticated GET /wallet against a bare Express handler'],
  ['auth', 'Auth: argon2id, token verification, request overhead'],
  ['signin-load', 'Sign-in load: /health and /wallet p99 while 50 clients sign in, bounded and unbounded hashing'],
  ['lambda', 'Lambda adapter against hono/aws-lambda and a hand-written handler'],
  ['ledger', 'Ledger: deposits and transfers against raw insert transactions'],
  ['indicators', 'Indicators against trading-signals and technicalindicators'],
  ['backtest', 'Backtest through the live path against the strategy panel alone'],
];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
// The backtest bench replays a month here (its own default is a year, which takes many minutes).
const env = { ...process.env, BENCH_DAYS: process.env.BENCH_DAYS ?? '30' };
const dir = mkdtempSync(join(tmpdir(), 'tp-bench-all-'));
const recordFile = join(dir, 'records.jsonl');
const outputs = [];
for (const [name, title] of benches) {
  if (only && !only.includes(name)) continue;
  const started = Date.now();
  console.log(`\n=== ${name} ===`);
  const run = spawnSync(process.execPath, [new URL(`./${name}.mjs`, import.meta.url).pathname], { env: { ...env, BENCH_RECORD: recordFile }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(run.stdout ?? '');
  outputs.push({ name, title, seconds: Math.round((Date.now() - started) / 1000), status: run.status, output: (run.stdout ?? '').trimEnd() });
}
const records = existsSync(recordFile) ? readFileSync(recordFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
rmSync(dir, { recursive: true, force: true });

const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${type()} ${release()} ${arch()}, Node ${process.version}${process.env.TEST_DATABASE_URL ? ', PostgreSQL via TEST_DATABASE_URL' : ''}; backtest over ${env.BENCH_DAYS} days`;
const cell = (v) => (v === undefined || v === null ? '' : String(v));
const table = [
  '| bench | measure | value | unit | ratio | baseline | target |',
  '| --- | --- | ---: | --- | ---: | --- | --- |',
  ...records.map((r) => `| ${r.bench} | ${r.measure} | ${typeof r.value === 'number' ? r.value.toLocaleString('en') : r.value} | ${r.unit} | ${cell(r.ratio)} | ${cell(r.baseline)} | ${cell(r.target)} |`),
];
const md = [
  '# Benchmark results',
  '',
  `Measured ${new Date().toISOString()} on ${machine}, with \`pnpm bench\`. Every ratio compares two figures measured in the same run on this machine; absolute numbers only mean something here.`,
  '',
  ...table,
  '',
  ...outputs.flatMap((o) => [`## ${o.name}: ${o.title}`, '', `${o.seconds} s, exit ${o.status}`, '', '```', o.output, '```', '']),
].join('\n');
writeFileSync(new URL('./RESULTS.md', import.meta.url), md);
console.log(`\nwrote bench/RESULTS.md (${records.length} figures)`);
if (outputs.some((o) => o.status !== 0)) process.exitCode = 1;
