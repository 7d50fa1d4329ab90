import { describe, expect, it } from 'vitest';
import { createPaperBroker, type BrokerBar, type Fill } from './broker.js';

const T = Date.parse('2026-03-02T00:00:00Z');
const bar = (minute: number, open: number, high: number, low: number, close: number): BrokerBar => ({
  symbol: 'EURUSD',
  openTime: new Date(T + minute * 60_000),
  closeTime: new Date(T + (minute + 1) * 60_000),
  open,
  high,
  low,
  close,
});
const order = (over: Partial<Parameters<ReturnType<typeof createPaperBroker>['placeOrder']>[0]> = {}) => ({
  id: 'o1',
  accountId: 'a1',
  symbol: 'EURUSD',
  side: 'BUY' as const,
  type: 'market' as const,
  price: null,
  size: { notional: '100.00' },
  placedAt: new Date(T + 60_000),
  ...over,
});

describe('paper broker', () => {
  it('rejects a market order before it has a price, then fills at the ask or bid with slippage', async () => {
    const broker = createPaperBroker({ spreadBps: 20, slippageBps: 10 });
    expect(await broker.placeOrder(order())).toEqual({ status: 'rejected', reason: 'no_market_price' });
    await broker.onBar(bar(0, 1, 1, 1, 1));
    expect(await broker.quote('EURUSD')).toMatchObject({ price: 1, bid: 0.999, ask: 1.001 });
    const buy = await broker.placeOrder(order());
    expect(buy.status).toBe('filled');
    if (buy.status === 'filled') {
      expect(buy.fill.price).toBeCloseTo(1.001 * 1.001, 12);
      expect(buy.fill.quantity).toBeCloseTo(100 / buy.fill.price, 9);
    }
    const sell = await broker.placeOrder(order({ id: 'o2', side: 'SELL', size: { quantity: 50 } }));
    if (sell.status === 'filled') expect(sell.fill.price).toBeCloseTo(0.999 * 0.999, 12);
    const [position] = await broker.positions('a1');
    expect(position!.quantity).toBeCloseTo(100 / (1.001 * 1.001) - 50, 9);
  });

  it('falls back to the configured last-price source', async () => {
    const broker = createPaperBroker({ lastPrice: async (symbol) => (symbol === 'EURUSD' ? { price: 1.1, time: new Date(T) } : undefined) });
    expect(await broker.placeOrder(order())).toMatchObject({ status: 'filled', fill: { price: 1.1 } });
    expect(await broker.placeOrder(order({ symbol: 'OTHER' }))).toEqual({ status: 'rejected', reason: 'no_market_price' });
  });

  it('fills a resting order only on bars that open after it was placed, and reports the fill', async () => {
    const broker = createPaperBroker();
    const fills: Fill[] = [];
    broker.onFill((f) => void fills.push(f));
    expect(await broker.placeOrder(order({ type: 'limit', price: 0.9 }))).toEqual({ status: 'pending' });
    await broker.onBar(bar(0, 1, 1, 0.8, 0.95)); // began before placement: not used
    expect(fills).toEqual([]);
    await broker.onBar(bar(1, 0.95, 0.96, 0.91, 0.92));
    expect(fills).toEqual([]);
    await broker.onBar(bar(2, 0.92, 0.93, 0.85, 0.88));
    expect(fills).toMatchObject([{ orderId: 'o1', price: 0.9, time: new Date(T + 3 * 60_000) }]);
    await broker.onBar(bar(3, 0.8, 0.85, 0.7, 0.75));
    expect(fills).toHaveLength(1);
  });

  it('a cancelled order never fills', async () => {
    const broker = createPaperBroker();
    await broker.placeOrder(order({ type: 'stop', price: 1.2 }));
    expect(await broker.cancelOrder('o1')).toBe(true);
    expect(await broker.cancelOrder('o1')).toBe(false);
    expect(await broker.onBar(bar(2, 1.3, 1.3, 1.3, 1.3))).toEqual([]);
  });
});
