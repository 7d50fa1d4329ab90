/**
 * Storage records and repositories of the trading module: orders, trades, and strategy bots
 * with the signals they computed.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
export type TradeSide = 'BUY' | 'SELL';
export type OrderType = 'market' | 'limit' | 'stop';
/** `pending` waits for its price; `filled` opened a trade; `cancelled` by the user; `rejected` by the broker. */
export type OrderStatus = 'pending' | 'filled' | 'cancelled' | 'rejected';
export type TradeStatus = 'open' | 'closed';
/** Why a trade closed. `stop_out`: a short's loss reached its whole stake. */
export type TradeCloseReason = 'manual' | 'stop_loss' | 'take_profit' | 'stop_out' | 'signal' | 'copy';
/** Who asked for it: the user, one of their running strategies, or copy trading. */
export type TradeSource = 'manual' | 'strategy' | 'copy';

/**
 * An order to open a trade. Its stake is reserved by a ledger hold from placement until the
 * order fills (the hold then backs the trade) or is cancelled (the hold is released).
 */
export interface OrderRecord {
  id: string;
  userId: string;
  accountId: string;
  symbol: string;
  side: TradeSide;
  type: OrderType;
  status: OrderStatus;
  /** Minor units of `currency`, reserved by `holdId`. */
  stake: bigint;
  currency: string;
  /** The limit or stop price; null for market orders. */
  price: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  holdId: string;
  /** The trade the fill opened. */
  tradeId: string | null;
  fillPrice: number | null;
  source: TradeSource;
  /** The signal, strategy or master trade that caused it (null for manual orders). */
  reference: string | null;
  /** The copy-trading subscription a copy was placed through. */
  subscriptionId: string | null;
  /** Why the broker refused it. */
  rejectReason: string | null;
  createdAt: Date;
  /** When it left `pending`. */
  resolvedAt: Date | null;
}

export interface OrderChanges {
  status: Exclude<OrderStatus, 'pending'>;
  resolvedAt: Date;
  tradeId?: string;
  fillPrice?: number;
  rejectReason?: string;
}

/** An open or closed trade: a stake at risk on one symbol, backed by its order's hold while open. */
export interface TradeRecord {
  id: string;
  userId: string;
  accountId: string;
  orderId: string;
  symbol: string;
  side: TradeSide;
  stake: bigint;
  currency: string;
  /** Units of the instrument: stake ÷ entry price (informative; P&L is computed from the stake). */
  quantity: number;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  status: TradeStatus;
  exitPrice: number | null;
  closeReason: TradeCloseReason | null;
  /** Realised P&L in minor units (negative: a loss, never below −stake). */
  pnl: bigint | null;
  holdId: string;
  /** The `trade_settlement` journal entry (null when the P&L was exactly zero). */
  settlementEntryId: string | null;
  source: TradeSource;
  reference: string | null;
  /** The copy-trading subscription a copy was placed through. */
  subscriptionId: string | null;
  openedAt: Date;
  closedAt: Date | null;
}

export interface TradeClose {
  exitPrice: number;
  closeReason: TradeCloseReason;
  pnl: bigint;
  settlementEntryId: string | null;
  closedAt: Date;
}

export interface TradeFilter {
  userId: string;
  status?: TradeStatus;
  symbol?: string;
  /** Newest first; `cursor` is the last id of the previous page. */
  cursor?: string;
  limit: number;
}

export interface OrderFilter {
  userId: string;
  status?: OrderStatus;
  symbol?: string;
  cursor?: string;
  limit: number;
}

export interface OrdersRepository {
  insert(order: OrderRecord): Promise<void>;
  findById(id: string): Promise<OrderRecord | undefined>;
  /** Moves a pending order to a final state; undefined if it was no longer pending (someone else resolved it). */
  resolve(id: string, changes: OrderChanges): Promise<OrderRecord | undefined>;
  list(filter: OrderFilter): Promise<OrderRecord[]>;
  /** Every pending order (of one symbol), oldest first: what the broker must be watching. */
  listPending(symbol?: string): Promise<OrderRecord[]>;
}

export interface TradesRepository {
  insert(trade: TradeRecord): Promise<void>;
  findById(id: string): Promise<TradeRecord | undefined>;
  /** Closes an open trade; undefined if it was already closed (a concurrent close won). */
  close(id: string, change: TradeClose): Promise<TradeRecord | undefined>;
  list(filter: TradeFilter): Promise<TradeRecord[]>;
  /** Open trades of a symbol with a stop-loss or take-profit to watch, or of a SELL (stop-out), oldest first. */
  listOpenBySymbol(symbol: string): Promise<TradeRecord[]>;
  /** Open copies of a master's trade (source `copy`, reference = the master trade's id). */
  listOpenCopies(masterTradeId: string): Promise<TradeRecord[]>;
  /** Open trades plus pending orders of the user, and the stake of both on `symbol`. */
  exposure(userId: string, symbol: string): Promise<{ positions: number; symbolStake: bigint }>;
  /** Σ pnl of the user's trades in `currency` closed at or after `since`. */
  realisedSince(userId: string, currency: string, since: Date): Promise<bigint>;
}

/** A user's strategy bot: a panel of strategies trading one symbol and interval on every stored bar while active. */
export interface StrategyRecord {
  id: string;
  userId: string;
  name: string;
  /** Null: the user's default account at the time of each trade. */
  accountId: string | null;
  symbol: string;
  interval: string;
  /** `{ strategies: [{ name, params }], consensus: { minConfidence, minVotes, margin, weights } }`. */
  config: { strategies: { name: string; params?: Record<string, unknown> }[]; consensus?: Record<string, unknown> };
  /** Decimal string in the account's currency; null → the risk manager's recommended stake. */
  stake: string | null;
  /** Stop-loss and take-profit as fractions of the entry price (0.02 = 2 %). */
  stopLossPct: number | null;
  takeProfitPct: number | null;
  status: 'active' | 'paused';
  createdAt: Date;
  updatedAt: Date;
}

/** One consensus round of a strategy bot, kept whether or not it traded. */
export interface SignalRecord {
  id: string;
  strategyId: string;
  userId: string;
  symbol: string;
  interval: string;
  /** Open time of the bar the signal was computed on. */
  barTime: Date;
  side: 'BUY' | 'SELL' | 'HOLD';
  decision: string;
  confidence: number;
  buyScore: number;
  sellScore: number;
  votes: { strategy: string; side: string; confidence: number; reason: string }[];
  reason: string;
  /** `traded`, `held`, `already_open`, `risk_rejected:<reason>`, `failed:<code>`. */
  outcome: string;
  tradeId: string | null;
  createdAt: Date;
}

export interface StrategiesRepository {
  insert(strategy: StrategyRecord): Promise<void>;
  findById(id: string): Promise<StrategyRecord | undefined>;
  listForUser(userId: string): Promise<StrategyRecord[]>;
  /** Active bots on a symbol and interval, oldest first. */
  listActive(symbol: string, interval: string): Promise<StrategyRecord[]>;
  setStatus(id: string, status: StrategyRecord['status'], at: Date): Promise<StrategyRecord | undefined>;
}

export interface SignalsRepository {
  insert(signal: SignalRecord): Promise<void>;
  /** Newest first. */
  list(filter: { userId: string; strategyId?: string; cursor?: string; limit: number }): Promise<SignalRecord[]>;
}
