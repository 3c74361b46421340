import type { TextComparisonPlan } from '../plugin/index.js';

/** A key range (after, upTo] in source-native key values (null: unbounded on that side). */
export interface KeyRange {
  readonly after: readonly unknown[] | null;
  readonly upTo: readonly unknown[] | null;
}

/**
 * Compares one chunk read as column values on both sides (a text plan: key columns first,
 * integer keys, rows in key order) and returns the narrowest key ranges that hold every row
 * that differs, is missing or is extra; empty when the chunk is equal. The ranges are then
 * compared row by row through the sink's mapping, which decides what is a difference: a
 * range here only says where to look, so a column text that differs only in form costs
 * time, never a wrong verdict. Values compare by their canonical texts; the same raw value
 * on both sides is equal without computing it.
 */
export function differingRanges(
  plan: TextComparisonPlan,
  after: readonly unknown[] | null,
  source: readonly (readonly unknown[])[],
  target: readonly (readonly unknown[])[],
  /** False when the sink keeps rows deleted at the source: rows only the target has are expected. */
  extraRowsDiffer: boolean,
): KeyRange[] {
  const keyCount = plan.keyColumns;
  if (alignedAndEqual(plan, source, target)) return [];
  const targetAt = new Map<string, number>();
  target.forEach((row, i) => targetAt.set(keyText(row, keyCount), i));
  const sourceDiffers = new Uint8Array(source.length);
  const targetMatched = new Uint8Array(target.length);
  let any = false;
  source.forEach((row, i) => {
    const j = targetAt.get(keyText(row, keyCount));
    const held = j === undefined ? undefined : target[j];
    if (j === undefined || held === undefined) {
      sourceDiffers[i] = 1;
      any = true;
      return;
    }
    targetMatched[j] = 1;
    if (!sameColumns(plan, row, held)) {
      sourceDiffers[i] = 1;
      any = true;
    }
  });
  if (extraRowsDiffer && targetMatched.includes(0)) any = true;
  if (!any) return [];
  return rangesOf(mergedKeys(source, sourceDiffers, target, targetMatched, keyCount, extraRowsDiffer), after);
}

/** The common case, without a map of keys: the same keys on both sides, row for row, and equal rows. */
function alignedAndEqual(
  plan: TextComparisonPlan,
  source: readonly (readonly unknown[])[],
  target: readonly (readonly unknown[])[],
): boolean {
  if (source.length !== target.length) return false;
  for (let i = 0; i < source.length; i++) {
    const a = source[i];
    const b = target[i];
    if (a === undefined || b === undefined) return false;
    if (keyText(a, plan.keyColumns) !== keyText(b, plan.keyColumns) || !sameColumns(plan, a, b)) return false;
  }
  return true;
}

function sameColumns(
  plan: TextComparisonPlan,
  source: readonly unknown[],
  target: readonly unknown[],
): boolean {
  for (let c = plan.keyColumns; c < plan.columns.length; c++) {
    const a = source[c] ?? null;
    const b = target[c] ?? null;
    if (a === b) continue;
    const column = plan.columns[c];
    if (column === undefined || column.canonical(a) !== column.canonical(b)) return false;
  }
  return true;
}

/** Integer key values as text: the same text in both engines for the same key. */
function keyText(row: readonly unknown[], keyCount: number): string {
  if (keyCount === 1) return String(row[0]);
  let text = String(row[0]);
  for (let k = 1; k < keyCount; k++) text += `,${String(row[k])}`;
  return text;
}

interface MergedKey {
  readonly key: readonly string[];
  readonly differs: boolean;
}

/** Both sides' keys in key order (each once), marked where they differ. */
function mergedKeys(
  source: readonly (readonly unknown[])[],
  sourceDiffers: Uint8Array,
  target: readonly (readonly unknown[])[],
  targetMatched: Uint8Array,
  keyCount: number,
  extraRowsDiffer: boolean,
): MergedKey[] {
  const keyOf = (row: readonly unknown[]) => row.slice(0, keyCount).map((value) => String(value));
  const merged: MergedKey[] = [];
  let i = 0;
  let j = 0;
  while (i < source.length || j < target.length) {
    const s = i < source.length ? keyOf(source[i] ?? []) : null;
    const t = j < target.length ? keyOf(target[j] ?? []) : null;
    const order = s === null ? 1 : t === null ? -1 : compareIntegerKeys(s, t);
    if (order <= 0 && s !== null) {
      merged.push({ key: s, differs: sourceDiffers[i] === 1 });
      i++;
      if (order === 0) j++;
    } else if (t !== null) {
      merged.push({ key: t, differs: extraRowsDiffer && targetMatched[j] === 0 });
      j++;
    }
  }
  return merged;
}

function compareIntegerKeys(a: readonly string[], b: readonly string[]): number {
  for (let k = 0; k < a.length; k++) {
    const x = BigInt(a[k] ?? '0');
    const y = BigInt(b[k] ?? '0');
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Each run of differing keys as (the key before it, its last key]. */
function rangesOf(merged: readonly MergedKey[], after: readonly unknown[] | null): KeyRange[] {
  const ranges: KeyRange[] = [];
  let previous: readonly unknown[] | null = after;
  let start: readonly unknown[] | null | undefined;
  merged.forEach((entry, index) => {
    if (entry.differs) {
      if (start === undefined) start = previous;
      const next = merged[index + 1];
      if (next === undefined || !next.differs) {
        ranges.push({ after: start, upTo: entry.key });
        start = undefined;
      }
    }
    previous = entry.key;
  });
  return ranges;
}
