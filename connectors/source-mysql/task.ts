import type { RowDataPacket } from 'mysql2/promise';
import { TableFilter, taskEventDispatcher, UncapturedTables } from '../../runtime/cdc/index.js';
import type { SourceTask, SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourcePartition } from '../../runtime/record/index.js';
import { fromSourceOffset, sourcePartition } from './binlog-offset.js';
import type { BinlogOffset } from './binlog-offset.js';
import { BinlogReader } from './binlog-reader.js';
import { readMySqlConfig } from './config.js';
import type { MySqlSourceConfig } from './config.js';
import { binlogFiles, checkServer, openConnection } from './mysql-server.js';
import { applyHistory, KafkaSchemaHistory } from './schema-history.js';
import { runSnapshot } from './snapshot.js';
import type { SnapshotDeps } from './snapshot.js';
import { TableCatalog } from './table-catalog.js';
import { TableEvents, type TableEventOptions } from './table-events.js';
import type { TableSchema } from './table-schema.js';

/** Builds the include/exclude filter of a config (database lists are the namespace lists). */
export function tableFilter(config: MySqlSourceConfig): TableFilter {
  return new TableFilter({
    namespaceInclude: config.databaseInclude,
    namespaceExclude: config.databaseExclude,
    namespaceKeys: ['database.include.list', 'database.exclude.list'],
    tableInclude: config.cdc.tableInclude,
    tableExclude: config.cdc.tableExclude,
    columnInclude: config.cdc.columnInclude,
    columnExclude: config.cdc.columnExclude,
  });
}

/**
 * The MySQL/MariaDB source task: checks the server, decides between snapshot and
 * streaming from the committed offset, rebuilds the table catalog from the schema
 * history, and reads the binlog until the runtime stops it.
 */
export class MySqlSourceTask implements SourceTask {
  async run(taskContext: SourceTaskContext): Promise<void> {
    const uncaptured = new UncapturedTables(taskContext);
    const context = uncaptured.context;
    const config = readMySqlConfig(context.config);
    const filter = tableFilter(config);
    const partition = sourcePartition(config.cdc.topicPrefix);
    const catalog = await this.prepareCatalog(config);
    if (config.historyBootstrapServers.length > 0) {
      context.logger.warn(
        "schema.history.internal.kafka.bootstrap.servers is ignored: the schema history topic is kept in the worker's Kafka cluster, with the worker's connection settings",
        { topic: config.historyTopic },
      );
    }
    const history = new KafkaSchemaHistory(context.durableLog(config.historyTopic));
    await history.start();
    try {
      const cache = new WeakMap<TableSchema, TableEvents | null>();
      // A table whose events cannot be built is skipped and named in the status; the others go on.
      const eventsFor = (table: TableSchema): TableEvents | null => {
        let events = cache.get(table);
        if (events === undefined) {
          events = this.tableEvents(table, uncaptured, {
            topicPrefix: config.cdc.topicPrefix,
            logger: context.logger,
            fieldNameMode: config.cdc.fieldNameMode,
            filter,
            keyColumns: config.cdc.messageKeyColumns,
            types: {
              decimalMode: config.cdc.decimalMode,
              timePrecisionMode: config.cdc.timePrecisionMode,
              binaryMode: config.cdc.binaryMode,
              bigintUnsignedMode: config.bigintUnsignedMode,
              tinyint1AsBoolean: config.tinyint1AsBoolean,
            },
          });
          cache.set(table, events);
        }
        return events;
      };
      const dispatcher = taskEventDispatcher(config.cdc, context, partition);
      const deps: SnapshotDeps = {
        config,
        filter,
        catalog,
        history,
        eventsFor,
        context,
        partition,
        dispatcher,
      };
      const start = await this.startingPoint(deps, partition);
      if (start === null || context.signal.aborted) return;
      await new BinlogReader(deps, start).run();
    } finally {
      await history.stop();
    }
  }

  private tableEvents(
    table: TableSchema,
    uncaptured: UncapturedTables,
    options: TableEventOptions,
  ): TableEvents | null {
    const name = `${table.db}.${table.table}`;
    try {
      const events = new TableEvents(table, options);
      uncaptured.remove(name);
      return events;
    } catch (error) {
      uncaptured.add(name, (error as Error).message);
      return null;
    }
  }

  async offsetsCommitted(): Promise<void> {
    // The binlog has no consumer acknowledgement: the server keeps files by age
    // (binlog_expire_logs_seconds), so nothing is released here.
  }

  /** Checks the server and seeds the catalog's character set defaults. */
  private async prepareCatalog(config: MySqlSourceConfig): Promise<TableCatalog> {
    const connection = await openConnection(config);
    try {
      await checkServer(connection, config);
      const [server] = await connection.query<RowDataPacket[]>('SELECT @@character_set_server AS charset');
      const catalog = new TableCatalog(String(server[0]?.charset ?? 'utf8mb4'));
      const [databases] = await connection.query<RowDataPacket[]>(
        'SELECT SCHEMA_NAME AS db, DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA',
      );
      for (const row of databases) catalog.setDatabaseCharset(String(row.db), String(row.charset));
      return catalog;
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  /** Runs the snapshot the offsets and snapshot.mode call for; returns where streaming starts (null: stop). */
  private async startingPoint(deps: SnapshotDeps, partition: SourcePartition): Promise<BinlogOffset | null> {
    const { config, context, history, catalog } = deps;
    const stored = await context.committedOffset(partition);
    const offset = stored === null ? null : fromSourceOffset(stored);
    const mode = config.snapshotMode;
    const snapshot = async (resume: BinlogOffset | null, withData: boolean): Promise<BinlogOffset | null> => {
      const point = await runSnapshot(deps, resume, withData);
      if (mode === 'initial_only') return null;
      return {
        ...point,
        event: 0,
        row: -1,
        tsSec: 0,
        snapshot: null,
        snapshotTable: null,
        snapshotKey: null,
      };
    };
    if (offset === null) {
      // never: no data, but the table structures are still recorded, as for no_data.
      return snapshot(null, mode !== 'no_data' && mode !== 'never');
    }
    if (mode === 'initial_only' && offset.snapshot !== 'true') return null; // the snapshot is done
    if (offset.snapshot === 'true' && mode !== 'no_data' && mode !== 'never') {
      context.logger.info('resuming the interrupted snapshot', { table: offset.snapshotTable });
      return snapshot(offset, true);
    }
    const connection = await openConnection(config);
    let available: string[];
    try {
      available = await binlogFiles(connection);
    } finally {
      await connection.end().catch(() => undefined);
    }
    if (!available.includes(offset.file)) {
      if (mode === 'when_needed') {
        context.logger.warn('the stored binlog position was purged from the server; taking a new snapshot', {
          file: offset.file,
        });
        return snapshot(null, true);
      }
      throw new Error(
        `the binlog file ${offset.file} holding the stored offset (pos ${offset.pos}) is no longer on the server (oldest: ${available[0] ?? 'none'}); events between it and now are lost. Set snapshot.mode=when_needed to take a new snapshot, or delete the connector's offsets`,
      );
    }
    const entries = await history.readAll();
    if (entries.length === 0) {
      if (mode === 'when_needed') {
        context.logger.warn('the schema history topic is empty; taking a new snapshot', {
          topic: config.historyTopic,
        });
        return snapshot(null, true);
      }
      throw new Error(
        `the schema history topic ${config.historyTopic} is empty or missing, so binlog rows cannot be decoded with their table structure; restore the topic, set snapshot.mode=when_needed, or delete the connector's offsets to start over`,
      );
    }
    // A topic shared by mistake with another connector must not mix the two catalogs.
    const own = entries.filter((entry) => entry.source.server === config.cdc.topicPrefix);
    const applied = applyHistory(catalog, own, offset);
    context.logger.info('resuming the binlog', {
      file: offset.file,
      pos: offset.pos,
      event: offset.event,
      row: offset.row,
      historyEntries: applied,
    });
    return offset;
  }
}
