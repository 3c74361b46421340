import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import {
  CdcMetrics,
  encodeCapturedTables,
  readChunksInOrder,
  SnapshotProgressReporter,
  type SnapshotTablePlace,
} from '../../runtime/cdc/index.js';
import type { Struct } from '../../runtime/record/index.js';
import { toSourceOffset } from './binlog-offset.js';
import type { BinlogOffset } from './binlog-offset.js';
import type { MySqlSourceConfig } from './config.js';
import type { MySqlSourceDeps } from './source-deps.js';
import { MySqlMetrics } from './metrics.js';
import {
  currentBinlogPosition,
  currentGtids,
  listTables,
  openConnection,
  readTableSchemas,
} from './mysql-server.js';
import { schemaChangeRecord } from './schema-change-event.js';
import { tableId } from './schema-history.js';
import { fromJsonSafe, jsonSafe, keyBoundaries, quoteId, tableChunks } from './snapshot-chunks.js';
import type { TableEvents } from './table-events.js';
import type { HistoryEntry } from './schema-history.js';
import { mysqlSourceValue } from './source-info.js';
import { tableKey } from './table-structure.js';
import type { TableStructure } from './table-structure.js';

export interface SnapshotPoint {
  readonly file: string;
  readonly pos: number;
  readonly gtids: string | null;
}

/**
 * The initial snapshot, consistent with the binlog: under a short global read lock
 * (`snapshot.locking.mode=minimal`; LOCK TABLES when the user lacks RELOAD; no lock with
 * `none`) it starts a `WITH CONSISTENT SNAPSHOT` transaction, reads the binlog position
 * and GTID state and the table structures, releases the lock, then reads each table in
 * primary-key chunks of `snapshot.fetch.size` rows inside that transaction, emitting
 * `op: "r"` events. Streaming then starts at the snapshot's binlog position, so every
 * change after the snapshot point is read from the binlog exactly once.
 *
 * On MariaDB the position comes from the `binlog_snapshot_file/position` status of the
 * consistent-snapshot transaction itself, which is exact even without a lock. (MySQL 8
 * has no such status: there the position is read under the lock; not verified here.)
 *
 * Resuming an interrupted snapshot keeps the original binlog position and continues after
 * the last primary key emitted, in a new consistent-snapshot transaction: rows changed
 * while the connector was down may then appear both as a read and as a binlog change.
 */
export async function runSnapshot(
  deps: MySqlSourceDeps,
  resume: BinlogOffset | null,
  withData: boolean,
): Promise<SnapshotPoint> {
  const { config, context } = deps;
  const connector = context.connectorName;
  const connection = await openConnection(config);
  const metrics = new MySqlMetrics(context.metrics);
  metrics.snapshotRunning.set({ connector }, 1);
  // Opened before the lock, so the lock is held no longer than with one connection.
  let readers: mysql.Connection[] = [];
  try {
    readers = await openReaders(config, withData ? config.snapshotMaxThreads - 1 : 0);
    await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const tables = (await listTables(connection)).filter((t) => deps.filter.includesTable(t.db, t.table));
    const { point, schemas, consistentReaders } = await consistentStart(connection, deps, tables, readers);
    const start =
      resume?.snapshot === 'true' ? { file: resume.file, pos: resume.pos, gtids: resume.gtids } : point;
    context.logger.info('snapshot started', {
      tables: tables.length,
      file: start.file,
      pos: start.pos,
      gtids: start.gtids,
      resumedAt: resume?.snapshotTable ?? null,
    });
    await recordSchemas(deps, schemas, start);
    if (withData) await readTables(deps, [connection, ...consistentReaders], schemas, start, resume);
    for (const reader of [connection, ...consistentReaders]) await reader.query('COMMIT');
    context.logger.info('snapshot completed', { tables: schemas.length });
    return start;
  } finally {
    metrics.snapshotRunning.set({ connector }, 0);
    await Promise.all([connection, ...readers].map((c) => c.end().catch(() => undefined)));
  }
}

/** The connections besides the first that read a parallel snapshot, in REPEATABLE READ. */
async function openReaders(config: MySqlSourceConfig, count: number): Promise<mysql.Connection[]> {
  const readers: mysql.Connection[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const reader = await openConnection(config);
      readers.push(reader);
      await reader.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    }
    return readers;
  } catch (error) {
    await Promise.all(readers.map((c) => c.end().catch(() => undefined)));
    throw error;
  }
}

/**
 * The lock, the structures, the binlog position and the consistent-snapshot transaction of
 * `connection`, and of every parallel reader: under a lock, each reader starts its
 * transaction inside the window (before the first connection's, which ends a LOCK TABLES),
 * so all see the same committed state. Without a lock only MariaDB can tell: a reader whose
 * snapshot is at the first connection's binlog position saw the same commits, another one
 * is left out.
 */
async function consistentStart(
  connection: mysql.Connection,
  deps: MySqlSourceDeps,
  tables: readonly { db: string; table: string }[],
  readers: readonly mysql.Connection[],
): Promise<{ point: SnapshotPoint; schemas: TableStructure[]; consistentReaders: mysql.Connection[] }> {
  const { config, context } = deps;
  let locked: 'global' | 'tables' | 'none' = 'none';
  if (config.snapshotLockingMode === 'minimal') {
    try {
      await connection.query('FLUSH TABLES WITH READ LOCK');
      locked = 'global';
    } catch (error) {
      // Without RELOAD: lock only the captured tables (needs LOCK TABLES and SELECT).
      context.logger.warn('FLUSH TABLES WITH READ LOCK not allowed, locking the captured tables instead', {
        reason: (error as Error).message,
      });
      if (tables.length > 0) {
        const list = tables.map((t) => `${quoteId(t.db)}.${quoteId(t.table)} READ`).join(', ');
        await connection.query(`LOCK TABLES ${list}`);
        locked = 'tables';
      }
    }
  }
  try {
    // Structures first: under LOCK TABLES, START TRANSACTION releases the table locks.
    const schemas = await readTableSchemas(connection, tables);
    const gtids = await currentGtids(connection);
    const lockedPosition = locked === 'none' ? null : await currentBinlogPosition(connection);
    for (const reader of readers) await reader.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const snapshotPosition = await transactionBinlogPosition(connection);
    const point = snapshotPosition
      ? { ...snapshotPosition, gtids }
      : { ...(lockedPosition ?? (await currentBinlogPosition(connection))), gtids };
    const consistentReaders: mysql.Connection[] = [];
    for (const reader of readers) {
      const seen = locked === 'none' ? await transactionBinlogPosition(reader) : point;
      if (seen?.file === point.file && seen.pos === point.pos) consistentReaders.push(reader);
      // Closed at once: an open transaction holds back the server's purge.
      else await reader.end().catch(() => undefined);
    }
    if (consistentReaders.length < readers.length) {
      deps.context.logger.warn(
        'snapshot readers whose consistent snapshot may differ from the first one are not used (snapshot.locking.mode=none)',
        { readers: 1 + consistentReaders.length, asked: 1 + readers.length },
      );
    }
    return { point, schemas, consistentReaders };
  } finally {
    if (locked !== 'none') await connection.query('UNLOCK TABLES');
  }
}

/** MariaDB's binlog position of the open consistent-snapshot transaction; null on MySQL (no such status). */
async function transactionBinlogPosition(
  connection: mysql.Connection,
): Promise<{ file: string; pos: number } | null> {
  const [status] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const file = status.find((row) => row.Variable_name === 'Binlog_snapshot_file')?.Value as
    string | undefined;
  const pos = status.find((row) => row.Variable_name === 'Binlog_snapshot_position')?.Value as
    string | undefined;
  return file && pos ? { file, pos: Number(pos) } : null;
}

async function recordSchemas(
  deps: MySqlSourceDeps,
  schemas: readonly TableStructure[],
  start: SnapshotPoint,
): Promise<void> {
  const { catalog, config } = deps;
  for (const existing of catalog.all()) catalog.remove(existing.db, existing.table);
  for (const schema of schemas) catalog.put(schema);
  const entries: HistoryEntry[] = schemas.map((schema, index) => ({
    source: { server: config.cdc.topicPrefix },
    position: { file: start.file, pos: start.pos, gtids: start.gtids },
    ts_ms: Date.now(),
    databaseName: schema.db,
    ddl: '',
    tableChanges: [{ type: 'CREATE', id: tableId(schema.db, schema.table), table: schema }],
    ...(index === 0 ? { snapshot: true as const } : {}),
  }));
  if (entries.length === 0) {
    entries.push({
      source: { server: config.cdc.topicPrefix },
      position: { file: start.file, pos: start.pos, gtids: start.gtids },
      ts_ms: Date.now(),
      databaseName: '',
      ddl: '',
      tableChanges: [],
      snapshot: true,
    });
  }
  await deps.history.record(entries);
  if (!config.includeSchemaChanges) return;
  const offset = toSourceOffset(snapshotOffset(start, null, null, 'true'));
  for (const schema of schemas) {
    const record = schemaChangeRecord(
      config.cdc.topicPrefix,
      schema.db,
      '',
      [{ type: 'CREATE', db: schema.db, table: schema.table, schema }],
      snapshotSource(config, schema, start),
      deps.partition,
      offset,
      Date.now(),
    );
    await deps.dispatcher.add(record);
  }
  await deps.dispatcher.flush();
}

/** The source block of a snapshot record of `schema` (its marker set by the dispatcher). */
function snapshotSource(config: MySqlSourceConfig, schema: TableStructure, start: SnapshotPoint): Struct {
  return mysqlSourceValue({
    name: config.cdc.topicPrefix,
    tsMs: Date.now(),
    snapshot: 'true',
    db: schema.db,
    table: schema.table,
    serverId: config.serverId,
    gtid: null,
    file: start.file,
    pos: start.pos,
    row: 0,
    thread: null,
    query: null,
  });
}

function snapshotOffset(
  start: SnapshotPoint,
  table: string | null,
  key: string | null,
  snapshot: 'true' | 'last',
): BinlogOffset {
  return {
    file: start.file,
    pos: start.pos,
    event: 0,
    row: -1,
    gtids: start.gtids,
    tsSec: Math.floor(Date.now() / 1000),
    snapshot,
    snapshotTable: table,
    snapshotKey: key,
  };
}

/**
 * A table the snapshot reads: its place among the tables to read, its events (null: it
 * cannot be captured, and is passed over), where it resumes.
 */
interface TableRead {
  readonly schema: TableStructure;
  readonly key: string;
  readonly events: TableEvents | null;
  readonly startKey: unknown[] | null;
  readonly place: SnapshotTablePlace;
}

type CapturedRead = TableRead & { readonly events: TableEvents };

/** A range of a parallel snapshot: a table's keys in (after, upTo], open ends null; a whole table without a key. */
interface KeyRange {
  readonly table: CapturedRead;
  readonly after: readonly unknown[] | null;
  readonly upTo: readonly unknown[] | null;
}

/**
 * Tables are cut into key ranges of about this many fetches: large enough that cutting (one
 * index probe per boundary) stays cheap next to reading, small enough that the readers share
 * a large table.
 */
const fetchesPerRange = 10;

/**
 * The key ranges of `tables` in read order, yielded as the walk over each primary key finds
 * them (on `connection`, inside its snapshot), so reading starts before a table is cut.
 */
async function* keyRanges(
  connection: mysql.Connection,
  tables: readonly CapturedRead[],
  rangeRows: number,
): AsyncGenerator<KeyRange> {
  for (const table of tables) {
    let from: readonly unknown[] | null = table.startKey;
    if (table.schema.primaryKey.length > 0) {
      for await (const upTo of keyBoundaries(connection, table.schema, table.startKey, rangeRows)) {
        yield { table, after: from, upTo };
        from = upTo;
      }
    }
    yield { table, after: from, upTo: null };
  }
}

async function readTables(
  deps: MySqlSourceDeps,
  connections: readonly mysql.Connection[],
  schemas: readonly TableStructure[],
  start: SnapshotPoint,
  resume: BinlogOffset | null,
): Promise<void> {
  const { context, dispatcher } = deps;
  const connector = context.connectorName;
  const metrics = new MySqlMetrics(context.metrics);
  const cdcMetrics = new CdcMetrics(context.metrics);
  const ordered = [...schemas].sort((a, b) => tableKey(a.db, a.table).localeCompare(tableKey(b.db, b.table)));
  const resumeTable = resume?.snapshot === 'true' ? resume.snapshotTable : null;
  const todo =
    resumeTable === null
      ? ordered
      : ordered.filter((s) => tableKey(s.db, s.table).localeCompare(resumeTable) >= 0);
  metrics.snapshotTables.set({ connector, state: 'total' }, ordered.length);
  metrics.snapshotTables.set({ connector, state: 'completed' }, ordered.length - todo.length);
  let done = ordered.length - todo.length;
  const reporter = new SnapshotProgressReporter(context, dispatcher);
  const estimates = await estimatedRows(connections[0]!, todo);
  for (const [key, estimate] of estimates)
    cdcMetrics.snapshotRowsTotal.set({ connector, table: key }, estimate);
  const reads: TableRead[] = [];
  for (const [index, schema] of todo.entries()) {
    const events = deps.eventsFor(schema);
    const key = tableKey(schema.db, schema.table);
    const startKey =
      resumeTable === key && resume?.snapshotKey
        ? (JSON.parse(resume.snapshotKey) as unknown[]).map(fromJsonSafe)
        : null;
    const place = {
      firstTable: index === 0 && resumeTable === null,
      lastTable: index === todo.length - 1,
      firstInTable: true,
    };
    reads.push({ schema, key, events, startKey, place });
  }
  /** One fetch of `table`'s rows as `r` events. */
  const emit = async (
    events: TableEvents,
    table: TableRead,
    chunk: readonly Record<string, unknown>[],
    rowsBefore: number,
    /** A parallel snapshot's progress: its readers and the key ranges emitted completely. */
    parallel: { readonly readers: number; readonly chunks_done: number } | null,
  ): Promise<void> => {
    const { schema, key } = table;
    for (const row of chunk) {
      const lastKey =
        schema.primaryKey.length > 0
          ? JSON.stringify(schema.primaryKey.map((name) => jsonSafe(row[name])))
          : null;
      const source = snapshotSource(deps.config, schema, start);
      await dispatcher.snapshotRecord(
        events.changeRecord(
          'r',
          null,
          row,
          source,
          deps.partition,
          toSourceOffset(snapshotOffset(start, key, lastKey, 'true')),
          Date.now(),
        ),
      );
    }
    const rows = rowsBefore + chunk.length;
    cdcMetrics.snapshotRowsDone.set({ connector, table: key }, rows);
    reporter.table(
      {
        table: key,
        tableNumber: ordered.indexOf(schema) + 1,
        tables: ordered.length,
        rowsDone: rows,
        rowsEstimated: estimates.get(key) ?? 0,
      },
      parallel ?? {},
    );
  };
  const tableDone = (table: TableRead, rows: number): void => {
    done++;
    metrics.snapshotTables.set({ connector, state: 'completed' }, done);
    context.logger.info('snapshot read a table', { table: table.key, rows });
  };
  const size = deps.config.snapshotFetchSize;
  if (connections.length > 1) {
    // Tables and key ranges in parallel; their rows reach the dispatcher in table and key
    // order, so markers and the resume position are those of one connection.
    const captured = reads.filter((table): table is CapturedRead => table.events !== null);
    const items = readChunksInOrder(
      keyRanges(connections[0]!, captured, size * fetchesPerRange),
      (range, reader) => tableChunks(connections[reader]!, range.table.schema, size, range.after, range.upTo),
      { readers: connections.length, pagesPerReader: 2 },
    );
    let current: CapturedRead | null = null;
    let rows = 0;
    for await (const item of items) {
      if (item.chunk.table !== current) {
        if (current !== null) tableDone(current, rows);
        current = item.chunk.table;
        rows = 0;
        dispatcher.startSnapshotTable(current.place);
      }
      if (item.kind === 'end') continue;
      await emit(current.events, current, item.page, rows, {
        readers: connections.length,
        chunks_done: item.index,
      });
      rows += item.page.length;
      if (context.signal.aborted) {
        reporter.finished('ABORTED', { phase: 'snapshot stopped', tables: ordered.length });
        await dispatcher.flush();
        return;
      }
    }
    if (current !== null) tableDone(current, rows);
  } else {
    const connection = connections[0]!;
    for (const table of reads) {
      if (context.signal.aborted) {
        reporter.finished('ABORTED', { phase: 'snapshot stopped', tables: ordered.length });
        await dispatcher.flush();
        return;
      }
      const events = table.events;
      if (events === null) continue;
      // The dispatcher gives the records Debezium's first/last markers.
      dispatcher.startSnapshotTable(table.place);
      let rows = 0;
      for await (const chunk of tableChunks(connection, table.schema, size, table.startKey)) {
        if (context.signal.aborted) {
          reporter.finished('ABORTED', { phase: 'snapshot stopped', tables: ordered.length });
          await dispatcher.flush();
          return;
        }
        await emit(events, table, chunk, rows, null);
        rows += chunk.length;
      }
      tableDone(table, rows);
    }
  }
  // The last record names the captured tables: a config change with nothing streamed since finds the new ones.
  const capturedTables = encodeCapturedTables(ordered.map((s) => tableKey(s.db, s.table)));
  await dispatcher.endSnapshot(
    toSourceOffset({ ...snapshotOffset(start, null, null, 'last'), capturedTables }),
  );
  reporter.finished('COMPLETED', {
    phase: 'snapshot completed',
    tables: ordered.length,
    tables_completed: done,
  });
}

/** The server's row estimates (information_schema TABLE_ROWS) by table key, for progress and ETA. */
async function estimatedRows(
  connection: mysql.Connection,
  schemas: readonly TableStructure[],
): Promise<Map<string, number>> {
  const estimates = new Map<string, number>();
  const databases = [...new Set(schemas.map((s) => s.db))];
  if (databases.length === 0) return estimates;
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_ROWS AS estimate FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?)',
    [databases],
  );
  for (const row of rows)
    estimates.set(tableKey(String(row.db), String(row.name)), Number(row.estimate ?? 0));
  return estimates;
}
