import { z } from 'zod';
import { defineEvent, everyValue } from '../stream/events.js';
import type { EntryKind } from './records.js';

const entryKinds = everyValue<EntryKind>({
  deposit: true,
  withdrawal: true,
  transfer: true,
  fee: true,
  commission: true,
  trade_settlement: true,
  adjustment: true,
  refund: true,
  chargeback: true,
  demo_faucet: true,
});

/** A user account's balance after a committed journal entry: one event per account the entry touched. */
export const balanceChanged = defineEvent({
  channel: 'balance',
  type: 'balance.changed',
  audience: 'user',
  summary: 'An account’s balance after a committed ledger entry',
  description: 'One event per account of yours that the entry touched (a transfer between two of your accounts sends two).',
  data: z
    .object({
      account_id: z.string(),
      currency: z.string(),
      balance: z.string().meta({ description: 'Decimal string, after the entry', example: '10012.50' }),
      available: z.string().meta({ description: 'balance − held, after the entry', example: '10012.50' }),
      entry_id: z.string().meta({ description: 'The journal entry that changed it' }),
      kind: z.enum(entryKinds),
    })
    .meta({ id: 'BalanceChanged' }),
});

export const walletEvents = [balanceChanged] as const;
