import { randomBytes } from 'node:crypto';
import { createEngine } from '/work/main/packages/engine/dist/index.js';
import { silentLogger } from '@tradeplane/core';
import postgres from 'postgres';
const admin = postgres('postgres://postgres@127.0.0.1:55433/postgres', { onnotice: () => {} });
await admin`drop database if exists profl`; await admin`create database profl`; if (process.env.MARK) await admin`alter database profl set log_statement = 'all'`; await admin.end();
const engine = await createEngine({ database: 'postgres://postgres@127.0.0.1:55433/profl', mode: 'test', logger: silentLogger, auth: { jwtSecret: 'bench-secret-bench-secret-bench-secret', passwordHashing: { memoryCost: 1024, timeCost: 1 } }, wallets: { demo: false } });
const user = await engine.auth.register({ email: 'a@example.com', password: 'passphrase-123' });
const key = () => randomBytes(12).toString('hex');
for (let i=0;i<300;i++) await engine.wallets.deposit(user.id, { amount: '1.00', currency: 'USD', idempotencyKey: key() });
if (process.env.MARK) { const s = postgres('postgres://postgres@127.0.0.1:55433/profl'); await s`select 'MARK-START'`; await s.end(); }
const N=Number(process.env.N||2000); const t0=performance.now(); const c0=process.cpuUsage();
for (let i=0;i<N;i++) await engine.wallets.deposit(user.id, { amount: '1.00', currency: 'USD', idempotencyKey: key() });
const c=process.cpuUsage(c0);
console.log('user', (c.user/N).toFixed(0), 'sys', (c.system/N).toFixed(0)); console.log('per deposit µs', ((performance.now()-t0)*1000/N).toFixed(1), 'node cpu µs', ((c.user+c.system)/N).toFixed(1));
await engine.close();
