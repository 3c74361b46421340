import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../../runtime/metrics/registry.js';

/** The JDBC sink's metrics, each defined once, served with the worker's at /metrics. */
const registers = [metricsRegistry];

export const recordsApplied = new Counter({
  name: 'siphon_sink_jdbc_records_applied_total',
  help: 'Records applied to the target, by source operation (c, u, d, r, t); skipped records count under op="skipped"',
  labelNames: ['connector', 'op'] as const,
  registers,
});

export const recordsRejected = new Counter({
  name: 'siphon_sink_jdbc_records_rejected_total',
  help: 'Records the target could not take, handed to the dead-letter queue (or failing the task under errors.tolerance=none)',
  labelNames: ['connector'] as const,
  registers,
});

export const partialUpdatesWithoutRow = new Counter({
  name: 'siphon_sink_jdbc_partial_updates_without_row_total',
  help: 'Partial updates (some columns unavailable, e.g. unchanged TOAST) of a row the target does not have: rejected as bad records rather than inserted with holes',
  labelNames: ['connector'] as const,
  registers,
});

export const batchDuration = new Histogram({
  name: 'siphon_sink_jdbc_batch_duration_seconds',
  help: 'Time to apply one batch to the target, retries included, until its transaction committed',
  labelNames: ['connector'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

export const batchRetries = new Counter({
  name: 'siphon_sink_jdbc_batch_retries_total',
  help: 'Batch attempts retried after a connection or transient target error',
  labelNames: ['connector'] as const,
  registers,
});

export const lastAppliedOffset = new Gauge({
  name: 'siphon_sink_jdbc_last_applied_offset',
  help: 'Kafka offset of the last record applied, per partition (consumer lag in records = end offset - 1 - this)',
  labelNames: ['connector', 'topic', 'partition'] as const,
  registers,
});

/** Source event time of the last applied record per partition, in epoch ms; read at scrape time. */
const lastSourceTimes = new Map<
  string,
  { connector: string; topic: string; partition: string; tsMs: number }
>();

export const endToEndLag = new Gauge({
  name: 'siphon_sink_jdbc_end_to_end_lag_seconds',
  help: 'Now minus the source ts_ms of the last record applied, per partition: the end-to-end replication lag',
  labelNames: ['connector', 'topic', 'partition'] as const,
  registers,
  collect() {
    const now = Date.now();
    for (const entry of lastSourceTimes.values()) {
      this.set(
        { connector: entry.connector, topic: entry.topic, partition: entry.partition },
        Math.max(0, now - entry.tsMs) / 1000,
      );
    }
  },
});

/** Where each partition's consumer lag in records comes from: the runtime's end offset minus the next offset to apply. */
const lagSources = new Map<
  string,
  { labels: Record<'connector' | 'topic' | 'partition', string>; next: bigint; end: () => bigint | undefined }
>();

export const consumerLagRecords = new Gauge({
  name: 'siphon_sink_jdbc_consumer_lag_records',
  help: 'Records in the partition not applied yet: end offset (high watermark) minus the next offset to apply',
  labelNames: ['connector', 'topic', 'partition'] as const,
  registers,
  collect() {
    for (const source of lagSources.values()) {
      const end = source.end();
      if (end !== undefined) this.set(source.labels, Number(end > source.next ? end - source.next : 0n));
    }
  },
});

/** Tracks lag for a partition once the runtime tells the end offset (SinkTaskContext.endOffset). */
export function trackLag(
  connector: string,
  topic: string,
  partition: number,
  next: bigint,
  end: () => bigint | undefined,
): void {
  lagSources.set(`${connector}\u0000${topic}\u0000${partition}`, {
    labels: { connector, topic, partition: String(partition) },
    next,
    end,
  });
}

export function recordApplied(
  connector: string,
  topic: string,
  partition: number,
  offset: bigint,
  sourceTsMs: bigint | null,
): void {
  const labels = { connector, topic, partition: String(partition) };
  lastAppliedOffset.set(labels, Number(offset));
  if (sourceTsMs !== null)
    lastSourceTimes.set(`${connector}\u0000${topic}\u0000${partition}`, {
      ...labels,
      tsMs: Number(sourceTsMs),
    });
}

/** Drops a partition's gauges when the task no longer owns it. */
export function forgetPartition(connector: string, topic: string, partition: number): void {
  const labels = { connector, topic, partition: String(partition) };
  lastAppliedOffset.remove(labels);
  endToEndLag.remove(labels);
  consumerLagRecords.remove(labels);
  lagSources.delete(`${connector}\u0000${topic}\u0000${partition}`);
  lastSourceTimes.delete(`${connector}\u0000${topic}\u0000${partition}`);
}
