import { maskSecrets } from '../logging/logger.js';
import type { CanonicalValue } from '../plugin/index.js';

/**
 * The report of a verification, as the REST API returns it and the CLI prints it. Values
 * are the canonical texts both sides were compared in, secrets masked and long values
 * abbreviated, so a report never carries a password or a megabyte of JSON.
 */
export type VerifyState = 'RUNNING' | 'EQUAL' | 'DIFFERENT' | 'FAILED' | 'CANCELLED';

export interface ColumnDifference {
  readonly column: string;
  readonly source: CanonicalValue;
  readonly target: CanonicalValue;
}

export interface RowDifference {
  /** The target key, as a JSON array of the key columns' canonical values. */
  readonly key: string;
  /** missing: the target lacks the row; extra: only the target has it; different: columns differ. */
  readonly kind: 'missing' | 'extra' | 'different';
  readonly columns?: readonly ColumnDifference[];
}

export interface TableReport {
  /** The source table (`schema.table` / `db.table`) and the source connector reading it. */
  readonly table: string;
  readonly source_connector: string;
  target_table: string | null;
  /**
   * hash: count + hash per range in both databases; texts: column values of both sides compared
   * in the worker; rows: every row mapped by the sink. The first two compare the rows of
   * differing ranges as `rows` does.
   */
  comparison: 'hash' | 'texts' | 'rows';
  rows_compared: number;
  chunks: number;
  seconds: number;
  /** Differences that remain (after repair, when asked for); at most MAX_LISTED are listed. */
  differences: RowDifference[];
  differences_total: number;
  /** Rows the mapping leaves undecided (filtered out with deletes off) or cannot map. */
  rows_unchecked: number;
  /** Differing chunks whose re-read ran before the pipeline was known to have caught up. */
  unsettled_rechecks: number;
  repaired?: { written: number; deleted: number; rows: RowDifference[] };
  notes: string[];
}

export interface VerifyProgress {
  /** Tables verified so far, of the tables the sources capture (those not fed to the sink are skipped). */
  tables_done: number;
  tables_total: number;
  table: string | null;
  rows_compared: number;
}

export interface VerifyRunView {
  readonly id: string;
  readonly connector: string;
  state: VerifyState;
  readonly repair: boolean;
  readonly scheduled: boolean;
  readonly started: string;
  finished: string | null;
  progress: VerifyProgress;
  tables: TableReport[];
  error?: string;
}

/** Rows listed per table; the count covers all. */
export const MAX_LISTED = 1000;
const MAX_VALUE_CHARS = 80;

/** A value as a report shows it: secrets masked, long values cut with their length. */
export function shownValue(value: CanonicalValue): CanonicalValue {
  if (value === null) return null;
  const masked = maskSecrets(value);
  return masked.length <= MAX_VALUE_CHARS
    ? masked
    : `${masked.slice(0, MAX_VALUE_CHARS - 20)}… (${masked.length} chars)`;
}

export function shownDifference(difference: RowDifference): RowDifference {
  return {
    key: shownValue(difference.key) ?? '',
    kind: difference.kind,
    ...(difference.columns
      ? {
          columns: difference.columns.map((column) => ({
            column: column.column,
            source: shownValue(column.source),
            target: shownValue(column.target),
          })),
        }
      : {}),
  };
}
