import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../../runtime/metrics/registry.js';

/**
 * The MySQL source's metrics, labelled by connector (Debezium's streaming and snapshot
 * MBeans in Prometheus naming). Defined once here, updated by the snapshot and the
 * binlog reader.
 */
export const mysqlEvents = new Counter({
  name: 'siphon_source_mysql_events_total',
  help: 'Change events emitted by the MySQL source, by operation (r, c, u, d, t).',
  labelNames: ['connector', 'op'],
  registers: [metricsRegistry],
});

export const mysqlMillisecondsBehindSource = new Gauge({
  name: 'siphon_source_mysql_milliseconds_behind_source',
  help: 'Milliseconds between a binlog event being written and the connector reading it (last event).',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});

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

export const mysqlSnapshotRows = new Counter({
  name: 'siphon_source_mysql_snapshot_rows_scanned_total',
  help: 'Rows read by the snapshot.',
  labelNames: ['connector'],
  registers: [metricsRegistry],
});
