/**
 * SQLite's group commit (see sqlite.ts): transactions queued behind one another share one COMMIT,
 * each in its own savepoint, and none is acknowledged before that COMMIT. A second connection on
 * the same file observes what is committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '@tradeplane/core';
import { openSqliteStorage, type SqliteStorage } from './sqlite.js';

const user = (id: string): UserRecord => ({
  id,
  email: `${id}@example.com`,
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
  role: 'user',
  status: 'active',
  tokenVersion: 0,
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-01-02T03:04:05.678Z'),
  username: null,
  referralCode: null,
});

let dir: string;
let storage: SqliteStorage;
let observer: Database.Database;
const committedUsers = () => (observer.prepare('select id from users order by id').pluck().all() as string[]);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tp-group-commit-'));
  storage = openSqliteStorage(join(dir, 'db.sqlite'));
  await storage.migrate();
  observer = new Database(join(dir, 'db.sqlite'), { readonly: true });
});
afterEach(async () => {
  observer.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite group commit', () => {
  it('commits transactions queued together at once, and acknowledges none before that commit', async () => {
    const seenAtAcknowledgement: string[][] = [];
    const ids = Array.from({ length: 10 }, (_, i) => `u-${String(i).padStart(2, '0')}`);
    await Promise.all(
      ids.map((id) =>
        storage
          .transaction(async (tx) => {
            await tx.users.insert(user(id));
            return id;
          })
          .then(() => void seenAtAcknowledgement.push(committedUsers())),
      ),
    );
    // Every acknowledgement came after the one commit that holds all ten.
    for (const seen of seenAtAcknowledgement) expect(seen).toEqual(ids);
  });

  it('rolls back a failing transaction of a group alone; the others commit', async () => {
    const results = await Promise.allSettled([
      storage.transaction((tx) => tx.users.insert(user('u-a'))),
      storage.transaction(async (tx) => {
        await tx.users.insert(user('u-b'));
        throw new Error('changed my mind');
      }),
      storage.transaction((tx) => tx.users.insert(user('u-c'))),
      // A duplicate key fails at the database: also its own transaction only.
      storage.transaction((tx) => tx.users.insert(user('u-a'))),
      storage.transaction((tx) => tx.users.insert(user('u-d'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(committedUsers()).toEqual(['u-a', 'u-c', 'u-d']);
  });

  it('answers a read queued behind a group only after the group commits', async () => {
    let readAt: string[] | undefined;
    const write = storage.transaction((tx) => tx.users.insert(user('u-r')));
    const read = storage.repos.users.findById('u-r').then((found) => {
      readAt = committedUsers();
      return found;
    });
    await Promise.all([write, read]);
    expect((await read)?.id).toBe('u-r');
    expect(readAt).toEqual(['u-r']);
  });

  it('still commits a transaction on its own, and migrates and closes outside any group', async () => {
    await storage.transaction((tx) => tx.users.insert(user('u-alone')));
    expect(committedUsers()).toEqual(['u-alone']);
    const pending = storage.transaction((tx) => tx.users.insert(user('u-last')));
    await storage.migrate();
    await pending;
    expect(committedUsers()).toEqual(['u-alone', 'u-last']);
  });
});
