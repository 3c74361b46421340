import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import {
  chunkKeyColumns,
  chunkQuery,
  maxKeyQuery,
  type ChunkKey,
  type ChunkQuery,
  type ChunkQueryDialect,
  type ChunkQueryTable,
  type IncrementalTableReader,
  type WatermarkKind,
} from '../../runtime/cdc/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import type { BinlogOffset } from './binlog-offset.js';
import { openConnection } from './mysql-server.js';
import { fromJsonSafe, jsonSafe, PreparedStatements, quoteId, selectColumn } from './snapshot-chunks.js';
import type { MySqlSourceDeps } from './source-deps.js';
import { mysqlSourceValue } from './source-info.js';
import type { TableEvents } from './table-events.js';
import type { TableStructure } from './table-structure.js';

/**
 * The MySQL side of incremental snapshots: a table's chunks by key and the
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
  async table(dataCollection: string, surrogateKey: string | null): Promise<IncrementalTableReader | string> {
    const [db, name] = dataCollection.split('.');
    if (db === undefined || name === undefined || !this.deps.filter.includesTable(db, name))
      return 'it is not a captured table (check the name, <database>.<table>, and the filters)';
    const schema = this.deps.catalog.get(db, name);
    if (schema === undefined) return 'it is not in the table catalog (does it exist?)';
    const events = this.deps.eventsFor(schema);
    if (events === null) return 'its event schema cannot be built (see the uncaptured tables in the status)';
    // Column names are case-insensitive in MySQL.
    const key = chunkKeyColumns(
      events.keyColumnNames,
      surrogateKey,
      (name) => schema.columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.name,
    );
    if (typeof key === 'string') return key;
    return new MySqlChunkReader(await this.open(), schema, events, key, this.deps, this.position);
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

const mysqlDialect: ChunkQueryDialect = { quote: quoteId, placeholder: () => '?', rowComparison: false };

/**
 * One table's chunks by its chunk key, read after a key up to the largest key, as `r`
 * records, through the binary protocol as the snapshot reads them.
 */
class MySqlChunkReader implements IncrementalTableReader {
  private readonly sql: ChunkQueryTable;

  constructor(
    private readonly connection: mysql.Connection,
    private readonly schema: TableStructure,
    private readonly events: TableEvents,
    key: readonly string[],
    private readonly deps: MySqlSourceDeps,
    private readonly position: () => BinlogOffset,
  ) {
    this.sql = {
      from: `${quoteId(schema.db)}.${quoteId(schema.table)}`,
      columns: schema.columns.map(selectColumn).join(', '),
      keyColumns: key.map((name) => selectColumn(schema.columns.find((c) => c.name === name)!)).join(', '),
      key,
    };
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
    const [row] = await this.rows(maxKeyQuery(mysqlDialect, this.sql, filter));
    return row === undefined ? null : this.keyOf(row);
  }

  async readChunk(
    after: ChunkKey | null,
    upTo: ChunkKey,
    limit: number,
    filter: string | null,
  ): Promise<{ records: SourceRecord[]; lastKey: ChunkKey } | null> {
    const decode = (key: ChunkKey) => key.map(fromJsonSafe);
    const range = { after: after === null ? null : decode(after), upTo: decode(upTo), filter };
    const rows = await this.rows(chunkQuery(mysqlDialect, this.sql, range, limit));
    const last = rows[rows.length - 1];
    if (last === undefined) return null;
    return { records: rows.map((row) => this.record(row)), lastKey: this.keyOf(last) };
  }

  private keyOf(row: Record<string, unknown>): ChunkKey {
    return this.sql.key.map((name) => jsonSafe(row[name]));
  }

  /** One query's rows, its statement closed after it (a snapshot of many tables piles up none). */
  private async rows({ sql, params }: ChunkQuery): Promise<Record<string, unknown>[]> {
    const statements = new PreparedStatements(this.connection);
    try {
      return await statements.rows(sql, params);
    } finally {
      statements.close();
    }
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
