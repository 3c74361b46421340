import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.js';
import type { Op } from './change-event.js';

/**
 * Change-event metrics both CDC sources update, labelled by connector. Defined once here
 * so PostgreSQL and MySQL sources report under the same names.
 */
export const changeEventsTotal = new Counter({
  name: 'siphon_source_change_events_total',
  help: 'Change events emitted, by operation (c, u, d, r, t, m).',
  labelNames: ['connector', 'op'] as const,
  registers: [metricsRegistry],
});

export const snapshotRowsDone = new Gauge({
  name: 'siphon_source_snapshot_rows_done',
  help: 'Rows of a table read by the running or last snapshot.',
  labelNames: ['connector', 'table'] as const,
  registers: [metricsRegistry],
});

export const snapshotRowsTotal = new Gauge({
  name: 'siphon_source_snapshot_rows_total',
  help: "Estimated rows of a table to snapshot (the database's statistics).",
  labelNames: ['connector', 'table'] as const,
  registers: [metricsRegistry],
});

export const sourceLagSeconds = new Gauge({
  name: 'siphon_source_lag_seconds',
  help: "Now minus the commit time of the last change event, in seconds (Debezium's MilliSecondsBehindSource).",
  labelNames: ['connector'] as const,
  registers: [metricsRegistry],
});

export const lastEventTimestampSeconds = new Gauge({
  name: 'siphon_source_last_event_timestamp_seconds',
  help: 'Unix time at which the last change event was emitted.',
  labelNames: ['connector'] as const,
  registers: [metricsRegistry],
});

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

/** The change-event metrics of one connector, on the metrics above. */
export function changeEventMetrics(connector: string): ChangeEventMetrics {
  const labels = { connector };
  return {
    countEvents: (op, count) => changeEventsTotal.inc({ connector, op }, count),
    batchEmitted: (nowMs, sourceTsMs) => {
      lastEventTimestampSeconds.set(labels, nowMs / 1000);
      if (sourceTsMs !== undefined) sourceLagSeconds.set(labels, Math.max(0, nowMs - sourceTsMs) / 1000);
    },
  };
}
