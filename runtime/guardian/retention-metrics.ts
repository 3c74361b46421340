import { Gauge } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.js';

/** What every source's retention looks like in Prometheus; set by the guardian only. */
const registers = [metricsRegistry];

export const retainedBytes = new Gauge({
  name: 'siphon_source_retained_bytes',
  help: "Bytes the source server keeps for the connector (PostgreSQL: WAL from the slot's restart_lsn; MySQL: binlog files from the committed position on), measured from the database whatever the connector's state, also after a delete while the slot exists.",
  labelNames: ['connector'] as const,
  registers,
});

export const retentionBehindBytes = new Gauge({
  name: 'siphon_source_retention_behind_bytes',
  help: "Bytes the source server wrote after the connector's confirmed position (PostgreSQL: pg_current_wal_lsn() - confirmed_flush_lsn; MySQL: binlog bytes after the committed offset).",
  labelNames: ['connector'] as const,
  registers,
});

export const retentionOverLimit = new Gauge({
  name: 'siphon_source_retention_over_limit',
  help: '1 while the retained bytes exceed the connector limit (slot.max.retained.wal.bytes) or what it needs was lost, 0 otherwise.',
  labelNames: ['connector'] as const,
  registers,
});

export function forgetRetentionMetrics(connector: string): void {
  for (const gauge of [retainedBytes, retentionBehindBytes, retentionOverLimit]) gauge.remove({ connector });
}
