import type { SourceOffset, SourceRecord } from '../record/index.js';
import { setSnapshotMarker } from './change-event.js';
import { snapshotMarkerFor } from './source-block.js';

/** Where a snapshot table sits in the snapshot, for Debezium's first/last markers. */
export interface SnapshotTablePlace {
  readonly firstTable: boolean;
  readonly lastTable: boolean;
  /** False when the snapshot resumes inside this table: its first record is not the table's first. */
  readonly firstInTable: boolean;
}

/**
 * Debezium's `source.snapshot` markers need one record of look-ahead: a record's marker
 * (first, first/last_in_data_collection, true, last) is known once the next record, or the
 * end of the snapshot, shows whether it was the last of its table. Holds that one record;
 * its place is kept in fields, not an object per record.
 */
export class SnapshotLookahead {
  private held: SourceRecord | null = null;
  private heldTable = 0;
  private heldFirstTable = false;
  private heldLastTable = false;
  private heldFirstInTable = false;
  /** The table being read: its number in this snapshot, and its place. */
  private table = 0;
  private place: SnapshotTablePlace = { firstTable: false, lastTable: false, firstInTable: false };
  private nextFirstInTable = false;

  startTable(place: SnapshotTablePlace): void {
    this.table++;
    this.place = place;
    this.nextFirstInTable = place.firstInTable;
  }

  /** Holds `record` and returns the one held before, its marker set, or null. */
  next(record: SourceRecord): SourceRecord | null {
    const previous = this.held;
    if (previous !== null) {
      setSnapshotMarker(
        previous,
        snapshotMarkerFor({
          firstTable: this.heldFirstTable,
          lastTable: this.heldLastTable,
          firstInTable: this.heldFirstInTable,
          lastInTable: this.heldTable !== this.table,
        }),
      );
    }
    this.held = record;
    this.heldTable = this.table;
    this.heldFirstTable = this.place.firstTable;
    this.heldLastTable = this.place.lastTable;
    this.heldFirstInTable = this.nextFirstInTable;
    this.nextFirstInTable = false;
    return previous;
  }

  /**
   * The snapshot's very last record, "last" (even when the tables after its own were empty)
   * and carrying `finalOffset`, which says the snapshot is done; null when it read no row.
   */
  end(finalOffset: SourceOffset): SourceRecord | null {
    const last = this.held;
    this.held = null;
    if (last === null) return null;
    setSnapshotMarker(last, 'last');
    return { ...last, sourceOffset: finalOffset };
  }
}
