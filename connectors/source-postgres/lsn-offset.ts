import type { SourceOffset, SourcePartition } from '../../runtime/record/index.js';
import { lsnToNumber } from './lsn.js';

/**
 * The PostgreSQL source's offset (Kafka Connect offset layout, partition `{server}`).
 *
 * Streaming fields, Debezium's names: `lsn`/`lsn_proc` the LSN of the last emitted event,
 * `lsn_commit` the commit LSN of its transaction, `txId`, `ts_usec` its commit time.
 * Siphon adds `event_seq` (events of that transaction emitted so far), `tx_done` (the
 * transaction was emitted completely) and `lsn_flush` (the position that is safe to
 * confirm to the slot: the end of the last complete transaction or an idle keepalive).
 * Together they let a restart skip what was already emitted, even inside a transaction.
 *
 * Snapshot fields: `snapshot` true while snapshotting, `snapshot_completed`,
 * `snapshot_table` and `snapshot_key` (JSON key texts of the last row emitted) to resume
 * the snapshot after the last committed row rather than from zero. A parallel snapshot
 * (`snapshot.max.threads` > 1) reading a table without a primary key adds
 * `snapshot_relfilenode` and `snapshot_page`: every heap page before `snapshot_page` of
 * that table's storage was emitted completely (a rewritten table has another relfilenode,
 * and is read again from its start).
 *
 * `incremental_snapshot`, while an incremental or blocking snapshot runs: its context as
 * JSON (tables left, last key emitted, largest key), so a restart continues with the next chunk.
 * `captured_tables`, in streaming offsets and a snapshot's last: the tables the filters captured (JSON, see
 * runtime/cdc/captured-tables.ts), so a start after a config change finds the new ones.
 */
export interface StreamPosition {
  readonly lsn: bigint | null;
  readonly lsnCommit: bigint | null;
  readonly lsnFlush: bigint | null;
  readonly txId: number | null;
  readonly tsUsec: bigint | null;
  readonly eventSeq: number;
  readonly txDone: boolean;
}

export interface SnapshotProgress {
  readonly inProgress: boolean;
  readonly completed: boolean;
  readonly table: string | null;
  readonly lastKey: readonly (string | null)[] | null;
  /** A parallel snapshot in a table without a primary key: the pages emitted completely. */
  readonly pagesDone?: PagesDone | null;
}

/** Heap pages [0, page) of the table whose storage is `relfilenode` were emitted completely. */
export interface PagesDone {
  readonly relfilenode: number;
  readonly page: number;
}

export interface LsnOffset {
  readonly position: StreamPosition;
  readonly snapshot: SnapshotProgress;
  /** A running incremental snapshot's context (runtime/cdc/incremental-snapshot-context.ts), encoded. */
  readonly incremental?: string | null;
  /** The captured tables when the offset was built (runtime/cdc/captured-tables.ts), encoded. */
  readonly capturedTables?: string | null;
}

export function sourcePartition(topicPrefix: string): SourcePartition {
  return { server: topicPrefix };
}

const num = (v: bigint | null): number | null => (v === null ? null : lsnToNumber(v));

export function toSourceOffset(offset: LsnOffset): SourceOffset {
  const { position: p, snapshot: s } = offset;
  const sourceOffset: Record<string, string | number | boolean | null> = {
    lsn: num(p.lsn),
    lsn_proc: num(p.lsn),
    lsn_commit: num(p.lsnCommit),
    lsn_flush: num(p.lsnFlush),
    txId: p.txId,
    ts_usec: p.tsUsec === null ? null : Number(p.tsUsec),
    event_seq: p.eventSeq,
    tx_done: p.txDone,
    snapshot: s.inProgress,
    snapshot_completed: s.completed,
    snapshot_table: s.table,
    snapshot_key: s.lastKey === null ? null : JSON.stringify(s.lastKey),
  };
  // Only when set, so the offsets without an incremental snapshot stay as they were.
  if (offset.incremental) sourceOffset['incremental_snapshot'] = offset.incremental;
  if (offset.capturedTables) sourceOffset['captured_tables'] = offset.capturedTables;
  // Only when set, so the offsets of a snapshot with one thread stay as they were.
  if (s.pagesDone) {
    sourceOffset['snapshot_relfilenode'] = s.pagesDone.relfilenode;
    sourceOffset['snapshot_page'] = s.pagesDone.page;
  }
  return sourceOffset;
}

function bigOrNull(v: unknown): bigint | null {
  return typeof v === 'number' ? BigInt(v) : typeof v === 'string' && v !== '' ? BigInt(v) : null;
}

export function fromSourceOffset(offset: SourceOffset): LsnOffset {
  const key = offset['snapshot_key'];
  const relfilenode = offset['snapshot_relfilenode'];
  const page = offset['snapshot_page'];
  const incremental = offset['incremental_snapshot'];
  const capturedTables = offset['captured_tables'];
  return {
    position: {
      lsn: bigOrNull(offset['lsn_proc'] ?? offset['lsn']),
      lsnCommit: bigOrNull(offset['lsn_commit']),
      lsnFlush: bigOrNull(offset['lsn_flush']),
      txId: typeof offset['txId'] === 'number' ? offset['txId'] : null,
      tsUsec: bigOrNull(offset['ts_usec']),
      eventSeq: typeof offset['event_seq'] === 'number' ? offset['event_seq'] : 0,
      txDone: offset['tx_done'] === true,
    },
    snapshot: {
      inProgress: offset['snapshot'] === true,
      completed: offset['snapshot_completed'] === true,
      table: typeof offset['snapshot_table'] === 'string' ? offset['snapshot_table'] : null,
      lastKey: typeof key === 'string' ? (JSON.parse(key) as (string | null)[]) : null,
      pagesDone: typeof relfilenode === 'number' && typeof page === 'number' ? { relfilenode, page } : null,
    },
    // Only when stored, so an offset without an incremental snapshot reads back as it was written.
    ...(typeof incremental === 'string' ? { incremental } : {}),
    ...(typeof capturedTables === 'string' ? { capturedTables } : {}),
  };
}

export const initialPosition: StreamPosition = {
  lsn: null,
  lsnCommit: null,
  lsnFlush: null,
  txId: null,
  tsUsec: null,
  eventSeq: 0,
  txDone: true,
};

/**
 * Whether an event of the transaction committing at `commitLsn` (its `seq`-th event) was
 * already emitted before `resume`, so a restart skips it instead of duplicating it.
 */
export function alreadyEmitted(resume: StreamPosition, commitLsn: bigint, seq: number): boolean {
  if (resume.lsnCommit === null) return false;
  if (commitLsn < resume.lsnCommit) return true;
  if (commitLsn > resume.lsnCommit) return false;
  return resume.txDone || seq <= resume.eventSeq;
}
