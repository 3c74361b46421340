/**
 * How a parallel snapshot splits its tables into chunks (pure: the catalog reads and the
 * key walk are the caller's). A chunk is the unit of parallel work and of resumption: a table with a
 * primary key is split into key ranges at boundaries found by keyset walking, a table
 * without one into ranges of heap pages (read by CTID, as a TID range scan). The first and
 * last ranges of a table are open-ended, so rows written after the estimates were taken
 * (past the last boundary or the last page counted) are still read.
 */

/** Key column texts, in primary-key order. */
export type KeyTexts = readonly (string | null)[];

/** Rows with a key in (after, upTo]; a null end is open. */
export interface KeyRange {
  readonly kind: 'keys';
  readonly after: KeyTexts | null;
  readonly upTo: KeyTexts | null;
}

/** Rows on heap pages [fromPage, toPage); `toPage` null: to the end of the table. */
export interface PageRange {
  readonly kind: 'pages';
  readonly fromPage: number;
  readonly toPage: number | null;
}

export type ChunkRange = KeyRange | PageRange;

/**
 * Whether a table of `estimatedRows` (pg_class.reltuples; null when never analyzed, as
 * right after a bulk load or a restore) may be worth cutting into chunks of `chunkRows`
 * (by key, an unknown estimate costs one probe of at most a chunk's index entries).
 */
export function splits(estimatedRows: number | null, chunkRows: number): boolean {
  return estimatedRows === null || estimatedRows > chunkRows;
}

/**
 * The key ranges after `after` cut at `boundaries` (ascending; each the last key of its
 * range, as a walk over the key finds them): one range more than boundaries, the last one
 * open. Each range is yielded as soon as its boundary is known, so reading can start
 * before a large table is cut completely.
 */
export async function* keyRanges(
  after: KeyTexts | null,
  boundaries: Iterable<KeyTexts> | AsyncIterable<KeyTexts>,
): AsyncGenerator<KeyRange> {
  let from = after;
  for await (const upTo of boundaries) {
    yield { kind: 'keys', after: from, upTo };
    from = upTo;
  }
  yield { kind: 'keys', after: from, upTo: null };
}

/**
 * Page ranges from `fromPage` over a table of `pages` heap pages holding about
 * `estimatedRows` rows, about `chunkRows` rows each; the last range is open. Without an
 * estimate the rows per page are unknown: one range.
 */
export function pageRanges(
  fromPage: number,
  pages: number,
  estimatedRows: number | null,
  chunkRows: number,
): PageRange[] {
  const remaining = pages - fromPage;
  if (remaining <= 0 || estimatedRows === null || !splits(estimatedRows, chunkRows))
    return [{ kind: 'pages', fromPage, toPage: null }];
  const rowsPerPage = Math.max(estimatedRows / pages, 1);
  const pagesPerChunk = Math.max(1, Math.floor(chunkRows / rowsPerPage));
  const ranges: PageRange[] = [];
  let from = fromPage;
  while (from + pagesPerChunk < pages) {
    ranges.push({ kind: 'pages', fromPage: from, toPage: from + pagesPerChunk });
    from += pagesPerChunk;
  }
  ranges.push({ kind: 'pages', fromPage: from, toPage: null });
  return ranges;
}
