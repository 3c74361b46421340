import type { RowDataPacket } from 'mysql2/promise';
import {
  CdcCoordinator,
  Snapshotter,
  TableFilter,
  taskEventDispatcher,
  UncapturedTables,
  type CdcSource,
  type LostPosition,
  type OffsetCodec,
  type SnapshotRequest,
  type SnapshotSource,
  type StoredPosition,
  type StreamingOrigin,
  type StreamingSource,
} from '../../runtime/cdc/index.js';
import { SiphonError, type SourceTask, type SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourcePartition } from '../../runtime/record/index.js';
import { fromSourceOffset, sourcePartition } from './binlog-offset.js';
import type { BinlogOffset } from './binlog-offset.js';
import { BinlogReader } from './stream-reader.js';
import { readMySqlConfig } from './config.js';
import type { MySqlSourceConfig } from './config.js';
import { binlogFiles, checkServer, listTables, openConnection } from './mysql-server.js';
import { applyHistory, KafkaSchemaHistory, type HistoryEntry } from './schema-history.js';
import { runSnapshot } from './snapshot.js';
import type { MySqlSourceDeps } from './source-deps.js';
import { TableCatalog } from './table-catalog.js';
import { TableEvents, type TableEventOptions } from './table-events.js';
import type { TableStructure } from './table-structure.js';

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
 * The MySQL/MariaDB source task: checks the server and seeds the table catalog, then the
 * CDC coordinator runs the snapshot the snapshot.mode asks for, or rebuilds the catalog
 * from the schema history, and reads the binlog until the runtime stops it.
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
    let capture: MySqlCapture | null = null;
    try {
      const cache = new WeakMap<TableStructure, TableEvents | null>();
      // A table whose events cannot be built is skipped and named in the status; the others go on.
      const eventsFor = (table: TableStructure): TableEvents | null => {
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
      const deps: MySqlSourceDeps = {
        config,
        filter,
        catalog,
        history,
        eventsFor,
        context,
        partition,
        dispatcher,
      };
      capture = new MySqlCapture(deps);
      const source: CdcSource<BinlogOffset> = {
        offsets: binlogOffsets(partition),
        storedPosition: capture,
        snapshot: capture,
        streaming: capture,
      };
      await new CdcCoordinator(context, new Snapshotter(config.snapshotMode), source).run();
    } finally {
      await capture?.close();
      await history.stop();
    }
  }

  private tableEvents(
    table: TableStructure,
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
}

function binlogOffsets(partition: SourcePartition): OffsetCodec<BinlogOffset> {
  return {
    partition,
    decode: fromSourceOffset,
    snapshotState: (offset) => (offset.snapshot === 'true' ? 'in-progress' : 'completed'),
  };
}

/**
 * What is MySQL's own in the pipeline: whether the stored binlog position and the schema
 * history are still there, the consistent snapshot, and binlog sessions from the catalog
 * the snapshot or the history built.
 */
class MySqlCapture
  implements StoredPosition<BinlogOffset>, SnapshotSource<BinlogOffset>, StreamingSource<BinlogOffset>
{
  private history: HistoryEntry[] | null = null;
  private reader: BinlogReader | null = null;

  constructor(private readonly deps: MySqlSourceDeps) {}

  async lost(offset: BinlogOffset): Promise<LostPosition | null> {
    const { config } = this.deps;
    const connection = await openConnection(config);
    let available: string[];
    try {
      available = await binlogFiles(connection);
    } finally {
      await connection.end().catch(() => undefined);
    }
    if (!available.includes(offset.file)) {
      return {
        problem: `the binlog file ${offset.file} holding the stored offset (pos ${offset.pos}) is no longer on the server (oldest: ${available[0] ?? 'none'}); events between it and now are lost`,
        otherFix: "delete the connector's offsets",
        canStreamFromNow: false,
      };
    }
    this.history = await this.deps.history.readAll();
    if (this.history.length > 0) return null;
    return {
      problem: `the schema history topic ${config.historyTopic} is empty or missing, so binlog rows cannot be decoded with their table structure`,
      otherFix: "restore the topic, or delete the connector's offsets to start over",
      canStreamFromNow: false,
    };
  }

  async snapshot(request: SnapshotRequest<BinlogOffset>): Promise<BinlogOffset> {
    const { resumeFrom } = request;
    if (resumeFrom !== null)
      this.deps.context.logger.info('resuming the interrupted snapshot', { table: resumeFrom.snapshotTable });
    const point = await runSnapshot(this.deps, resumeFrom, request.data);
    return { ...point, event: 0, row: -1, tsSec: 0, snapshot: null, snapshotTable: null, snapshotKey: null };
  }

  /** Without a snapshot at this start, the catalog is rebuilt from the schema history up to `from`. */
  async prepare(from: BinlogOffset, origin: StreamingOrigin): Promise<void> {
    const { catalog, config, context, history } = this.deps;
    if (origin === 'stored offset') {
      const entries = this.history ?? (await history.readAll());
      // A topic shared by mistake with another connector must not mix the two catalogs.
      const own = entries.filter((entry) => entry.source.server === config.cdc.topicPrefix);
      const applied = applyHistory(catalog, own, from);
      context.logger.info('resuming the binlog', {
        file: from.file,
        pos: from.pos,
        event: from.event,
        row: from.row,
        historyEntries: applied,
      });
    }
    this.history = null;
    this.reader = new BinlogReader(this.deps, from, await this.capturedTables());
    await this.reader.recordNewTables();
  }

  /** The tables the filters capture now, as `db.table`. */
  private async capturedTables(): Promise<string[]> {
    const { config, filter } = this.deps;
    const connection = await openConnection(config);
    try {
      return (await listTables(connection))
        .filter((t) => filter.includesTable(t.db, t.table))
        .map((t) => `${t.db}.${t.table}`);
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  get emittedPosition(): BinlogOffset {
    if (this.reader === null) throw new SiphonError('the binlog reader is not prepared', false);
    return this.reader.emittedPosition;
  }

  async stream(from: BinlogOffset): Promise<void> {
    if (this.reader === null) throw new SiphonError('the binlog reader is not prepared', false);
    await this.reader.stream(from);
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
