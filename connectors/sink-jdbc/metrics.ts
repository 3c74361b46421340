import type {
  CounterDefinition,
  CounterMetric,
  GaugeDefinition,
  GaugeMetric,
  HistogramDefinition,
  HistogramMetric,
  MetricDefinition,
  MetricFactory,
} from '../../runtime/plugin/index.js';

/** The JDBC sink's metrics, served with the worker's at /metrics. */
export const recordsAppliedMetric = {
  type: 'counter',
  name: 'siphon_sink_jdbc_records_applied_total',
  help: 'Records applied to the target, by source operation (c, u, d, r, t); skipped records count under op="skipped"',
  labelNames: ['connector', 'op'],
} as const satisfies CounterDefinition;

export const recordsRejectedMetric = {
  type: 'counter',
  name: 'siphon_sink_jdbc_records_rejected_total',
  help: 'Records the target could not take, handed to the dead-letter queue (or failing the task under errors.tolerance=none)',
  labelNames: ['connector'],
} as const satisfies CounterDefinition;

export const partialUpdatesWithoutRowMetric = {
  type: 'counter',
  name: 'siphon_sink_jdbc_partial_updates_without_row_total',
  help: 'Partial updates (some columns unavailable, e.g. unchanged TOAST) of a row the target does not have: rejected as bad records rather than inserted with holes',
  labelNames: ['connector'],
} as const satisfies CounterDefinition;

export const batchDurationMetric = {
  type: 'histogram',
  name: 'siphon_sink_jdbc_batch_duration_seconds',
  help: 'Time to apply one batch to the target, retries included, until its transaction committed',
  labelNames: ['connector'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
} as const satisfies HistogramDefinition;

export const batchRetriesMetric = {
  type: 'counter',
  name: 'siphon_sink_jdbc_batch_retries_total',
  help: 'Batch attempts retried after a connection or transient target error',
  labelNames: ['connector'],
} as const satisfies CounterDefinition;

export const lastAppliedOffsetMetric = {
  type: 'gauge',
  name: 'siphon_sink_jdbc_last_applied_offset',
  help: 'Kafka offset of the last record applied, per partition (consumer lag in records = end offset - 1 - this)',
  labelNames: ['connector', 'topic', 'partition'],
} as const satisfies GaugeDefinition;

export const endToEndLagMetric = {
  type: 'gauge',
  name: 'siphon_sink_jdbc_end_to_end_lag_seconds',
  help: 'Now minus the source ts_ms of the last record applied, per partition: the end-to-end replication lag',
  labelNames: ['connector', 'topic', 'partition'],
} as const satisfies GaugeDefinition;

export const consumerLagRecordsMetric = {
  type: 'gauge',
  name: 'siphon_sink_jdbc_consumer_lag_records',
  help: 'Records in the partition not applied yet: end offset (high watermark) minus the next offset to apply',
  labelNames: ['connector', 'topic', 'partition'],
} as const satisfies GaugeDefinition;

export const sinkJdbcMetricDefinitions: readonly MetricDefinition[] = [
  recordsAppliedMetric,
  recordsRejectedMetric,
  partialUpdatesWithoutRowMetric,
  batchDurationMetric,
  batchRetriesMetric,
  lastAppliedOffsetMetric,
  endToEndLagMetric,
  consumerLagRecordsMetric,
];

type PartitionLabels = Readonly<Record<'connector' | 'topic' | 'partition', string>>;

/** Where a partition's consumer lag in records comes from: the runtime's end offset minus the next offset to apply. */
interface LagSource {
  readonly labels: PartitionLabels;
  next: bigint;
  end: () => bigint | undefined;
}

/**
 * One sink task's metrics. The lag gauges are computed at scrape time from what the task
 * last applied per partition (a lag grows while nothing is applied); `close` stops that.
 */
export class JdbcSinkMetrics {
  readonly recordsApplied: CounterMetric<'connector' | 'op'>;
  readonly recordsRejected: CounterMetric<'connector'>;
  readonly partialUpdatesWithoutRow: CounterMetric<'connector'>;
  readonly batchDuration: HistogramMetric<'connector'>;
  readonly batchRetries: CounterMetric<'connector'>;
  private readonly lastAppliedOffset: GaugeMetric<'connector' | 'topic' | 'partition'>;
  private readonly endToEndLag: GaugeMetric<'connector' | 'topic' | 'partition'>;
  private readonly consumerLagRecords: GaugeMetric<'connector' | 'topic' | 'partition'>;
  /** Source event time of the last applied record per partition, in epoch ms. */
  private readonly lastSourceTimes = new Map<string, { labels: PartitionLabels; tsMs: number }>();
  private readonly lagSources = new Map<string, LagSource>();
  private readonly stopCollecting: readonly (() => void)[];

  constructor(
    metrics: MetricFactory,
    private readonly connector: string,
  ) {
    this.recordsApplied = metrics.counter(recordsAppliedMetric);
    this.recordsRejected = metrics.counter(recordsRejectedMetric);
    this.partialUpdatesWithoutRow = metrics.counter(partialUpdatesWithoutRowMetric);
    this.batchDuration = metrics.histogram(batchDurationMetric);
    this.batchRetries = metrics.counter(batchRetriesMetric);
    this.lastAppliedOffset = metrics.gauge(lastAppliedOffsetMetric);
    this.endToEndLag = metrics.gauge(endToEndLagMetric);
    this.consumerLagRecords = metrics.gauge(consumerLagRecordsMetric);
    this.stopCollecting = [
      this.endToEndLag.onCollect(() => {
        const now = Date.now();
        for (const { labels, tsMs } of this.lastSourceTimes.values())
          this.endToEndLag.set(labels, Math.max(0, now - tsMs) / 1000);
      }),
      this.consumerLagRecords.onCollect(() => {
        for (const source of this.lagSources.values()) {
          const end = source.end();
          if (end !== undefined)
            this.consumerLagRecords.set(source.labels, Number(end > source.next ? end - source.next : 0n));
        }
      }),
    ];
  }

  /** Tracks lag for a partition once the runtime tells the end offset (SinkTaskContext.endOffset). */
  trackLag(topic: string, partition: number, next: bigint, end: () => bigint | undefined): void {
    const key = `${topic}\u0000${partition}`;
    const source = this.lagSources.get(key);
    if (source) {
      source.next = next;
      source.end = end;
    } else this.lagSources.set(key, { labels: this.labels(topic, partition), next, end });
  }

  recordApplied(topic: string, partition: number, offset: bigint, sourceTsMs: bigint | null): void {
    const labels = this.labels(topic, partition);
    this.lastAppliedOffset.set(labels, Number(offset));
    if (sourceTsMs !== null)
      this.lastSourceTimes.set(`${topic}\u0000${partition}`, { labels, tsMs: Number(sourceTsMs) });
  }

  /** Drops a partition's gauges when the task no longer owns it. */
  forgetPartition(topic: string, partition: number): void {
    const labels = this.labels(topic, partition);
    this.lastAppliedOffset.remove(labels);
    this.endToEndLag.remove(labels);
    this.consumerLagRecords.remove(labels);
    this.lagSources.delete(`${topic}\u0000${partition}`);
    this.lastSourceTimes.delete(`${topic}\u0000${partition}`);
  }

  /** The task stopped: its partitions' lag is no longer computed. */
  close(): void {
    for (const stop of this.stopCollecting) stop();
  }

  private labels(topic: string, partition: number): PartitionLabels {
    return { connector: this.connector, topic, partition: String(partition) };
  }
}
