import type { SourceRecord } from '../record/index.js';

/**
 * A primary key as the connector reads it, in key column order: what a chunk is read
 * after. Kept in offsets as JSON, so its values are JSON values (the connector encodes
 * what JSON has no form for, e.g. bytes).
 */
export type ChunkKey = readonly unknown[];

/** The watermark rows an incremental snapshot writes into the signal table around each chunk read. */
export type WatermarkKind = 'snapshot-window-open' | 'snapshot-window-close';

export const watermarkKinds: readonly WatermarkKind[] = ['snapshot-window-open', 'snapshot-window-close'];

/** The signal table id of a chunk's watermark row: a restart's stale rows never match a new chunk. */
export function watermarkId(chunkId: string, kind: WatermarkKind): string {
  return `${chunkId}-${kind === 'snapshot-window-open' ? 'open' : 'close'}`;
}

/**
 * One chunk of an incremental snapshot between its watermarks (the DBLog method, as
 * Debezium does it). The chunk was read after its open watermark was written and before
 * its close watermark was; so a change streamed between the two watermarks happened
 * while the chunk was read, or after, and is newer than (or as new as) the row read:
 * the row of that key leaves the buffer. At the close watermark what is left is emitted.
 * Changes streamed before the open watermark are older than the read and leave it alone.
 */
export class ChunkWindow {
  private readonly buffer = new Map<string, SourceRecord>();
  private opened = false;

  constructor(
    readonly chunkId: string,
    /** The topic of the chunk's table: only its changes can touch the buffer. */
    private readonly topic: string,
    records: readonly SourceRecord[],
    /** The key of the last row read: where the next chunk starts. */
    readonly lastKey: ChunkKey,
  ) {
    for (const record of records) this.buffer.set(keyIdentity(record.key), record);
  }

  /** Rows of the chunk still to be emitted. */
  get size(): number {
    return this.buffer.size;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /**
   * A watermark row was streamed: `open` when it opens this window, `close` when it closes
   * it (after it opened), `other` when it belongs to another chunk (a run before a restart).
   */
  watermark(kind: WatermarkKind, id: string): 'open' | 'close' | 'other' {
    if (id !== watermarkId(this.chunkId, kind)) return 'other';
    if (kind === 'snapshot-window-open') {
      this.opened = true;
      return 'open';
    }
    return this.opened ? 'close' : 'other';
  }

  /** A streamed change: inside the window, the buffered row of its key is older and goes. */
  streamed(record: SourceRecord): void {
    if (!this.opened || record.topic !== this.topic) return;
    this.buffer.delete(keyIdentity(record.key));
  }

  /** A streamed truncate: inside the window, every buffered row of that table is gone. */
  truncated(topic: string): void {
    if (this.opened && topic === this.topic) this.buffer.clear();
  }

  /** The rows no streamed change replaced, in the order they were read. */
  remaining(): SourceRecord[] {
    return [...this.buffer.values()];
  }
}

/** One text per key value, equal for equal keys however they were built (bigint and bytes included). */
export function keyIdentity(key: unknown): string {
  return JSON.stringify(key, (_name, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}
