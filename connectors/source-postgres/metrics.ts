import { Gauge } from 'prom-client';
import { metricsRegistry } from '../../runtime/metrics/registry.js';

/**
 * PostgreSQL-only metrics; the change-event metrics are runtime/cdc/cdc-metrics.ts, the
 * retained bytes every source has are the runtime's (runtime/guardian). The slot gauges are
 * set by slot-retention.ts from pg_replication_slots, whatever the connector's state.
 */
const registers = [metricsRegistry];

export const replicationLagBytes = new Gauge({
  name: 'siphon_source_postgres_replication_lag_bytes',
  help: "pg_current_wal_lsn() minus the slot's confirmed_flush_lsn, in bytes, whatever the connector's state.",
  labelNames: ['connector'] as const,
  registers,
});

export const slotActive = new Gauge({
  name: 'siphon_source_postgres_slot_active',
  help: "1 while a walsender reads the connector's replication slot, 0 otherwise.",
  labelNames: ['connector'] as const,
  registers,
});

export const slotSafeWalSize = new Gauge({
  name: 'siphon_source_postgres_slot_safe_wal_size_bytes',
  help: 'WAL that can still be written before the slot is lost to max_slot_wal_keep_size (safe_wal_size; absent when unlimited).',
  labelNames: ['connector'] as const,
  registers,
});

export const slotWalStatus = new Gauge({
  name: 'siphon_source_postgres_slot_wal_status',
  help: "The slot's wal_status: 1 for the status it has (reserved, extended, unreserved, lost), 0 for the others.",
  labelNames: ['connector', 'wal_status'] as const,
  registers,
});
