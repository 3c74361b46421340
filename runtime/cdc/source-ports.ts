import type { SourceOffset, SourcePartition } from '../record/index.js';

/**
 * The ports a CDC source connector implements for the coordinator (`coordinator.ts`):
 * how its stored offsets read, whether their position can still be read from, its
 * snapshot and its streaming. `Offset` is the connector's own decoded offset (an LSN
 * position, a binlog file/pos); the coordinator only passes it between the ports.
 */

/** What the stored offset says about the snapshot; `none` when no offset is stored. */
export type SnapshotState = 'none' | 'in-progress' | 'completed';

/** Decodes the offsets the connector stored (they are the connector's own layout). */
export interface OffsetCodec<Offset> {
  readonly partition: SourcePartition;
  decode(stored: SourceOffset): Offset;
  /** `in-progress` while a snapshot was interrupted; `completed` once streaming positions are stored. */
  snapshotState(offset: Offset): Exclude<SnapshotState, 'none'>;
}

/** Why the stored position cannot be read from any more (a dropped slot, a purged binlog). */
export interface LostPosition {
  /** What is gone and what that costs, e.g. `replication slot "s" is gone but offsets exist: changes made since were lost`. */
  readonly problem: string;
  /** The connector's own way out besides a new snapshot, e.g. `restore the slot`. */
  readonly otherFix: string;
  /**
   * Whether streaming can simply start over at the log's current end, missing the
   * changes in between (a new PostgreSQL slot can); the modes that never snapshot data
   * accept that, as Debezium's do, and fail otherwise.
   */
  readonly canStreamFromNow: boolean;
}

export interface StoredPosition<Offset> {
  /** Null while the stored offset's position can still be read from; what was lost otherwise. */
  lost(offset: Offset): Promise<LostPosition | null>;
}

export interface SnapshotRequest<Offset> {
  /** False: only the table structures are recorded (MySQL's schema history), no rows are read. */
  readonly data: boolean;
  /** The stored offset of an interrupted snapshot, to continue after its last committed row; null: from the start. */
  readonly resumeFrom: Offset | null;
  /** Streaming follows this snapshot (false for initial_only: nothing needs to be kept for it). */
  readonly streamingFollows: boolean;
}

export interface SnapshotSource<Offset> {
  /** Runs the snapshot to completion, returning where streaming starts, or until the task stops (null). */
  snapshot(request: SnapshotRequest<Offset>): Promise<Offset | null>;
}

/** Where streaming starts from: the position a snapshot returned, or the stored offset (no snapshot at this start). */
export type StreamingOrigin = 'snapshot' | 'stored offset';

export interface StreamingSource<Offset> {
  /** Called once before the first session (e.g. MySQL replays its schema history up to a stored offset). */
  prepare(from: Offset, origin: StreamingOrigin): Promise<void>;
  /**
   * One streaming session from `from`: resolves when the task stops, rejects when the
   * connection is lost (the coordinator reconnects) or anything else fails (the task fails).
   */
  stream(from: Offset): Promise<void>;
  /** The offset of the last record emitted (or position passed): where the next session resumes. */
  readonly emittedPosition: Offset;
  /**
   * Checks what a new session relies on besides its own connection (PostgreSQL: the
   * catalog connection); throws, ending the task with that error, when it is gone too.
   */
  checkBeforeReconnect?(): Promise<void>;
}

/** Everything the coordinator runs for one source task. */
export interface CdcSource<Offset> {
  readonly offsets: OffsetCodec<Offset>;
  readonly storedPosition: StoredPosition<Offset>;
  readonly snapshot: SnapshotSource<Offset>;
  readonly streaming: StreamingSource<Offset>;
}
