/**
 * Keyset pagination over newest-first lists: storage is asked for `limit + 1` rows; the extra row
 * only says whether another page exists, and the last row shown is the next page's cursor.
 */
export async function keysetPage<R extends { id: string }, V>(
  limit: number,
  fetch: (limitPlusOne: number) => Promise<R[]>,
  view: (row: R) => V,
): Promise<{ items: V[]; nextCursor: string | null }> {
  const rows = await fetch(limit + 1);
  const shown = rows.slice(0, limit);
  return { items: shown.map(view), nextCursor: rows.length > limit ? shown[shown.length - 1]!.id : null };
}
