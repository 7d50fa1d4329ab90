import type { IdempotentRequest } from '../idempotency/idempotency.js';
import type { AccountRecord, JournalEntryRecord, MovementLine, PostingRecord } from '../ports/index.js';
import type { AccountCache } from './account-cache.js';
import type { WalletContext } from './context.js';
import type { EntryInput, Journal, Line } from './journal.js';
import type { CashMovement, Movement } from './service.js';

/**
 * The movement path (`Storage.postMovement`): a two-line movement written in one statement —
 * entry, postings, stored outcome and notification. What depends on the resulting balances is
 * left to the statement as data: the stored outcome gets them beside the answer (a replay
 * renders it, see `renderMovement`), the notification gets the account's `balance`.
 */
export function createFastPath(ctx: WalletContext, journal: Pick<Journal, 'entryCommitted'>, cache: Pick<AccountCache, 'forgetAccounts'>) {
  const { storage, clock, ids, deps, idempotency, currency, toAccount, toTransaction, accountAfter, cashMovement, withBalance } = ctx;
  const { entryCommitted } = journal;
  const { forgetAccounts } = cache;

  /** What a movement answers: the first line's posting and that account after it (`amounts` empty until the statement has run). */
  function movementView(entry: JournalEntryRecord, posting: PostingRecord, account: AccountRecord, amounts: { balance: string; held: string; available: string }): Movement {
    const transaction = { ...toTransaction({ ...posting, ...entry, id: posting.id, createdAt: posting.createdAt, balanceAfter: 0n }), balanceAfter: amounts.balance };
    return { transaction, account: { ...toAccount(account), ...amounts } };
  }

  const statementLine = ({ account, amount }: Line): MovementLine => ({
    accountId: account.id,
    delta: amount,
    ...(account.kind === 'system' ? {} : { expected: { userId: account.userId, currency: account.currency, kind: account.kind, status: account.status, isDefault: account.isDefault } }),
  });

  /**
   * The happy path of a two-line movement, posted whole (`Storage.postMovement`): the caller
   * has made the checks the general path makes before writing; everything else — the entry, its
   * postings, the stored outcome, the notification — is built here. Resolves to `undefined`
   * when the storage refused it (wrote nothing): the caller then runs the general path, which
   * refuses, replays or retries properly. `lines[0]` is the caller's account: the movement reports it.
   */
  async function postWhole(request: IdempotentRequest, input: EntryInput, lines: [Line, Line], cash?: CashMovement['kind']): Promise<Movement | undefined> {
    const key = idempotency.record(request);
    const now = clock.now();
    const c = currency(lines[0].account.currency);
    const entry: JournalEntryRecord = { id: ids.next(), kind: input.kind, reference: input.reference ?? null, metadata: input.metadata ?? null, reversesEntryId: null, actorId: input.actorId, createdAt: now };
    const postings = lines.map((line) => ({ id: ids.next(), entryId: entry.id, accountId: line.account.id, currency: line.account.currency, amount: line.amount, balanceAfter: 0n, createdAt: now })) as [PostingRecord, PostingRecord];
    const user = lines[0].account;
    const unknown = { balance: '', held: '', available: '' };
    const stored = movementView(entry, postings[0], user, unknown);
    const notifications = cash ? deps.cashNotifications : undefined;
    const notice = notifications?.notice(cashMovement(cash!, user.userId!, user, entry.id, stored.transaction.amount));
    const draft = notice && notifications!.notifications.draft(user.userId!, notice);

    // The statement applies the lines in lock order (ascending account id).
    const ordered = lines[0].account.id < lines[1].account.id ? lines : ([lines[1], lines[0]] as const);
    const states = await storage.postMovement!({
      lines: [statementLine(ordered[0]), statementLine(ordered[1])],
      entry,
      postings,
      key: { ...key, outcome: { ok: true, value: stored } },
      ...(draft ? { notification: { record: draft, balanceOf: user.id, minorUnit: c.exponent === 0 ? '1' : `0.${'0'.repeat(c.exponent - 1)}1` } } : {}),
    });
    if (!states) {
      // Perhaps refused because a remembered account changed: the next movement reads it again.
      forgetAccounts(lines);
      return undefined;
    }

    // Committed: the same announcements the general path makes after its commit.
    const after = (line: Line) => states[line === ordered[0] ? 0 : 1];
    const movement = movementView(entry, postings[0], user, accountAfter(user, after(lines[0])));
    const committed = storage.repos;
    entryCommitted(committed, entry, lines, after);
    if (draft) deps.afterCommit?.(committed, () => notifications!.notifications.committed({ ...draft, data: withBalance(notice!, movement.account.balance).data ?? null }));
    return movement;
  }

  return { postWhole };
}
