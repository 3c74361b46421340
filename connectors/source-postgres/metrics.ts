import { cdcMetricDefinitions } from '../../runtime/cdc/index.js';
import type {
  GaugeDefinition,
  GaugeMetric,
  MetricDefinition,
  MetricFactory,
} from '../../runtime/plugin/index.js';

/**
 * PostgreSQL-only metrics; the change-event metrics are runtime/cdc's (cdc-metrics.ts), the
 * retained bytes every source has are the runtime's (runtime/guardian). The slot gauges are
 * set by slot-retention.ts from pg_replication_slots, whatever the connector's state.
 */
export const replicationLagBytesMetric = {
  type: 'gauge',
  name: 'siphon_source_postgres_replication_lag_bytes',
  help: "pg_current_wal_lsn() minus the slot's confirmed_flush_lsn, in bytes, whatever the connector's state.",
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const slotActiveMetric = {
  type: 'gauge',
  name: 'siphon_source_postgres_slot_active',
  help: "1 while a walsender reads the connector's replication slot, 0 otherwise.",
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const slotSafeWalSizeMetric = {
  type: 'gauge',
  name: 'siphon_source_postgres_slot_safe_wal_size_bytes',
  help: 'WAL that can still be written before the slot is lost to max_slot_wal_keep_size (safe_wal_size; absent when unlimited).',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const slotWalStatusMetric = {
  type: 'gauge',
  name: 'siphon_source_postgres_slot_wal_status',
  help: "The slot's wal_status: 1 for the status it has (reserved, extended, unreserved, lost), 0 for the others.",
  labelNames: ['connector', 'wal_status'],
} as const satisfies GaugeDefinition;

/** Every metric the PostgreSQL source's tasks and retention probe create. */
export const postgresMetricDefinitions: readonly MetricDefinition[] = [
  ...cdcMetricDefinitions,
  replicationLagBytesMetric,
  slotActiveMetric,
  slotSafeWalSizeMetric,
  slotWalStatusMetric,
];

/** The slot gauges of one retention probe. */
export class SlotMetrics {
  readonly replicationLagBytes: GaugeMetric<'connector'>;
  readonly slotActive: GaugeMetric<'connector'>;
  readonly slotSafeWalSize: GaugeMetric<'connector'>;
  readonly slotWalStatus: GaugeMetric<'connector' | 'wal_status'>;

  constructor(metrics: MetricFactory) {
    this.replicationLagBytes = metrics.gauge(replicationLagBytesMetric);
    this.slotActive = metrics.gauge(slotActiveMetric);
    this.slotSafeWalSize = metrics.gauge(slotSafeWalSizeMetric);
    this.slotWalStatus = metrics.gauge(slotWalStatusMetric);
  }
}
