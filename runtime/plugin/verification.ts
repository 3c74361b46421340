import type { SinkRecord, SourceOffset, SourceRecord } from '../record/index.js';
import type { ConfigDef, ParsedConfig } from './config-def.js';
import { atLeast, defineConfig, type KeySpecs } from './define-config.js';
import type { TaskLogger } from './connector.js';

/**
 * What a verification (runtime/verify) asks of connectors: a source opens a read-only
 * reader of its tables at consistent snapshots and says where its stream is; a sink maps
 * source rows through its mapping rules, reads its target rows and repairs keys through
 * its own write path. Both are optional: a plugin without them cannot be verified.
 */

/** A captured table and its key columns (the source's names). */
export interface VerifiableTable {
  /** `schema.table` (PostgreSQL) or `db.table` (MySQL), as in the source's filters. */
  readonly id: string;
  readonly keyColumns: readonly string[];
  /** Every key column is an integer type: its order is the same in every engine. */
  readonly integerKey?: boolean;
}

/** The source's position at a snapshot, comparable with the source connector's offsets. */
export interface SourcePosition {
  /** Shown in reports: `LSN 0/16B3748` or `mysql-bin.000003:1542`. */
  readonly description: string;
  readonly value: Readonly<Record<string, string | number>>;
}

/** Source rows of a key range, in key order. */
export interface SourceChunk {
  /** Change-event records (`op: "r"`) as the source connector would emit them. */
  readonly records: readonly SourceRecord[];
  /** The source-native key of the last row read (a bound for the next read); null when none. */
  readonly lastKey: readonly unknown[] | null;
}

/** The SQL engine a reader or verifier runs on: in-database hashes compare only within one. */
export type SqlEngine = 'postgresql' | 'mysql';

/** A column of an in-database hash: the source column and its canonical SQL text expression. */
export interface HashColumn {
  readonly source: string;
  readonly target: string;
  /** The column's canonical text as SQL, given the quoted column name (same on both sides). */
  sql(quotedColumn: string): string;
}

/** Count and order-independent hash of a key range's rows, computed in the database. */
export interface RangeHash {
  readonly count: number;
  readonly hash: string;
  /** The source-native key of the last row (the range's upper bound); null when empty. */
  readonly lastKey: readonly unknown[] | null;
}

export interface SourceRowReader {
  readonly engine: SqlEngine;
  tables(): Promise<readonly VerifiableTable[]>;
  /** Starts a read-only, repeatable-read transaction (no locks); resolves to its position. */
  begin(): Promise<SourcePosition>;
  /** Ends the transaction begun last. */
  end(): Promise<void>;
  /**
   * At most `limit` rows with keys in (after, upTo], source-native keys from earlier
   * chunks' `lastKey` (null: unbounded on that side).
   */
  readChunk(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
  ): Promise<SourceChunk>;
  /**
   * Hashes at most `limit` rows with keys in (after, upTo] inside the database, with the
   * sink's plan (the columns' canonical text and the row hash), in the open transaction.
   */
  hashRange?(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<RangeHash>;
  /**
   * Each row's key values (as text) and hash (the plan's row hash, as text) of at most `limit`
   * rows with keys in (after, upTo], in key order, in the open transaction: where in a differing range
   * the rows differ.
   */
  rowHashes?(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<TextChunk>;
  /**
   * The values of `columns` (key columns first, in key order) of at most `limit` rows with
   * keys in (after, upTo], in key order, as the database's text (or bytes), in the open
   * transaction: no change-event records are built.
   */
  readTexts?(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    columns: readonly string[],
  ): Promise<TextChunk>;
  close(): Promise<void>;
}

/** Rows as column values in a plan's column order. */
export interface TextChunk {
  readonly rows: readonly (readonly unknown[])[];
  /** The source-native key of the last row; null when none. */
  readonly lastKey: readonly unknown[] | null;
}

/** A TextChunk of rows whose first `keyLength` values are the key. */
export function textChunk(rows: readonly (readonly unknown[])[], keyLength: number): TextChunk {
  const last = rows[rows.length - 1];
  return { rows, lastKey: last ? last.slice(0, keyLength) : null };
}

/** A column compared by its values' canonical texts, computed in the worker from what each side reads. */
export interface TextColumn {
  readonly source: string;
  readonly target: string;
  /** The canonical text of a value as either database gives it (the same function for both sides). */
  canonical(value: unknown): CanonicalValue;
}

/**
 * How a source table's rows compare with the target's column by column, read as plain
 * column values on both sides (no records built, no mapping per row), when the mapping is
 * plain enough for a hash plan but the engines differ. The first `keyColumns` columns are
 * the key, in the source's key order (integer keys only, so both engines order them alike).
 */
export interface TextComparisonPlan {
  readonly table: string;
  readonly keyColumns: number;
  readonly columns: readonly TextColumn[];
}

export interface SourceVerification {
  openRowReader(config: ParsedConfig, logger: TaskLogger): Promise<SourceRowReader>;
  /** True when a committed source offset lies at or past `position`. */
  reached(offset: SourceOffset, position: SourcePosition): boolean;
}

/** A value in the canonical text both sides are compared in (null for SQL NULL). */
export type CanonicalValue = string | null;

/** One row as the target holds it, or as the sink would write it, in canonical form. */
export interface CanonicalRow {
  /** Canonical key: the same text on both sides for the same key. */
  readonly key: string;
  /** Target column → canonical value; only the columns the mapping writes and that are compared. */
  readonly columns: Readonly<Record<string, CanonicalValue>>;
  /** Soft-deleted rows (softDelete column true) count as absent. */
  readonly softDeleted: boolean;
}

/** A bound on target keys: the mapped key of a source record. */
export type TargetKey = readonly unknown[];

/** Where a mapped record goes: target table (`schema.table`), canonical key, key bound for ranges. */
export interface MappedKey {
  readonly table: string;
  readonly key: string;
  readonly boundKey: TargetKey;
}

/** What the sink makes of one source record. */
export type ExpectedRow =
  | (MappedKey & { readonly kind: 'row'; readonly row: CanonicalRow })
  /** Filtered out (deletes on) or soft-deleted: the target must not hold it as a live row. */
  | (MappedKey & { readonly kind: 'absent' })
  /** The mapping does not decide (filtered out with deletes off): not compared. */
  | (MappedKey & { readonly kind: 'unchecked'; readonly reason: string })
  /** The sink could not map it (it would reject the record): reported, not compared. */
  | { readonly kind: 'unmappable'; readonly reason: string };

export interface RepairOutcome {
  readonly written: number;
  readonly deleted: number;
}

export interface SinkVerifier {
  /**
   * Maps records (after the source's and the sink's transforms) through the sink's mapping
   * rules: the target table (`schema.table`) and the canonical row it should hold.
   */
  expected(records: readonly SinkRecord[]): Promise<ExpectedRow[]>;
  /**
   * False when the sink leaves rows deleted at the source in the target (no delete.enabled,
   * no soft delete): rows only the target has are then expected, not differences.
   */
  appliesDeletes(table: string): boolean;
  /** At most `limit` target rows of `table` with keys in (after, upTo] (null: unbounded), in key order, canonical. */
  readRange(
    table: string,
    after: TargetKey | null,
    upTo: TargetKey | null,
    limit: number,
  ): Promise<CanonicalRow[]>;
  /**
   * Re-applies `records` (the current source rows) through the sink's write path and
   * deletes (or soft-deletes) the target rows of `extraKeys`, in one transaction.
   */
  repair(
    records: readonly SinkRecord[],
    extra: readonly { readonly table: string; readonly key: string }[],
  ): Promise<RepairOutcome>;
  /**
   * How a source table's rows hash to the same value in the target when the mapping is
   * plain enough for SQL (renames, excluded and computed columns, soft deletes; no row
   * filter or cast): the target table and columns. Null when not possible: then rows are
   * compared through the worker. `sample` is one mapped record of the table.
   */
  hashPlan?(sample: SinkRecord, engine: SqlEngine): Promise<TargetHashPlan | null>;
  /** The target's count and hash of the key range, source-native key bounds (same values). */
  hashRange?(plan: TargetHashPlan, after: TargetKey | null, upTo: TargetKey | null): Promise<RangeHash>;
  /**
   * At most `limit` live target rows' key values and row hashes (as text) with keys in
   * (after, upTo], in key order: rowHashes of the source side.
   */
  rowHashes?(
    plan: TargetHashPlan,
    after: TargetKey | null,
    upTo: TargetKey | null,
    limit: number,
  ): Promise<(readonly unknown[])[]>;
  /**
   * The text plan of a source table whose key columns (source names) are `keyColumns`, under
   * the conditions of hashPlan; null when a column has no exact canonical text on both sides.
   */
  textPlan?(sample: SinkRecord, keyColumns: readonly string[]): Promise<TextComparisonPlan | null>;
  /**
   * At most `limit` live target rows with keys in (after, upTo] (source-native key values),
   * in key order, as the plan's column values (not yet canonical).
   */
  readTexts?(
    plan: TextComparisonPlan,
    after: TargetKey | null,
    upTo: TargetKey | null,
    limit: number,
  ): Promise<(readonly unknown[])[]>;
  close(): Promise<void>;
}

export interface TargetHashPlan {
  readonly table: string;
  readonly columns: readonly HashColumn[];
  /** A row's hash as SQL from its columns' canonical texts (comma-separated); summed per range. */
  rowHash(columnTexts: string): string;
}

export interface SinkVerification {
  openVerifier(config: ParsedConfig, connectorName: string, logger: TaskLogger): Promise<SinkVerifier>;
}

/** The sink config keys of scheduled verification; a verifiable sink adds them to its ConfigDef. */
export const verificationKeySpecs = {
  'verify.interval.ms': {
    type: 'long',
    default: 0,
    importance: 'low',
    group: 'Verification',
    documentation:
      'Run a verification of the target against the source this often (0: only on request). Scheduled runs read at most verify.max.rows.per.second rows per second per side.',
    validator: atLeast(0),
  },
  'verify.max.rows.per.second': {
    type: 'long',
    default: 5000,
    importance: 'low',
    group: 'Verification',
    documentation:
      'Rows per second a scheduled verification reads from each side at most (0: unlimited); requested runs are not throttled unless they ask.',
    validator: atLeast(0),
  },
} as const satisfies KeySpecs;

/** The verification keys typed, for the runtime's scheduler. */
export const verificationConfig = defineConfig(verificationKeySpecs);
export const verificationConfigDef: ConfigDef = verificationConfig.def;
