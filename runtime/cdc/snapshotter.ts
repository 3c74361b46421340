import { ConfigError } from '../plugin/index.js';
import type { LostPosition, SnapshotState } from './source-ports.js';

/** Every `snapshot.mode` a Siphon source offers (each connector allows a subset in its ConfigDef). */
export type SnapshotMode = 'initial' | 'initial_only' | 'always' | 'when_needed' | 'no_data' | 'never';

/** What a start does when the stored position is lost: a new snapshot, or streaming on from the log's end. */
export type LostPositionAction = 'snapshot' | 'stream';

/**
 * The decisions of one `snapshot.mode`, as Debezium's Snapshotter makes them, for both
 * sources: whether this start snapshots rows or only the table structures, whether an
 * interrupted snapshot continues, whether streaming follows, and what a lost position
 * means.
 *
 * - initial: rows when no snapshot completed yet, then stream; a lost position fails.
 * - initial_only: the same snapshot, then stop; never streams.
 * - always: rows at every start, from the beginning, then stream.
 * - when_needed: like initial, but a lost position takes a new snapshot.
 * - no_data, never: no rows; a first start records the table structures only, then
 *   streams. A lost position streams on where the log allows it, and fails otherwise.
 */
export class Snapshotter {
  constructor(readonly mode: SnapshotMode) {}

  /** Rows are read at this start. */
  snapshotsData(state: SnapshotState): boolean {
    switch (this.mode) {
      case 'always':
        return true;
      case 'initial':
      case 'initial_only':
      case 'when_needed':
        return state !== 'completed';
      case 'no_data':
      case 'never':
        return false;
    }
  }

  /** A snapshot runs at this start: with rows, or only the table structures of a first start. */
  snapshotsSchema(state: SnapshotState): boolean {
    return state === 'none' || this.snapshotsData(state);
  }

  /** An interrupted snapshot continues after its last committed row (always starts over). */
  resumesSnapshot(state: SnapshotState): boolean {
    return state === 'in-progress' && this.mode !== 'always' && this.snapshotsData(state);
  }

  get streams(): boolean {
    return this.mode !== 'initial_only';
  }

  /** A start with nothing left to do: the snapshot of initial_only is done. */
  finished(state: SnapshotState): boolean {
    return !this.streams && state === 'completed';
  }

  /** What to do when the stored position is lost; throws, naming the fix, when the mode allows nothing. */
  onLostPosition(lost: LostPosition): LostPositionAction {
    switch (this.mode) {
      case 'when_needed':
      case 'always':
        return 'snapshot';
      case 'no_data':
      case 'never':
        if (lost.canStreamFromNow) return 'stream';
        break;
      case 'initial':
      case 'initial_only':
        break;
    }
    throw new ConfigError(
      'snapshot.mode',
      `${lost.problem}. Set snapshot.mode=when_needed to take a new snapshot, or ${lost.otherFix}`,
    );
  }
}
