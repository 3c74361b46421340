import { cdcMetricDefinitions } from '../../runtime/cdc/index.js';
import type {
  CounterDefinition,
  CounterMetric,
  GaugeDefinition,
  GaugeMetric,
  MetricDefinition,
  MetricFactory,
} from '../../runtime/plugin/index.js';

/**
 * The MySQL-only metrics, labelled by connector (Debezium's streaming and snapshot
 * MBeans in Prometheus naming). Events by op, lag behind the source and snapshot rows
 * are shared with the PostgreSQL source: runtime/cdc/cdc-metrics.ts.
 */
export const binlogFileNumberMetric = {
  type: 'gauge',
  name: 'siphon_source_mysql_binlog_file_number',
  help: 'Numeric suffix of the binlog file being read (mysql-bin.000042 → 42).',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const binlogPositionMetric = {
  type: 'gauge',
  name: 'siphon_source_mysql_binlog_position_bytes',
  help: 'Position in the binlog file of the last transaction boundary read.',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const connectedMetric = {
  type: 'gauge',
  name: 'siphon_source_mysql_connected',
  help: '1 while the binlog connection is open, 0 otherwise.',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const schemaChangesMetric = {
  type: 'counter',
  name: 'siphon_source_mysql_schema_changes_total',
  help: 'DDL statements on captured tables recorded in the schema history.',
  labelNames: ['connector'],
} as const satisfies CounterDefinition;

export const snapshotRunningMetric = {
  type: 'gauge',
  name: 'siphon_source_mysql_snapshot_running',
  help: '1 while the snapshot runs.',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

export const snapshotTablesMetric = {
  type: 'gauge',
  name: 'siphon_source_mysql_snapshot_tables',
  help: 'Tables of the snapshot: total and completed.',
  labelNames: ['connector', 'state'],
} as const satisfies GaugeDefinition;

export const binlogFilesNeededMetric = {
  type: 'gauge',
  name: 'siphon_source_mysql_binlog_files_needed',
  help: "Binlog files on the server from the connector's committed position on (measured by the worker whatever the connector's state).",
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

/** Every metric the MySQL source's tasks and retention probe create. */
export const mysqlMetricDefinitions: readonly MetricDefinition[] = [
  ...cdcMetricDefinitions,
  binlogFileNumberMetric,
  binlogPositionMetric,
  connectedMetric,
  schemaChangesMetric,
  snapshotRunningMetric,
  snapshotTablesMetric,
  binlogFilesNeededMetric,
];

/** The MySQL-only metrics of one task, made from its context's factory. */
export class MySqlMetrics {
  readonly binlogFileNumber: GaugeMetric<'connector'>;
  readonly binlogPosition: GaugeMetric<'connector'>;
  readonly connected: GaugeMetric<'connector'>;
  readonly schemaChanges: CounterMetric<'connector'>;
  readonly snapshotRunning: GaugeMetric<'connector'>;
  readonly snapshotTables: GaugeMetric<'connector' | 'state'>;

  constructor(metrics: MetricFactory) {
    this.binlogFileNumber = metrics.gauge(binlogFileNumberMetric);
    this.binlogPosition = metrics.gauge(binlogPositionMetric);
    this.connected = metrics.gauge(connectedMetric);
    this.schemaChanges = metrics.counter(schemaChangesMetric);
    this.snapshotRunning = metrics.gauge(snapshotRunningMetric);
    this.snapshotTables = metrics.gauge(snapshotTablesMetric);
  }
}
