import { kafkaSignalTopic } from '../../runtime/cdc/index.js';
import type { ConfigIssue, SourceConnectorPlugin } from '../../runtime/plugin/index.js';
import { capturedTables } from './catalog.js';
import { postgresConfigDef, readPostgresOptions, tableFilterOf } from './config.js';
import { connect } from './connection.js';
import { postgresMetricDefinitions } from './metrics.js';
import { PostgresSourceTask } from './source-task.js';
import { preflightProblems } from './preflight.js';
import { slotRetentionProbe } from './slot-retention.js';
import { postgresVerification } from './verify-reader.js';

/**
 * The PostgreSQL source connector: a consistent snapshot, then pgoutput streaming, as
 * Debezium-compatible change events. One task per connector (one replication slot).
 */
export const plugin: SourceConnectorPlugin = {
  type: 'source',
  name: 'postgres',
  className: 'io.siphon.connector.postgresql.PostgresConnector',
  aliases: ['io.debezium.connector.postgresql.PostgresConnector', 'PostgresConnector'],
  version: '0.1.0',
  configDef: postgresConfigDef,
  metrics: postgresMetricDefinitions,
  async validate(config) {
    const options = readPostgresOptions(config);
    let client;
    try {
      client = await connect(options, 'siphon-validate');
    } catch (error) {
      return [
        {
          name: 'database.hostname',
          message: `cannot connect to ${options.hostname}:${options.port}/${options.dbname} as ${options.user}: ${(error as Error).message}`,
        },
      ];
    }
    try {
      const filter = tableFilterOf(options);
      const problems = await preflightProblems(client, options, await capturedTables(client, filter));
      return problems.map((message): ConfigIssue => ({ name: 'database.user', message }));
    } finally {
      await client.end();
    }
  },
  leftBehindOnDelete(config) {
    const { slotName: slot, publicationName: publication, slotDropOnStop } = readPostgresOptions(config);
    return [
      ...(slotDropOnStop
        ? []
        : [
            `replication slot ${slot} is kept and retains WAL until dropped (SELECT pg_drop_replication_slot('${slot}'); set slot.drop.on.stop=true to drop it on delete)`,
          ]),
      `publication ${publication} is kept (DROP PUBLICATION ${publication} when no connector uses it)`,
    ];
  },
  taskConfigs(_config, _maxTasks) {
    // One replication slot can be read by one connection only: always a single task.
    return [{}];
  },
  createTask: () => new PostgresSourceTask(),
  retentionProbe: slotRetentionProbe,
  verification: postgresVerification,
  signalTopic: kafkaSignalTopic,
};
