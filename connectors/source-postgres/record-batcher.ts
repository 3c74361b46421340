import {
  changeEventsTotal,
  lastEventTimestampSeconds,
  millisecondsBehindSource,
} from '../../runtime/cdc/cdc-metrics.js';
import type { Op } from '../../runtime/cdc/change-event.js';
import type { SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';

/**
 * Collects records into batches of at most `max.batch.size` and hands them to the
 * runtime's bounded queue; `add` waits while the queue is full (backpressure reaches the
 * replication socket through the caller). Updates the change-event metrics.
 */
export class RecordBatcher {
  private pending: SourceRecord[] = [];

  constructor(
    private readonly context: SourceTaskContext,
    private readonly maxBatchSize: number,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** Adds a record; `op` and `sourceTsMs` (commit time) count it as a change event. */
  async add(record: SourceRecord, op?: Op, sourceTsMs?: number): Promise<void> {
    this.pending.push(record);
    if (op !== undefined) {
      const connector = this.context.connectorName;
      changeEventsTotal.inc({ connector, op });
      lastEventTimestampSeconds.set({ connector }, Date.now() / 1000);
      if (sourceTsMs !== undefined)
        millisecondsBehindSource.set({ connector }, Math.max(0, Date.now() - sourceTsMs));
    }
    if (this.pending.length >= this.maxBatchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    await this.context.emit(batch);
  }
}
