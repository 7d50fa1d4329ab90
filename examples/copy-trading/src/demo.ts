import { manualClock, silentLogger, type CommissionCharge, type Logger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';

/**
 * Copy trading end to end, in process, on an in-memory database and a clock the demo moves:
 * an affiliate refers a follower, the follower copies a master, the master trades over four
 * days (a gain, a loss, a recovery below the high-water mark, a new high), the follower's
 * terminal verifies its license and reports a refusal, and each day is settled.
 */
export async function runCopyTradingDemo(options: { logger?: Logger; print?: (line: string) => void } = {}) {
  const print = options.print ?? (() => undefined);
  const clock = manualClock(new Date('2026-06-01T09:00:00.000Z'));
  const tp = await createEngine({ database: ':memory:', clock, logger: options.logger ?? silentLogger, jobs: { enabled: false } });
  try {
    const user = async (email: string, referralCode?: string) => {
      const created = await tp.auth.register({ email, password: `${email}-passphrase`, referralCode });
      return created.id;
    };
    const affiliate = await user('affiliate@example.com');
    const { code } = await tp.affiliates.code(affiliate);
    const masterUser = await user('master@example.com');
    const follower = await user('follower@example.com', code);
    const master = await tp.copy.becomeMaster(masterUser, { displayName: 'Steady Eddie', markupRate: '0.10', performanceFeeRate: '0.20' });

    // A subscription: the license token is shown once.
    const license = await tp.copy.subscribe(follower, { masterId: master.id, copyMode: 'fixed', stake: '100.00' });
    print(`${license.message}: ${license.licenseToken.slice(0, 8)}…`);

    // The follower's trading terminal (EA) authenticates with the license and asks whether to copy.
    const terminal = await tp.copy.authenticateLicense(license.licenseToken);
    const verdict = await tp.copy.verify(terminal);
    print(`terminal: copy=${verdict.copy} master=${verdict.master.displayName} max_stake=${verdict.limits.maxStake} ${verdict.limits.currency}`);

    // Four trading days: the master trades at 100 and exits at these prices; the follower's copies follow.
    const exits = [110, 95, 103, 104];
    const day0 = Date.parse('2026-06-01T10:00:00.000Z');
    for (const [i, exit] of exits.entries()) {
      const t = day0 + i * 86_400_000;
      const bar = (minute: number, close: number) => tp.market.ingest([{ symbol: 'EDDUSD', interval: '1m', openTime: new Date(t + minute * 60_000), open: close, high: close, low: close, close, volume: 1 }]);
      clock.set(new Date(t));
      await bar(0, 100);
      clock.set(new Date(t + 60_000));
      const trade = await tp.trading.execute(masterUser, { symbol: 'EDDUSD', side: 'BUY', stake: '10.00', idempotencyKey: `eddie-${i}` });
      await bar(1, exit);
      clock.set(new Date(t + 120_000));
      await tp.trading.closeTrade(masterUser, trade.id);
      if (i === 1) {
        // The terminal refused a signal of its own and says so, once however often it retries.
        const report = { eventId: 'ea-0001', reason: 'spread_too_wide' as const, symbol: 'EURUSD', side: 'BUY' as const, occurredAt: clock.now() };
        await tp.copy.reportProtectionEvent(terminal, report);
        await tp.copy.reportProtectionEvent(terminal, report);
      }
      // The day is over: settle it (the engine's job does this after each period by default).
      clock.set(new Date(t + 86_400_000));
      await tp.commission.settle();
    }

    const { charges } = await tp.commission.statements(follower, { kind: 'performance_fee' });
    const fees = charges.reverse().map((c: CommissionCharge) => ({ period: c.period, equity: c.equity, highWaterMark: c.highWaterMark.after, fee: c.charged }));
    for (const f of fees) print(`${f.period}: copy equity ${f.equity}, high-water mark ${f.highWaterMark}, performance fee ${f.fee}`);
    const balances = {
      follower: (await tp.wallets.defaultAccount(follower)).balance,
      master: (await tp.wallets.defaultAccount(masterUser)).balance,
      affiliate: (await tp.wallets.defaultAccount(affiliate)).balance,
    };
    print(`balances: follower ${balances.follower}, master ${balances.master}, affiliate ${balances.affiliate}`);
    const events = await tp.risk.summary({ userId: follower }, 'reason');
    const unread = (await tp.notifications.list(follower)).unread;
    print(`protection events: ${events.map((e) => `${e.key} × ${e.count}`).join(', ')}; unread notifications: ${unread}`);
    const ledger = await tp.wallets.verifyLedger();
    print(`ledger verifies: ${ledger.ok}`);
    return { fees, balances, events, unread, ledgerOk: ledger.ok, affiliate: await tp.affiliates.stats(affiliate) };
  } finally {
    await tp.close();
  }
}
