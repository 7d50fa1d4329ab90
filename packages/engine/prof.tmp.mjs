import Database from 'better-sqlite3';
import { createEngine } from '/work/main/packages/engine/dist/index.js';
import { silentLogger } from '@tradeplane/core';
const stats = new Map();
const origPrepare = Database.prototype.prepare;
Database.prototype.prepare = function (src) {
  const st = origPrepare.call(this, src);
  for (const m of ['all','get','run']) { const f = st[m].bind(st); st[m] = (...a) => { const t=process.hrtime.bigint(); try { return f(...a);} finally { const d=Number(process.hrtime.bigint()-t)/1000; const s=stats.get(src)||{n:0,t:0}; s.n++; s.t+=d; stats.set(src,s);} }; }
  const raw = st.raw.bind(st); st.raw = (...a) => { raw(...a); return st; };
  return st;
};
const { id, token } = JSON.parse((await import('node:fs')).readFileSync('/tmp/pb.json','utf8'));
const engine = await createEngine({ database: '/tmp/pb.db', mode: 'production', logger: silentLogger, auth: { jwtSecret: 'bench-secret-bench-secret-bench-secret!' }, migrate: false, jobs: { enabled: false }, rateLimits: process.env.RL ? { default: { limit: 100_000_000, windowSeconds: 60 } } : { enabled: false } });
const req = { method: 'GET', path: '/wallet', headers: { authorization: `Bearer ${token}` }, query: {}, body: undefined, ip: '127.0.0.1' };
for (let i=0;i<2000;i++) await engine.handle(req);
stats.clear();
const N=Number(process.env.N||5000); const t0=performance.now();
for (let i=0;i<N;i++) { const r = await engine.handle(req); if (i===0) console.log(r.status, JSON.stringify(r.body).slice(0,200)); }
console.log('per request µs', ((performance.now()-t0)*1000/N).toFixed(1));
for (const [k,v] of [...stats].sort((a,b)=>b[1].t-a[1].t)) console.log((v.t/N).toFixed(1).padStart(6),'µs/req', (v.n/N).toFixed(2), 'x', k.slice(0,250));
await engine.close();
