import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import type { ChunkKey, IncrementalTableReader, WatermarkKind } from '../../runtime/cdc/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import type { BinlogOffset } from './binlog-offset.js';
import { openConnection } from './mysql-server.js';
import {
  fromJsonSafe,
  jsonSafe,
  keyRangeWhere,
  PreparedStatements,
  quoteId,
  selectColumn,
  tableChunks,
} from './snapshot-chunks.js';
import type { MySqlSourceDeps } from './source-deps.js';
import { mysqlSourceValue } from './source-info.js';
import type { TableEvents } from './table-events.js';
import type { TableStructure } from './table-structure.js';

/**
 * The MySQL side of incremental snapshots: a table's chunks by primary key and the
 * watermark rows, on a connection of its own (autocommit: each statement is committed
 * when it returns, so a watermark is in the binlog before the chunk is read).
 */
export class MySqlIncrementalReads {
  private connection: mysql.Connection | null = null;

  constructor(
    private readonly deps: MySqlSourceDeps,
    /** The binlog position streamed to: the `source` block of the rows read. */
    private readonly position: () => BinlogOffset,
  ) {}

  /** The reader of `dataCollection` (`db.table`), or why it cannot be snapshotted. */
  async table(dataCollection: string): Promise<IncrementalTableReader | string> {
    const [db, name] = dataCollection.split('.');
    if (db === undefined || name === undefined || !this.deps.filter.includesTable(db, name))
      return 'it is not a captured table (check the name, <database>.<table>, and the filters)';
    const schema = this.deps.catalog.get(db, name);
    if (schema === undefined) return 'it is not in the table catalog (does it exist?)';
    const events = this.deps.eventsFor(schema);
    if (events === null) return 'its event schema cannot be built (see the uncaptured tables in the status)';
    if (schema.primaryKey.length === 0)
      return 'it has no primary key: an incremental snapshot reads a table in chunks by its primary key';
    return new MySqlChunkReader(await this.open(), schema, events, this.deps, this.position);
  }

  async writeWatermark(signalTable: string, kind: WatermarkKind, id: string, data: string): Promise<void> {
    const [db, table] = signalTable.split('.') as [string, string];
    await (
      await this.open()
    ).query(`INSERT INTO ${quoteId(db)}.${quoteId(table)} (id, type, data) VALUES (?, ?, ?)`, [
      id,
      kind,
      data,
    ]);
  }

  async close(): Promise<void> {
    await this.connection?.end().catch(() => undefined);
    this.connection = null;
  }

  private async open(): Promise<mysql.Connection> {
    this.connection ??= await openConnection(this.deps.config);
    return this.connection;
  }
}

/** One table's chunks, read after a key up to the largest key, as `r` records. */
class MySqlChunkReader implements IncrementalTableReader {
  private readonly qualified: string;

  constructor(
    private readonly connection: mysql.Connection,
    private readonly schema: TableStructure,
    private readonly events: TableEvents,
    private readonly deps: MySqlSourceDeps,
    private readonly position: () => BinlogOffset,
  ) {
    this.qualified = `${quoteId(schema.db)}.${quoteId(schema.table)}`;
  }

  get topic(): string {
    return this.events.topic;
  }

  async estimatedRows(): Promise<number> {
    const [rows] = await this.connection.query<RowDataPacket[]>(
      'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [this.schema.db, this.schema.table],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async maxKey(filter: string | null): Promise<ChunkKey | null> {
    const key = this.schema.primaryKey;
    const columns = key
      .map((name) => this.schema.columns.find((c) => c.name === name))
      .map((column, i) => (column === undefined ? quoteId(key[i]!) : selectColumn(column)))
      .join(', ');
    const descending = key.map((name) => `${this.qualified}.${quoteId(name)} DESC`).join(', ');
    const { where, params } = keyRangeWhere(key, null, null, filter);
    const statements = new PreparedStatements(this.connection);
    try {
      const [row] = await statements.rows(
        `SELECT ${columns} FROM ${this.qualified} ${where} ORDER BY ${descending} LIMIT 1`,
        params,
      );
      return row === undefined ? null : key.map((name) => jsonSafe(row[name]));
    } finally {
      statements.close();
    }
  }

  async readChunk(
    after: ChunkKey | null,
    upTo: ChunkKey,
    limit: number,
    filter: string | null,
  ): Promise<{ records: SourceRecord[]; lastKey: ChunkKey } | null> {
    const decode = (key: ChunkKey) => key.map(fromJsonSafe);
    const chunks = tableChunks(
      this.connection,
      this.schema,
      limit,
      after === null ? null : decode(after),
      decode(upTo),
      filter,
    );
    let rows: Record<string, unknown>[] = [];
    // One chunk only: returning from the loop closes the generator and its statements.
    for await (const chunk of chunks) {
      rows = chunk;
      break;
    }
    const last = rows[rows.length - 1];
    if (last === undefined) return null;
    const records = rows.map((row) => this.record(row));
    return { records, lastKey: this.schema.primaryKey.map((name) => jsonSafe(last[name])) };
  }

  /** One row as an `r` record; its offset is set when it is emitted. */
  private record(row: Record<string, unknown>): SourceRecord {
    const { config, partition } = this.deps;
    const now = Date.now();
    const { file, pos } = this.position();
    const source = mysqlSourceValue({
      name: config.cdc.topicPrefix,
      tsMs: now,
      snapshot: 'incremental',
      db: this.schema.db,
      table: this.schema.table,
      serverId: config.serverId,
      gtid: null,
      file,
      pos,
      row: 0,
      thread: null,
      query: null,
    });
    return this.events.changeRecord('r', null, row, source, partition, {}, now);
  }
}
