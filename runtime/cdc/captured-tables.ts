/**
 * The tables a CDC task captures, kept in every streaming offset (`captured_tables`: the
 * sorted ids as one JSON array, `<schema>.<table>` or `<database>.<table>`) so that a task
 * started after its filters changed knows which tables are new to it. The text grows with
 * the number of captured tables (a few tens of bytes each); the runtime stores only the
 * last offset per partition, and every record of a task shares the one string.
 */

/** What `snapshot.new.tables` offers: `incremental` reads a newly captured table's rows with an incremental snapshot. */
export type NewTablesSnapshotMode = 'off' | 'incremental';

export const newTablesSnapshotModes: readonly NewTablesSnapshotMode[] = ['off', 'incremental'];

/** Why snapshot.new.tables=incremental cannot work without a signal table, and the fix. */
export const newTablesNeedSignalTable =
  'snapshot.new.tables=incremental reads new tables with an incremental snapshot, which writes its watermarks into the signal table: set signal.data.collection, or set snapshot.new.tables=off';

export function encodeCapturedTables(tables: Iterable<string>): string {
  return JSON.stringify([...new Set(tables)].sort());
}

/** The stored set; null when the offset has none (a first start, right after a snapshot, an older release's offset). */
export function decodeCapturedTables(text: unknown): readonly string[] | null {
  if (typeof text !== 'string' || text === '') return null;
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : null;
}

/** The tables captured now that the stored set does not hold, in the order given; none without a stored set. */
export function newlyCapturedTables(
  stored: readonly string[] | null,
  capturing: readonly string[],
): string[] {
  if (stored === null) return [];
  const before = new Set(stored);
  return capturing.filter((table) => !before.has(table));
}
