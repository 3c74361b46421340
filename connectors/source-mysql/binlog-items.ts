import type { TransactionTracker } from '../../runtime/cdc/index.js';
import type { BinlogOffset } from './binlog-offset.js';
import type { SchemaChange } from './schema-change-event.js';
import type { TableStructure } from './table-structure.js';

/** A transaction being read: where it started, and how many captured row events it had so far. */
export interface OpenTransaction {
  readonly file: string;
  readonly pos: number;
  readonly gtid: string | null;
  /** GTID state before this transaction, stored in its records' offsets. */
  readonly gtidsBefore: string | null;
  readonly thread: number | null;
  /** Skip what the resume offset says was emitted already (only the first transaction after a start). */
  readonly resume: BinlogOffset | null;
  readonly excluded: boolean;
  events: number;
  /** Set once a row of it was queued, so its commit boundary is kept for the END record. */
  hasRows: boolean;
  /** provide.transaction.metadata: event counts, and whether BEGIN went out (consumer side). */
  tracker: TransactionTracker | null;
}

export interface BinlogRowChange {
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
}

/**
 * What the binlog listener hands the record side, in binlog order, through the reader's
 * hand-off queue: row events, DDL, and commit boundaries.
 */
export type QueuedItem =
  | {
      readonly kind: 'rows';
      readonly op: 'c' | 'u' | 'd';
      readonly table: TableStructure;
      readonly rows: readonly BinlogRowChange[];
      readonly transaction: OpenTransaction;
      readonly event: number;
      readonly tsMs: number;
    }
  | {
      readonly kind: 'ddl';
      readonly sql: string;
      readonly db: string;
      readonly changes: readonly SchemaChange[];
      readonly unparsed: readonly { db: string; table: string }[];
      readonly truncated: readonly TableStructure[];
      /** Captured tables the statement created (`db.table`). */
      readonly created: readonly string[];
      readonly file: string;
      readonly pos: number;
      readonly gtid: string | null;
      readonly gtids: string | null;
      readonly thread: number;
      readonly tsMs: number;
    }
  | {
      readonly kind: 'boundary';
      readonly file: string;
      readonly pos: number;
      readonly gtids: string | null;
      readonly tsMs: number;
      /** The transaction this boundary commits, if it had captured rows. */
      readonly transaction: OpenTransaction | null;
    };

export type RowsItem = Extract<QueuedItem, { kind: 'rows' }>;
export type DdlItem = Extract<QueuedItem, { kind: 'ddl' }>;
