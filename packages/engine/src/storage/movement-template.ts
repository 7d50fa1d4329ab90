import type { TextTemplate } from '@tradeplane/core';

const VALUE_INDEX = { balance: 0, held: 1, available: 2 } as const;

/**
 * Which of a movement's six resulting amounts fills a template's hole (0–5): the first line's
 * balance, held and available, then the second's — the order both storages compute them in.
 */
export const amountIndex = (hole: TextTemplate['holes'][number]): number => hole.line * 3 + VALUE_INDEX[hole.value];
