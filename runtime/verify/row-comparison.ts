import type { CanonicalRow, ExpectedRow } from '../plugin/index.js';
import type { ColumnDifference, RowDifference } from './verify-report.js';

/**
 * Compares one key range: the rows the sink should hold for the source rows (ExpectedRow,
 * already mapped and canonical) against the rows the target holds. Only columns the
 * mapping writes are compared; a soft-deleted target row counts as absent.
 */
export function compareRows(
  expected: readonly ExpectedRow[],
  target: readonly CanonicalRow[],
  /** False when the sink keeps rows deleted at the source: rows only the target has are expected. */
  extraRowsDiffer = true,
): RowDifference[] {
  const targetByKey = new Map(target.map((row) => [row.key, row]));
  const seen = new Set<string>();
  const differences: RowDifference[] = [];
  for (const entry of expected) {
    if (entry.kind === 'unmappable') continue;
    seen.add(entry.key);
    if (entry.kind === 'unchecked') continue;
    const actual = targetByKey.get(entry.key);
    const live = actual !== undefined && !actual.softDeleted;
    if (entry.kind === 'absent') {
      if (live) differences.push({ key: entry.key, kind: 'extra' });
      continue;
    }
    if (!live) {
      differences.push({ key: entry.key, kind: 'missing' });
      continue;
    }
    const columns: ColumnDifference[] = [];
    for (const [column, value] of Object.entries(entry.row.columns)) {
      const held = column in actual.columns ? (actual.columns[column] ?? null) : undefined;
      if (held === undefined) columns.push({ column, source: value, target: '(no such column)' });
      else if (held !== value) columns.push({ column, source: value, target: held });
    }
    if (columns.length > 0) differences.push({ key: entry.key, kind: 'different', columns });
  }
  if (!extraRowsDiffer) return differences;
  for (const row of target) {
    if (!seen.has(row.key) && !row.softDeleted) differences.push({ key: row.key, kind: 'extra' });
  }
  return differences;
}

/** The differences of `later` whose key and kind also differed in `earlier`: what stays different. */
export function persisting(
  earlier: readonly RowDifference[],
  later: readonly RowDifference[],
): RowDifference[] {
  const before = new Set(earlier.map((difference) => `${difference.kind}\u0000${difference.key}`));
  return later.filter((difference) => before.has(`${difference.kind}\u0000${difference.key}`));
}
