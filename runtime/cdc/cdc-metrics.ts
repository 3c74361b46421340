import type {
  CounterDefinition,
  CounterMetric,
  GaugeDefinition,
  GaugeMetric,
  MetricDefinition,
  MetricFactory,
} from '../plugin/index.js';
import type { Op } from './change-event.js';

/**
 * Change-event metrics both CDC sources update, labelled by connector. Defined once here
 * so PostgreSQL and MySQL sources report under the same names; each source plugin lists
 * `cdcMetricDefinitions` among its metrics and makes one `CdcMetrics` per task.
 */
export const changeEventsTotalMetric = {
  type: 'counter',
  name: 'siphon_source_change_events_total',
  help: 'Change events emitted, by operation (c, u, d, r, t, m).',
  labelNames: ['connector', 'op'],
} as const satisfies CounterDefinition;

export const snapshotRowsDoneMetric = {
  type: 'gauge',
  name: 'siphon_source_snapshot_rows_done',
  help: 'Rows of a table read by the running or last snapshot.',
  labelNames: ['connector', 'table'],
} as const satisfies GaugeDefinition;

export const snapshotRowsTotalMetric = {
  type: 'gauge',
  name: 'siphon_source_snapshot_rows_total',
  help: "Estimated rows of a table to snapshot (the database's statistics).",
  labelNames: ['connector', 'table'],
} as const satisfies GaugeDefinition;

export const sourceLagSecondsMetric = {
  type: 'gauge',
  name: 'siphon_source_lag_seconds',
  help: "Now minus the commit time of the last change event, in seconds (Debezium's MilliSecondsBehindSource).",
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const lastEventTimestampSecondsMetric = {
  type: 'gauge',
  name: 'siphon_source_last_event_timestamp_seconds',
  help: 'Unix time at which the last change event was emitted.',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const cdcMetricDefinitions: readonly MetricDefinition[] = [
  changeEventsTotalMetric,
  snapshotRowsDoneMetric,
  snapshotRowsTotalMetric,
  sourceLagSecondsMetric,
  lastEventTimestampSecondsMetric,
];

/** The CDC metrics of one task, made from its context's factory. */
export class CdcMetrics {
  readonly changeEventsTotal: CounterMetric<'connector' | 'op'>;
  readonly snapshotRowsDone: GaugeMetric<'connector' | 'table'>;
  readonly snapshotRowsTotal: GaugeMetric<'connector' | 'table'>;
  readonly sourceLagSeconds: GaugeMetric<'connector'>;
  readonly lastEventTimestampSeconds: GaugeMetric<'connector'>;

  constructor(metrics: MetricFactory) {
    this.changeEventsTotal = metrics.counter(changeEventsTotalMetric);
    this.snapshotRowsDone = metrics.gauge(snapshotRowsDoneMetric);
    this.snapshotRowsTotal = metrics.gauge(snapshotRowsTotalMetric);
    this.sourceLagSeconds = metrics.gauge(sourceLagSecondsMetric);
    this.lastEventTimestampSeconds = metrics.gauge(lastEventTimestampSecondsMetric);
  }
}

/**
 * What the event dispatcher reports, once per batch: change events per op, when the last
 * went out and how far behind the source it was. An interface so the dispatcher does not
 * depend on where the metrics live.
 */
export interface ChangeEventMetrics {
  countEvents(op: Op, count: number): void;
  /** A batch went out at `nowMs`; `sourceTsMs` is the commit time of its last change event, if known. */
  batchEmitted(nowMs: number, sourceTsMs: number | undefined): void;
}

/** The change-event metrics of one connector's task, on its CDC metrics. */
export function changeEventMetrics(metrics: CdcMetrics, connector: string): ChangeEventMetrics {
  const labels = { connector };
  return {
    countEvents: (op, count) => metrics.changeEventsTotal.inc({ connector, op }, count),
    batchEmitted: (nowMs, sourceTsMs) => {
      metrics.lastEventTimestampSeconds.set(labels, nowMs / 1000);
      if (sourceTsMs !== undefined)
        metrics.sourceLagSeconds.set(labels, Math.max(0, nowMs - sourceTsMs) / 1000);
    },
  };
}
