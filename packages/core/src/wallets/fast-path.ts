import { randomUUID } from 'node:crypto';
import type { IdempotentRequest } from '../idempotency/idempotency.js';
import type { AccountRecord, JournalEntryRecord, MovementLine, PostingRecord, TextTemplate } from '../ports/index.js';
import type { AccountCache } from './account-cache.js';
import type { WalletContext } from './context.js';
import type { EntryInput, Journal, Line } from './journal.js';
import type { CashMovement, Movement } from './service.js';

/**
 * The movement path (`Storage.postMovement`): a two-line movement written in one statement —
 * entry, postings, stored outcome and notification — with the resulting balances filled into
 * text built beforehand.
 */
export function createFastPath(ctx: WalletContext, journal: Pick<Journal, 'balanceChanges'>, cache: Pick<AccountCache, 'forgetAccounts'>) {
  const { storage, clock, ids, deps, idempotency, currency, toAccount, toTransaction, accountAfter, cashMovement } = ctx;
  const { balanceChanges } = journal;
  const { forgetAccounts } = cache;

  /**
   * What a movement answers: the first line's posting and that account after it. `amounts` are
   * the results as text: formatted values, or the holes of a template (see `postWhole`).
   */
  function movementView(entry: JournalEntryRecord, posting: PostingRecord, account: AccountRecord, amounts: { balance: string; held: string; available: string }): Movement {
    const transaction = { ...toTransaction({ ...posting, ...entry, id: posting.id, createdAt: posting.createdAt, balanceAfter: 0n }), balanceAfter: amounts.balance };
    return { transaction, account: { ...toAccount(account), ...amounts } };
  }

  /**
   * Marks a hole in text built before a movement posted by `postMovement` runs: random per process, so no
   * text a caller supplies (a reference, metadata) can contain one by accident or on purpose.
   */
  const holeMark = `\u27ea${randomUUID()}:`;
  const HOLE_VALUES = ['balance', 'held', 'available'] as const;
  /** Hole `3 × line + value`: `0`–`2` the first line's balance, held, available; `3`–`5` the second's. */
  const holeOf = (line: 0 | 1, value: (typeof HOLE_VALUES)[number]) => `${holeMark}${line * 3 + HOLE_VALUES.indexOf(value)}\u27eb`;
  const holesOf = (line: 0 | 1) => ({ balance: holeOf(line, 'balance'), held: holeOf(line, 'held'), available: holeOf(line, 'available') });
  const holePattern = new RegExp(`${holeMark}(\\d)\u27eb`, 'g');
  function template(text: string): TextTemplate {
    const parts: string[] = [];
    const holes: TextTemplate['holes'] = [];
    let from = 0;
    for (const match of text.matchAll(holePattern)) {
      parts.push(text.slice(from, match.index));
      const n = Number(match[1]);
      holes.push({ line: n < 3 ? 0 : 1, value: HOLE_VALUES[n % 3]! });
      from = match.index + match[0].length;
    }
    parts.push(text.slice(from));
    return { parts, holes };
  }

  const statementLine = ({ account, amount }: Line): MovementLine => ({
    accountId: account.id,
    delta: amount,
    ...(account.kind === 'system' ? {} : { expected: { userId: account.userId, currency: account.currency, kind: account.kind, status: account.status, isDefault: account.isDefault } }),
  });

  /**
   * The happy path of a two-line movement, posted whole (`Storage.postMovement`): the caller
   * has made the checks the general path makes before writing; everything else — the entry, its
   * postings, the stored outcome, the notification — is built here, with holes where the
   * resulting balances go. Resolves to `undefined` when the storage refused it (wrote nothing):
   * the caller then runs the general path, which refuses, replays or retries properly.
   * `lines[0]` is the caller's account: the movement reports it.
   */
  async function postWhole(request: IdempotentRequest, input: EntryInput, lines: [Line, Line], cash?: CashMovement['kind']): Promise<Movement | undefined> {
    const key = idempotency.record(request);
    const now = clock.now();
    const c = currency(lines[0].account.currency);
    const entry: JournalEntryRecord = { id: ids.next(), kind: input.kind, reference: input.reference ?? null, metadata: input.metadata ?? null, reversesEntryId: null, actorId: input.actorId, createdAt: now };
    const postings = lines.map((line) => ({ id: ids.next(), entryId: entry.id, accountId: line.account.id, currency: line.account.currency, amount: line.amount, balanceAfter: 0n, createdAt: now })) as [PostingRecord, PostingRecord];
    // The statement applies the lines in lock order (ascending account id), and numbers its results so.
    const first: 0 | 1 = lines[0].account.id < lines[1].account.id ? 0 : 1;
    const slot = (i: 0 | 1): 0 | 1 => (i === first ? 0 : 1);
    const user = lines[0].account;
    const answer = movementView(entry, postings[0], user, holesOf(slot(0)));
    const notifications = cash ? deps.cashNotifications : undefined;
    const notice = (balance: string) => notifications!.notice(cashMovement(cash!, user.userId!, user, entry.id, answer.transaction.amount, balance));
    const draft = notifications?.notifications.draft(user.userId!, notice(answer.account.balance));
    if (draft && (draft.title.includes(holeMark) || draft.body?.includes(holeMark))) throw new Error('A cash notification may show the balance in its data only');

    const ordered = first === 0 ? lines : ([lines[1], lines[0]] as const);
    const states = await storage.postMovement!({
      lines: [statementLine(ordered[0]), statementLine(ordered[1])],
      minorUnit: c.exponent === 0 ? '1' : `0.${'0'.repeat(c.exponent - 1)}1`,
      entry,
      postings,
      key: { ...key, outcome: template(JSON.stringify({ ok: true, value: answer })) },
      ...(draft ? { notification: { ...draft, data: template(JSON.stringify(draft.data)) } } : {}),
    });
    if (!states) {
      // Perhaps refused because a remembered account changed: the next movement reads it again.
      forgetAccounts(lines);
      return undefined;
    }

    // Committed: what the general path does after its commit.
    const after = (i: 0 | 1) => states[slot(i)];
    const { balance, held, available } = accountAfter(user, after(0));
    const movement = movementView(entry, postings[0], user, { balance, held, available });
    try {
      deps.observer?.ledgerEntry?.(entry.kind);
      const changes = balanceChanges(entry, lines, (line) => after(line === lines[0] ? 0 : 1));
      if (changes.length > 0) deps.onBalancesCommitted?.(changes);
      if (draft) notifications!.notifications.committed({ ...draft, data: notice(movement.account.balance).data ?? null });
    } catch (error) {
      // As after any commit (see withCommitHooks): a failing announcement must not turn the movement's success into an error.
      deps.logger.warn({ event: 'wallets.after_commit_failed', entryId: entry.id, error: error instanceof Error ? error.message : String(error) }, 'Work after a committed movement failed');
    }
    return movement;
  }

  return { postWhole };
}
