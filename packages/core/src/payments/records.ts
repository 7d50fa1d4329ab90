/**
 * Storage records and repositories of the payments module: deposits asked of payment providers,
 * the provider events already recorded (each provider event is acted on once), chargebacks, and
 * what users owe when a provider took back money that had already left their account.
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
  /**
   * The provider's id for the payment (a PaymentIntent id); its events name it. Unique per
   * provider. Null while the provider is being asked (the row is written first, so a retried
   * request with the same Idempotency-Key finds it and asks the provider again with the same id).
   */
  providerReference: string | null;
  /** The client's Idempotency-Key, unique per user. */
  idempotencyKey: string | null;
  /** Minor units, > 0. */
  amount: bigint;
  currency: string;
  status: DepositStatus;
  /** Minor units the provider has returned to the payer so far (refunds); never more than `amount`. */
  refundedAmount: bigint;
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
  /** Writes a deposit; false (nothing written) when the user already has one with this Idempotency-Key. */
  insert(deposit: DepositRecord): Promise<boolean>;
  findById(id: string): Promise<DepositRecord | undefined>;
  findByIdempotencyKey(userId: string, key: string): Promise<DepositRecord | undefined>;
  /** Records the provider's id for the payment once it answered; false when the deposit already has a different one. */
  setReference(id: string, providerReference: string, at: Date): Promise<boolean>;
  /** Raises the refunded total to `total` (never lowers it); the deposit as it is afterwards, undefined when there is no such deposit. */
  raiseRefunded(id: string, total: bigint, at: Date): Promise<DepositRecord | undefined>;
  /** Sum of the account's deposits that succeeded at or after `since` (funds not cleared yet), minor units. */
  succeededSince(accountId: string, since: Date): Promise<bigint>;
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

export type DisputeStatus = 'open' | 'won' | 'lost';

/** A chargeback on a deposit, keyed by the provider's dispute id. */
export interface DisputeRecord {
  id: string;
  provider: string;
  /** The provider's id for the dispute; unique per provider. */
  disputeId: string;
  depositId: string;
  userId: string;
  accountId: string;
  /** Minor units disputed. */
  amount: bigint;
  currency: string;
  status: DisputeStatus;
  reason: string;
  /** The hold on the account while the dispute is open (null when nothing was available to hold). */
  holdId: string | null;
  /** The journal entry that returned the money when the dispute was lost. */
  entryId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DisputesRepository {
  /** False (nothing written) when this provider's dispute is already recorded. */
  insert(dispute: DisputeRecord): Promise<boolean>;
  findByDisputeId(provider: string, disputeId: string): Promise<DisputeRecord | undefined>;
  /** Moves an open dispute to `won` or `lost` (a conditional update); undefined when it was not open. */
  close(id: string, change: { status: 'won' | 'lost'; entryId: string | null; at: Date }): Promise<DisputeRecord | undefined>;
  /** Open disputes on an account. */
  countOpen(accountId: string): Promise<number>;
  list(filter: { status?: DisputeStatus; cursor?: string; limit: number }): Promise<DisputeRecord[]>;
}

export type ReceivableStatus = 'open' | 'settled';

/**
 * Money a user owes the platform: a provider took a payment back (a refund, a lost dispute)
 * after the money had already left the account. Booked against the `receivable` system
 * account, never as an overdraft; operators see the list.
 */
export interface ReceivableRecord {
  id: string;
  userId: string;
  accountId: string;
  /** Minor units owed. */
  amount: bigint;
  currency: string;
  status: ReceivableStatus;
  /** What caused it: `refund` or `chargeback`, and the deposit or dispute id. */
  cause: 'refund' | 'chargeback';
  sourceId: string;
  /** The journal entry that booked it. */
  entryId: string;
  createdAt: Date;
  settledAt: Date | null;
}

export interface ReceivablesRepository {
  insert(receivable: ReceivableRecord): Promise<void>;
  findById(id: string): Promise<ReceivableRecord | undefined>;
  /** Marks an open receivable settled (a conditional update); undefined when it was not open. */
  settle(id: string, at: Date): Promise<ReceivableRecord | undefined>;
  list(filter: { userId?: string; status?: ReceivableStatus; cursor?: string; limit: number }): Promise<ReceivableRecord[]>;
}
