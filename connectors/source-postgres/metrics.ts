import { Gauge } from 'prom-client';
import { metricsRegistry } from '../../runtime/metrics/registry.js';

/** PostgreSQL-only metrics; the change-event metrics are runtime/cdc/cdc-metrics.ts. */
export const replicationLagBytes = new Gauge({
  name: 'siphon_source_postgres_replication_lag_bytes',
  help: "pg_current_wal_lsn() minus the slot's confirmed_flush_lsn, in bytes.",
  labelNames: ['connector'] as const,
  registers: [metricsRegistry],
});
