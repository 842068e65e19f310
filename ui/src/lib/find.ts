// One way to find things by what a person types, for every list that offers a find box and for
// the palette: each word of the query, in any case and any order, somewhere in the thing's texts
// ("fraud prod" finds fraud on fraud-prod). The query is text, never a pattern.

/** The query's words, lowercased; none for a blank query. */
export function queryWords(query: string): string[] {
  const wanted = query.trim().toLowerCase();
  return wanted ? wanted.split(/\s+/) : [];
}

/** Whether every word of `query` is in `texts` (a blank query finds everything). */
export function finds(query: string, texts: readonly (string | null | undefined)[]): boolean {
  const words = queryWords(query);
  if (words.length === 0) return true;
  const text = texts.filter(Boolean).join(" ").toLowerCase();
  return words.every((word) => text.includes(word));
}

/** The items `query` finds, each by the texts `of` gives for it, in their order. */
export function findAll<T>(items: readonly T[], query: string, of: (item: T) => (string | null | undefined)[]): T[] {
  return queryWords(query).length === 0 ? [...items] : items.filter((item) => finds(query, of(item)));
}
