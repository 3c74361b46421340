import { decodeBlockingContext, type BlockingSnapshotContext } from './blocking-snapshot.js';
import type { ChunkKey } from './incremental-snapshot-window.js';

/**
 * What an incremental snapshot has left to do, kept in every streaming offset (one JSON
 * text, which also carries a running blocking snapshot's context) so a restarted task
 * continues with the next chunk: the tables left (the current one first), the last key
 * emitted of the current table, the largest key it had when its snapshot began (rows
 * inserted later are streamed anyway), each table's `additional-conditions` filter and
 * `surrogate-key`, whether it is paused, and the rows done for progress.
 */
export interface IncrementalSnapshotContext {
  readonly tables: readonly string[];
  readonly filters: Readonly<Record<string, string>>;
  /** The `surrogate-key` column a table's chunks are read by, for tables whose signal named one. */
  readonly surrogateKeys: Readonly<Record<string, string>>;
  readonly lastKey: ChunkKey | null;
  readonly maxKey: ChunkKey | null;
  readonly paused: boolean;
  readonly rowsDone: number;
}

/**
 * The offset text of the signal-driven snapshots running: the incremental context's fields,
 * and a running blocking snapshot's context as `blocking`; null when neither runs.
 */
export function encodeIncrementalContext(
  context: IncrementalSnapshotContext | null,
  blocking: BlockingSnapshotContext | null = null,
): string | null {
  if (context === null && blocking === null) return null;
  return JSON.stringify({ ...context, ...(blocking === null ? {} : { blocking }) });
}

/** Reads a stored context; null when there is none (or it is not one: nothing to resume). */
export function decodeIncrementalContext(text: unknown): IncrementalSnapshotContext | null {
  const parsed = parseContextText(text);
  if (parsed === null || !Array.isArray(parsed.tables) || parsed.tables.length === 0) return null;
  return {
    tables: parsed.tables.filter((t): t is string => typeof t === 'string'),
    filters: parsed.filters ?? {},
    surrogateKeys: parsed.surrogateKeys ?? {},
    lastKey: parsed.lastKey ?? null,
    maxKey: parsed.maxKey ?? null,
    paused: parsed.paused === true,
    rowsDone: typeof parsed.rowsDone === 'number' ? parsed.rowsDone : 0,
  };
}

/** The blocking snapshot a stored context says is running, or null. */
export function decodeBlockingSnapshotOf(text: unknown): BlockingSnapshotContext | null {
  return decodeBlockingContext(parseContextText(text)?.blocking);
}

function parseContextText(
  text: unknown,
): (Partial<IncrementalSnapshotContext> & { readonly blocking?: unknown }) | null {
  if (typeof text !== 'string' || text === '') return null;
  return JSON.parse(text) as Partial<IncrementalSnapshotContext> & { readonly blocking?: unknown };
}
