import { kafkaSignalTopic } from '../../runtime/cdc/index.js';
import type { ConfigIssue, SourceConnectorPlugin } from '../../runtime/plugin/index.js';
import { binlogRetentionProbe } from './binlog-retention.js';
import { mysqlConfigDef, readMySqlConfig } from './config.js';
import { mysqlMetricDefinitions } from './metrics.js';
import { checkServer, openConnection } from './mysql-server.js';
import { MySqlSourceTask, tableFilter } from './source-task.js';
import { mysqlVerification } from './verify-reader.js';

/**
 * The MySQL/MariaDB source connector (Debezium's MySqlConnector and MariaDbConnector
 * class names). One task: a server has one binlog stream.
 *
 * Verified against MariaDB 10.11 only. MySQL 8 semantics that differ and were not
 * verifiable on this machine: GTID sets (`uuid:1-5`) instead of MariaDB positions, the
 * native JSON type, `SHOW BINARY LOG STATUS` (8.4) instead of SHOW MASTER STATUS, the
 * lack of `binlog_snapshot_file/position` (the snapshot position is read under the lock),
 * REPLICATION CLIENT instead of BINLOG MONITOR, and compressed transaction payloads
 * (binlog_transaction_compression=ON), which zongji cannot decode.
 */
export const plugin: SourceConnectorPlugin = {
  type: 'source',
  name: 'mysql',
  className: 'io.debezium.connector.mysql.MySqlConnector',
  aliases: ['io.debezium.connector.mariadb.MariaDbConnector'],
  version: '0.1.0',
  configDef: mysqlConfigDef,
  metrics: mysqlMetricDefinitions,
  async validate(parsed) {
    const issues: ConfigIssue[] = [];
    let config;
    try {
      config = readMySqlConfig(parsed);
      tableFilter(config);
    } catch (error) {
      return [{ name: 'table.include.list', message: (error as Error).message }];
    }
    try {
      const connection = await openConnection(config);
      try {
        await checkServer(connection, config);
      } finally {
        await connection.end().catch(() => undefined);
      }
    } catch (error) {
      issues.push({ name: 'database.hostname', message: (error as Error).message });
    }
    return issues;
  },
  taskConfigs() {
    return [{}];
  },
  createTask() {
    return new MySqlSourceTask();
  },
  retentionProbe: binlogRetentionProbe,
  verification: mysqlVerification,
  signalTopic: kafkaSignalTopic,
};
