import { describe, expect, it } from 'vitest';
import { argon2idHasher, type PasswordHasher } from './passwords.js';
import { limitHashing } from './hash-limit.js';

/**
 * The real argon2id hasher behind a gate the test opens: it records how many operations are
 * inside argon2 at once, and each waits for the test before it starts, so the counts below are
 * exact whatever the machine's speed.
 */
function gatedArgon2() {
  const real = argon2idHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  let inside = 0;
  let most = 0;
  const gates: { open: () => void; done: Promise<unknown> }[] = [];
  const through = <T>(work: () => Promise<T>): Promise<T> => {
    let open!: () => void;
    const done = new Promise<void>((resolve) => (open = resolve)).then(async () => {
      inside += 1;
      most = Math.max(most, inside);
      try {
        return await work();
      } finally {
        inside -= 1;
      }
    });
    gates.push({ open, done: done.catch(() => {}) });
    return done;
  };
  const hasher: PasswordHasher = {
    hash: (p) => through(() => real.hash(p)),
    verify: (h, p) => through(() => real.verify(h, p)),
    verifyDummy: (p) => through(() => real.verifyDummy(p)),
    needsRehash: (h) => real.needsRehash(h),
  };
  /** Lets queued promise callbacks and timers of zero delay run. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    hasher,
    /** Operations the limiter let start, now waiting at argon2's gate. */
    waiting: () => gates.length,
    /** Runs the oldest started operation to completion, and lets the limiter hand its turn on. */
    async openOne() {
      const gate = gates.shift()!;
      gate.open();
      await gate.done;
      await settle();
    },
    most: () => most,
    settle,
  };
}

describe('limitHashing', () => {
  it('runs at most `concurrency` operations at once; the rest start in arrival order as turns free', async () => {
    const gated = gatedArgon2();
    const limited = limitHashing(gated.hasher, { concurrency: 2, maxQueued: 10, maxWaitMs: 10_000 });
    const order: number[] = [];
    const all = [0, 1, 2, 3, 4].map((i) => limited.hash(`password-${i}`).then((h) => (order.push(i), h)));
    await gated.settle();
    expect(gated.waiting()).toBe(2);
    for (let done = 0; done < 5; done++) await gated.openOne();
    const hashes = await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(gated.most()).toBeLessThanOrEqual(2);
    const check = limited.verify(hashes[3]!, 'password-3');
    await gated.settle();
    await gated.openOne();
    expect(await check).toBe(true);
  }, 10_000);

  it('refuses with 503 and Retry-After past `maxQueued` waiting, before any password is checked', async () => {
    const gated = gatedArgon2();
    const limited = limitHashing(gated.hasher, { concurrency: 1, maxQueued: 2, maxWaitMs: 10_000 });
    const accepted = [limited.verifyDummy('a'), limited.verifyDummy('b'), limited.verifyDummy('c')];
    await expect(limited.verifyDummy('d')).rejects.toMatchObject({ code: 'service_unavailable', headers: { 'retry-after': '1' } });
    await gated.settle();
    expect(gated.waiting()).toBe(1);
    for (let i = 0; i < 3; i++) await gated.openOne();
    await Promise.all(accepted);
    // Turns freed: new work is accepted again.
    const later = limited.verifyDummy('e');
    await gated.settle();
    await gated.openOne();
    await expect(later).resolves.toBeUndefined();
  }, 10_000);

  it('refuses with 503 an operation that waited `maxWaitMs` for a turn, and forgets it', async () => {
    const gated = gatedArgon2();
    const limited = limitHashing(gated.hasher, { concurrency: 1, maxQueued: 10, maxWaitMs: 30 });
    const first = limited.hash('first-password');
    const late = limited.hash('second-password');
    await expect(late).rejects.toMatchObject({ code: 'service_unavailable' });
    await gated.openOne();
    await first;
    // The refused one never ran: nothing is left waiting at argon2's gate.
    await gated.settle();
    expect(gated.waiting()).toBe(0);
  }, 10_000);

  it('never queues needsRehash, which only reads the stored string', () => {
    const gated = gatedArgon2();
    const limited = limitHashing(gated.hasher, { concurrency: 1, maxQueued: 0, maxWaitMs: 0 });
    void limited.hash('occupies-the-only-turn').catch(() => {});
    expect(limited.needsRehash('$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA')).toBe(false);
  });
});
