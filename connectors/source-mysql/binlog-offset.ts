import { SiphonError } from '../../runtime/plugin/index.js';
import type { SourceOffset, SourcePartition } from '../../runtime/record/index.js';

/**
 * Where a record came from in the binlog, in Debezium's offset layout
 * (`{file, pos, event, row, gtids, ts_sec, snapshot}`), and how to resume after it.
 *
 * `file`/`pos` is the start of the transaction the record belongs to (a position the
 * server can start a binlog dump at); `event` counts the captured row events of that
 * transaction before the record's, and `row` is the record's row inside its event. A
 * restart reads the transaction again from `pos` and skips every row up to and including
 * (`event`, `row`), so a crash in the middle of a transaction emits neither a gap nor a
 * duplicate. `gtids` is the GTID state of the transactions completed before `pos`
 * (MariaDB: `@@gtid_binlog_pos` form; MySQL 8: a GTID set, not verified here).
 *
 * While the snapshot runs, records carry `snapshot: "true"` plus the table and the last
 * primary key read, so an interrupted snapshot resumes at the next chunk; the final
 * snapshot record carries `snapshot: "last"`, after which the connector streams from
 * `file`/`pos`, the binlog position of the snapshot. While an incremental or blocking snapshot
 * runs, `incremental_snapshot` holds its context (JSON), so a restart continues with the next chunk.
 * Binlog offsets and a snapshot's last carry `captured_tables`, the tables the filters captured (JSON, see
 * runtime/cdc/captured-tables.ts), so a start after a config change finds the new ones.
 */
export interface BinlogOffset {
  readonly file: string;
  readonly pos: number;
  readonly event: number;
  /** The row within `event`; -1 when nothing of the transaction at `pos` was emitted yet. */
  readonly row: number;
  readonly gtids: string | null;
  /** Binlog event time (seconds) of the record. */
  readonly tsSec: number;
  readonly snapshot: 'true' | 'last' | null;
  /** Snapshot progress: the table being read (`db.table`) and the last key read (JSON array). */
  readonly snapshotTable: string | null;
  readonly snapshotKey: string | null;
  /** A running incremental snapshot's context (runtime/cdc/incremental-snapshot-context.ts), encoded. */
  readonly incremental?: string | null;
  /** The captured tables when the offset was built (runtime/cdc/captured-tables.ts), encoded. */
  readonly capturedTables?: string | null;
}

export function sourcePartition(topicPrefix: string): SourcePartition {
  return { server: topicPrefix };
}

export function toSourceOffset(offset: BinlogOffset): SourceOffset {
  const stored: Record<string, string | number | null> = {
    file: offset.file,
    pos: offset.pos,
    event: offset.event,
    row: offset.row,
    gtids: offset.gtids,
    ts_sec: offset.tsSec,
  };
  if (offset.snapshot !== null) stored.snapshot = offset.snapshot;
  if (offset.snapshotTable !== null) stored.snapshot_table = offset.snapshotTable;
  if (offset.snapshotKey !== null) stored.snapshot_key = offset.snapshotKey;
  if (offset.incremental) stored.incremental_snapshot = offset.incremental;
  if (offset.capturedTables) stored.captured_tables = offset.capturedTables;
  return stored;
}

/** Reads a stored offset; throws naming the field when it is not one this connector wrote. */
export function fromSourceOffset(stored: SourceOffset): BinlogOffset {
  const file = stored.file;
  const pos = Number(stored.pos);
  if (typeof file !== 'string' || file === '' || !Number.isInteger(pos) || pos < 4) {
    throw new SiphonError(
      `the stored offset ${JSON.stringify(stored)} has no valid binlog file/pos; delete the connector's offsets to start over with a snapshot`,
      false,
    );
  }
  const snapshot =
    stored.snapshot === true || stored.snapshot === 'true'
      ? 'true'
      : stored.snapshot === 'last'
        ? 'last'
        : null;
  return {
    file,
    pos,
    event: Number(stored.event ?? 0),
    row: Number(stored.row ?? -1),
    gtids: typeof stored.gtids === 'string' && stored.gtids !== '' ? stored.gtids : null,
    tsSec: Number(stored.ts_sec ?? 0),
    snapshot,
    snapshotTable: typeof stored.snapshot_table === 'string' ? stored.snapshot_table : null,
    snapshotKey: typeof stored.snapshot_key === 'string' ? stored.snapshot_key : null,
    // Only when stored, so an offset without an incremental snapshot reads back as it was written.
    ...(typeof stored.incremental_snapshot === 'string' ? { incremental: stored.incremental_snapshot } : {}),
    ...(typeof stored.captured_tables === 'string' ? { capturedTables: stored.captured_tables } : {}),
  };
}

/** True when the row (`event`, `row`) of the transaction at the resume position was already emitted. */
export function alreadyEmitted(resume: BinlogOffset, event: number, row: number): boolean {
  return event < resume.event || (event === resume.event && row <= resume.row);
}

/** Orders binlog files by their numeric suffix (`mysql-bin.000010` after `mysql-bin.000009`). */
export function compareBinlogFiles(a: string, b: string): number {
  const suffix = (name: string) => Number(/\.(\d+)$/.exec(name)?.[1] ?? 0);
  return suffix(a) - suffix(b) || a.localeCompare(b);
}
