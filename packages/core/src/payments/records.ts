/**
 * Storage records and repositories of the payments module: deposits asked of payment providers
 * and the provider events already recorded (each provider event is acted on once).
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */

export type DepositStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** A deposit asked of a payment provider; money reaches the ledger only when the provider confirms it. */
export interface DepositRecord {
  id: string;
  userId: string;
  accountId: string;
  /** The provider's name (`stripe`, a gateway's id): the `{provider}` of its webhook route. */
  provider: string;
  /** The provider's id for the payment (a PaymentIntent id); its events name it. Unique per provider. */
  providerReference: string;
  /** Minor units, > 0. */
  amount: bigint;
  currency: string;
  status: DepositStatus;
  /** The journal entry that credited the account, once succeeded. */
  entryId: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A provider's event, recorded once: a redelivery finds it and changes nothing. */
export interface ProviderEventRecord {
  provider: string;
  eventId: string;
  type: string;
  objectId: string | null;
  receivedAt: Date;
}

export interface DepositFilter {
  userId?: string;
  status?: DepositStatus;
  cursor?: string;
  limit: number;
}

export interface DepositsRepository {
  insert(deposit: DepositRecord): Promise<void>;
  findById(id: string): Promise<DepositRecord | undefined>;
  findByReference(provider: string, providerReference: string): Promise<DepositRecord | undefined>;
  /** Moves a deposit on from one of `from` (atomically: a conditional update); undefined, nothing written, when it is in none of them. */
  transition(
    id: string,
    from: readonly DepositStatus[],
    change: { status: DepositStatus; entryId?: string | null; failureReason?: string | null; at: Date },
  ): Promise<DepositRecord | undefined>;
  /** Newest first (by id, which is time-ordered), keyset-paged like the other lists. */
  list(filter: DepositFilter): Promise<DepositRecord[]>;
}

export interface ProviderEventsRepository {
  /** Records an event; false (nothing written) when this provider's event id is already recorded (concurrent inserts: exactly one true). */
  insert(event: ProviderEventRecord): Promise<boolean>;
}
