import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../../runtime/metrics/registry.js';

/**
 * The MySQL-only metrics, labelled by connector (Debezium's streaming and snapshot
 * MBeans in Prometheus naming). Events by op, lag behind the source and snapshot rows
 * are shared with the PostgreSQL source: runtime/cdc/cdc-metrics.ts.
 */
export const mysqlBinlogFileNumber = new Gauge({
  name: 'siphon_source_mysql_binlog_file_number',
  help: 'Numeric suffix of the binlog file being read (mysql-bin.000042 → 42).',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});

export const mysqlBinlogPosition = new Gauge({
  name: 'siphon_source_mysql_binlog_position_bytes',
  help: 'Position in the binlog file of the last transaction boundary read.',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});

export const mysqlConnected = new Gauge({
  name: 'siphon_source_mysql_connected',
  help: '1 while the binlog connection is open, 0 otherwise.',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});

export const mysqlSchemaChanges = new Counter({
  name: 'siphon_source_mysql_schema_changes_total',
  help: 'DDL statements on captured tables recorded in the schema history.',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});

export const mysqlSnapshotRunning = new Gauge({
  name: 'siphon_source_mysql_snapshot_running',
  help: '1 while the snapshot runs.',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});

export const mysqlSnapshotTables = new Gauge({
  name: 'siphon_source_mysql_snapshot_tables',
  help: 'Tables of the snapshot: total and completed.',
  labelNames: ['connector', 'state'],
  registers: [metricsRegistry],
});

export const mysqlBinlogFilesNeeded = new Gauge({
  name: 'siphon_source_mysql_binlog_files_needed',
  help: "Binlog files on the server from the connector's committed position on (measured by the worker whatever the connector's state).",
  labelNames: ['connector'],
  registers: [metricsRegistry],
});
