import { TradeplaneError } from '../errors.js';
import type { AccountRecord, AccountState, EntryKind, Repositories, SystemAccountCode } from '../ports/index.js';
import { formatAmount } from '../money/amount.js';
import { settled, type WalletContext } from './context.js';
import type { BalanceChange, Transaction } from './service.js';

/** One posting of an entry to be written: the account, its signed amount, and how its held amount changes. */
export interface Line {
  account: AccountRecord;
  amount: bigint;
  heldDelta?: bigint;
}

export interface EntryInput {
  id?: string;
  kind: EntryKind;
  reference?: string | null;
  metadata?: Record<string, unknown> | null;
  actorId: string | null;
  reversesEntryId?: string | null;
}

export interface Posted {
  entryId: string;
  transactions: Transaction[];
  after: Map<string, { balance: bigint; held: bigint }>;
}

/**
 * The system account on the other side of a movement of this account. Demo money comes from and
 * returns to the demo faucet whatever it pays for (fees, corrections, captures), and demo trades
 * settle against `demo_settlement` — so no system account real money moves through ever holds
 * demo money, and no demo result, however large, can use up the faucet's range that funds new
 * demo accounts.
 */
export function systemFor(account: Pick<AccountRecord, 'kind'>, real: SystemAccountCode): SystemAccountCode {
  if (account.kind !== 'demo') return real;
  return real === 'settlement' ? 'demo_settlement' : 'demo_faucet';
}

/** A debit of a user account: `apply` may free its expired holds and retry it. */
const mayRetry = (line: Line) => line.account.kind !== 'system' && line.amount - (line.heldDelta ?? 0n) < 0n;

export type Journal = ReturnType<typeof createJournal>;

/**
 * Writing the ledger: system accounts, balance updates that refuse to overdraw, and journal
 * entries posted whole inside the caller's transaction, announced after its commit.
 */
export function createJournal(ctx: WalletContext) {
  const { clock, ids, deps, currency, toTransaction } = ctx;

  /**
   * System account ids known to be committed (they are never deleted), so the common path skips
   * the insert. One a transaction creates is not remembered: it could still roll back. With
   * `outsideTransaction` (`repos` is `storage.repos`) a created account is committed at once.
   */
  const knownSystem = new Map<string, string>();
  async function systemAccount(repos: Repositories, code: SystemAccountCode, currencyCode: string, outsideTransaction = false): Promise<AccountRecord> {
    const key = `${code}:${currencyCode}`;
    let id = knownSystem.get(key);
    if (id === undefined) {
      const ensured = await repos.accounts.ensureSystem(code, currencyCode, clock.now());
      id = ensured.id;
      if (ensured.existed || outsideTransaction) knownSystem.set(key, id);
    }
    // Only id, kind and currency are read from it: balances come back from applyDelta.
    return { id, userId: null, currency: currencyCode, kind: 'system', systemCode: code, isDefault: false, status: 'active', balance: 0n, held: 0n, createdAt: clock.now() };
  }

  /** Expires one account's due holds and frees their funds (inside the caller's transaction). */
  async function sweepExpired(tx: Repositories, accountId: string, now: Date): Promise<{ expired: number; freed: bigint }> {
    let expired = 0;
    let freed = 0n;
    for (const hold of await tx.holds.listExpired(now, accountId)) {
      if (await tx.holds.resolve(hold.id, { status: 'expired', at: now })) {
        expired += 1;
        freed += hold.amount;
      }
    }
    if (freed > 0n) await tx.accounts.applyDelta(accountId, 0n, -freed);
    return { expired, freed };
  }

  /**
   * Applies one line: a conditional update that refuses to overdraw. A refused debit first frees
   * the account's expired holds and tries once more.
   */
  async function apply(tx: Repositories, line: Line, now: Date): Promise<{ balance: bigint; held: bigint }> {
    const heldDelta = line.heldDelta ?? 0n;
    let result = await tx.accounts.applyDelta(line.account.id, line.amount, heldDelta);
    const reducesAvailable = line.amount - heldDelta < 0n;
    if (!result && mayRetry(line) && (await sweepExpired(tx, line.account.id, now)).freed > 0n) {
      result = await tx.accounts.applyDelta(line.account.id, line.amount, heldDelta);
    }
    if (!result) {
      if (reducesAvailable) throw new TradeplaneError('insufficient_funds', 'The available balance does not cover this amount');
      throw new TradeplaneError('validation_failed', 'The resulting balance would exceed the largest amount an account can hold', {
        fields: [{ in: 'body', path: 'amount', code: 'too_large', message: 'would take the balance past 2^63 − 1 minor units' }],
      });
    }
    return result;
  }

  /**
   * Posts one journal entry and waits for all of it. Returns the postings as transactions, in the
   * order of `lines`.
   */
  async function post(tx: Repositories, entry: EntryInput, lines: Line[]): Promise<Posted> {
    const result = await postPending(tx, entry, lines);
    await result.written;
    return result;
  }

  /**
   * Posts one journal entry, leaving its append in flight (`written`), so that a caller with a
   * last write of its own (the idempotency key) issues both together: on PostgreSQL they share a
   * round trip. Lines are applied in ascending account id order (the lock order that rules out
   * deadlocks); consecutive lines are sent without waiting for each other's answers, except after
   * a debit that may be refused and retried (see `apply`): that retry locks its account again, so
   * no line with a higher id may be locked before it has settled.
   */
  async function postPending(tx: Repositories, entry: EntryInput, lines: Line[]): Promise<Posted & { written: Promise<void> }> {
    if (lines.length < 2) throw new Error('A journal entry needs at least two postings');
    const sums = new Map<string, bigint>();
    for (const line of lines) sums.set(line.account.currency, (sums.get(line.account.currency) ?? 0n) + line.amount);
    for (const [code, sum] of sums) if (sum !== 0n) throw new Error(`Unbalanced entry: ${code} postings sum to ${sum}`);

    const now = clock.now();
    const after = new Map<string, { balance: bigint; held: bigint }>();
    let inFlight: Promise<void>[] = [];
    for (const line of [...lines].sort((x, y) => (x.account.id < y.account.id ? -1 : x.account.id > y.account.id ? 1 : 0))) {
      inFlight.push(apply(tx, line, now).then((state) => void after.set(line.account.id, state)));
      if (mayRetry(line)) {
        await settled(inFlight);
        inFlight = [];
      }
    }
    await settled(inFlight);
    const record = {
      id: entry.id ?? ids.next(),
      kind: entry.kind,
      reference: entry.reference ?? null,
      metadata: entry.metadata ?? null,
      reversesEntryId: entry.reversesEntryId ?? null,
      actorId: entry.actorId,
      createdAt: now,
    };
    const postings = lines.map((line) => ({ id: ids.next(), entryId: record.id, accountId: line.account.id, currency: line.account.currency, amount: line.amount, createdAt: now }));
    const written = tx.journal.insert(record, postings);
    entryCommitted(tx, record, lines, (line) => after.get(line.account.id));
    // Awaited by the caller; this only keeps a failure from counting as unhandled meanwhile.
    written.catch(() => undefined);
    const transactions = postings.map((p) =>
      toTransaction({ ...p, ...record, id: p.id, createdAt: now, balanceAfter: after.get(p.accountId)!.balance }),
    );
    return { entryId: record.id, transactions, after, written };
  }

  /**
   * What follows an entry's commit, whichever path wrote it: the metrics count it and the stream
   * hears of the user balances it changed. Queued until `tx` commits; `storage.repos` (a movement
   * posted whole has committed in its own statement) runs it at once.
   */
  function entryCommitted(tx: Repositories, record: { id: string; kind: EntryKind }, lines: Line[], stateOf: (line: Line) => AccountState | undefined): void {
    const afterCommit = deps.afterCommit;
    if (!afterCommit) return;
    const observe = deps.observer?.ledgerEntry;
    if (observe) afterCommit(tx, () => observe(record.kind));
    const announce = deps.onBalancesCommitted;
    if (announce) {
      const changes = balanceChanges(record, lines, stateOf);
      if (changes.length > 0) afterCommit(tx, () => announce(changes));
    }
  }

  /** The user accounts an entry changed, with their balances after it (for the real-time stream). */
  function balanceChanges(entry: { id: string; kind: EntryKind }, lines: Line[], stateOf: (line: Line) => AccountState | undefined): BalanceChange[] {
    const changes: BalanceChange[] = [];
    for (const line of lines) {
      const state = stateOf(line);
      if (line.account.userId === null || !state) continue;
      const c = currency(line.account.currency);
      changes.push({ userId: line.account.userId, accountId: line.account.id, currency: c.code, balance: formatAmount(state.balance, c), available: formatAmount(state.balance - state.held, c), entryId: entry.id, kind: entry.kind });
    }
    return changes;
  }

  return { systemAccount, sweepExpired, apply, post, postPending, entryCommitted };
}
