import { CdcMetrics, type Op } from '../../runtime/cdc/index.js';
import type { SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';

/**
 * Collects records into batches of at most `max.batch.size` and hands them to the
 * runtime's bounded queue; `add` waits while the queue is full (backpressure reaches the
 * replication socket through the caller). Updates the change-event metrics.
 */
export class RecordBatcher {
  private pending: SourceRecord[] = [];
  /** Change events per op in `pending`, applied to the metrics once per batch (cheaper than per record). */
  private readonly opCounts = new Map<Op, number>();
  private lastSourceTsMs: number | undefined;
  private lastSourceOffset: SourceRecord['sourceOffset'] | null = null;
  private readonly metrics: CdcMetrics;

  constructor(
    private readonly context: SourceTaskContext,
    private readonly maxBatchSize: number,
  ) {
    this.metrics = new CdcMetrics(context.metrics);
  }

  /**
   * The offset of the last record added, as JSON: the task compares it with what was
   * committed. Serialized when asked, not per record.
   */
  get lastOffset(): string | null {
    return this.lastSourceOffset === null ? null : JSON.stringify(this.lastSourceOffset);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Adds a record; `op` and `sourceTsMs` (commit time) count it as a change event. */
  async add(record: SourceRecord, op?: Op, sourceTsMs?: number): Promise<void> {
    this.pending.push(record);
    this.lastSourceOffset = record.sourceOffset;
    if (op !== undefined) {
      this.opCounts.set(op, (this.opCounts.get(op) ?? 0) + 1);
      if (sourceTsMs !== undefined) this.lastSourceTsMs = sourceTsMs;
    }
    if (this.pending.length >= this.maxBatchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.updateMetrics();
    await this.context.emit(batch);
  }

  private updateMetrics(): void {
    if (this.opCounts.size === 0) return;
    const connector = this.context.connectorName;
    for (const [op, count] of this.opCounts) this.metrics.changeEventsTotal.inc({ connector, op }, count);
    this.opCounts.clear();
    this.metrics.lastEventTimestampSeconds.set({ connector }, Date.now() / 1000);
    if (this.lastSourceTsMs !== undefined) {
      this.metrics.sourceLagSeconds.set({ connector }, Math.max(0, Date.now() - this.lastSourceTsMs) / 1000);
    }
  }
}
