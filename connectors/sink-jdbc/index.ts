import type {
  ConfigIssue,
  ConnectorConfig,
  ParsedConfig,
  SinkConnectorPlugin,
} from '../../runtime/plugin/index.js';
import { configDef, crossKeyIssues, readSinkConfig } from './config.js';
import { describeSqlError } from './dialect.js';
import { sinkJdbcMetricDefinitions } from './metrics.js';
import { mysqlDialect } from './mysql-dialect.js';
import { postgresDialect } from './postgres-dialect.js';
import { JdbcSinkTask } from './sink-task.js';
import { jdbcVerification } from './verify-target.js';

const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * The JDBC sink: keeps PostgreSQL or MySQL/MariaDB tables equal to the change-event
 * topics it consumes. Accepts the Debezium and Confluent JDBC sink class names.
 */
export const plugin: SinkConnectorPlugin = {
  type: 'sink',
  name: 'jdbc',
  className: 'io.siphon.connector.jdbc.JdbcSinkConnector',
  aliases: ['io.debezium.connector.jdbc.JdbcSinkConnector', 'io.confluent.connect.jdbc.JdbcSinkConnector'],
  version: '0.1.0',
  configDef,
  metrics: sinkJdbcMetricDefinitions,

  async validate(config: ParsedConfig): Promise<readonly ConfigIssue[]> {
    const sinkConfig = readSinkConfig(config);
    const issues = crossKeyIssues(sinkConfig);
    if (issues.length > 0) return issues;
    // Reach the target once, so a wrong host or password shows up at create time.
    const dialect = sinkConfig.connection.dialect === 'postgresql' ? postgresDialect : mysqlDialect;
    try {
      const connection = await dialect.connect(
        {
          ...sinkConfig.connection,
          connectTimeoutMs: Math.min(sinkConfig.connection.connectTimeoutMs, 5000),
        },
        silentLogger,
      );
      await connection.close();
      return [];
    } catch (error) {
      const { host, port, database } = sinkConfig.connection;
      return [
        {
          name: 'connection.url',
          message: `cannot connect to ${dialect.name} at ${host}:${port}/${database}: ${describeSqlError(error)}`,
        },
      ];
    }
  },

  /** Every task gets the same config; the runtime spreads partitions over the consumer group `connect-<name>`. */
  taskConfigs(_config: ParsedConfig, maxTasks: number): readonly ConnectorConfig[] {
    return Array.from({ length: Math.max(1, maxTasks) }, () => ({}));
  },

  createTask: () => new JdbcSinkTask(),
  verification: jdbcVerification,
};
