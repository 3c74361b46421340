import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import type {
  RangeHash,
  SourceChunk,
  TextChunk,
  SourcePosition,
  SourceRowReader,
  SourceVerification,
  TaskLogger,
  TargetHashPlan,
  VerifiableTable,
} from '../../runtime/plugin/index.js';
import { NotFoundError, textChunk } from '../../runtime/plugin/index.js';
import { compareBinlogFiles, fromSourceOffset, sourcePartition, toSourceOffset } from './binlog-offset.js';
import { readMySqlConfig, type MySqlSourceConfig } from './config.js';
import { currentBinlogPosition, listTables, openConnection, readTableSchemas } from './mysql-server.js';
import { mysqlSourceValue } from './source-info.js';
import { TableEvents } from './table-events.js';
import { baseType, tableKey, type TableColumn } from './table-structure.js';
import { tableFilter } from './source-task.js';

/**
 * Reads captured tables for a verification: one connection, each chunk in its own
 * `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` (InnoDB MVCC, no locks), rows in
 * primary-key order converted by the same TableEvents as the binlog reader. The position is
 * MariaDB's `binlog_snapshot_file/position` of that transaction (exact); where the server
 * lacks it (MySQL), SHOW MASTER STATUS right after the snapshot started, which is at or
 * past the snapshot and so safe to wait for.
 */
class MySqlRowReader implements SourceRowReader {
  readonly engine = 'mysql';
  private readonly events = new Map<string, TableEvents>();
  private position: { file: string; pos: number } | null = null;

  constructor(
    private readonly connection: mysql.Connection,
    private readonly config: MySqlSourceConfig,
    private readonly logger: TaskLogger,
  ) {}

  async tables(): Promise<VerifiableTable[]> {
    const filter = tableFilter(this.config);
    const captured = (await listTables(this.connection)).filter((t) => filter.includesTable(t.db, t.table));
    const schemas = await readTableSchemas(this.connection, captured);
    const tables: VerifiableTable[] = [];
    for (const schema of schemas) {
      const events = new TableEvents(schema, {
        topicPrefix: this.config.cdc.topicPrefix,
        logger: this.logger,
        fieldNameMode: this.config.cdc.fieldNameMode,
        filter,
        keyColumns: this.config.cdc.messageKeyColumns,
        types: {
          decimalMode: this.config.cdc.decimalMode,
          timePrecisionMode: this.config.cdc.timePrecisionMode,
          binaryMode: this.config.cdc.binaryMode,
          bigintUnsignedMode: this.config.bigintUnsignedMode,
          tinyint1AsBoolean: this.config.tinyint1AsBoolean,
        },
      });
      const id = tableKey(schema.db, schema.table);
      this.events.set(id, events);
      const types = new Map(schema.columns.map((column) => [column.name, baseType(column.columnType)]));
      const integerKey =
        schema.primaryKey.length > 0 &&
        schema.primaryKey.every((name) => integerTypes.has(types.get(name) ?? ''));
      tables.push({ id, keyColumns: schema.primaryKey, integerKey });
    }
    return tables;
  }

  async begin(): Promise<SourcePosition> {
    await this.connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const [status] = await this.connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const file = status.find((row) => row.Variable_name === 'Binlog_snapshot_file')?.Value as
      string | undefined;
    const pos = status.find((row) => row.Variable_name === 'Binlog_snapshot_position')?.Value as
      string | undefined;
    this.position = file && pos ? { file, pos: Number(pos) } : await currentBinlogPosition(this.connection);
    return {
      description: `${this.position.file}:${this.position.pos}`,
      value: { file: this.position.file, pos: this.position.pos },
    };
  }

  async end(): Promise<void> {
    await this.connection.query('COMMIT');
  }

  async readChunk(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
  ): Promise<SourceChunk> {
    const { events, schema, range } = this.keyRange(table, after, upTo, limit);
    const columns = schema.columns.map((column) => quoteId(column.name)).join(', ');
    const sql = `SELECT ${columns} FROM ${range.from} ORDER BY ${range.order}${range.limit}`;
    // The binary protocol: DOUBLE arrives exactly, as the binlog gives it (the text protocol
    // prints 15 significant digits, which do not always read back as the stored double).
    const [rows] = await this.connection.execute<RowDataPacket[]>(
      sql,
      range.params as (string | number | null)[],
    );
    const position = this.position ?? { file: '', pos: 4 };
    const offset = toSourceOffset({
      file: position.file,
      pos: position.pos,
      event: 0,
      row: -1,
      gtids: null,
      tsSec: 0,
      snapshot: null,
      snapshotTable: null,
      snapshotKey: null,
    });
    const partition = sourcePartition(this.config.cdc.topicPrefix);
    const records = (rows as Record<string, unknown>[]).map((row) =>
      events.changeRecord(
        'r',
        null,
        row,
        mysqlSourceValue({
          name: this.config.cdc.topicPrefix,
          tsMs: Date.now(),
          snapshot: 'true',
          db: schema.db,
          table: schema.table,
          serverId: this.config.serverId,
          gtid: null,
          file: position.file,
          pos: position.pos,
          row: 0,
          thread: null,
          query: null,
        }),
        partition,
        offset,
        Date.now(),
      ),
    );
    const last = rows[rows.length - 1] as Record<string, unknown> | undefined;
    return { records, lastKey: last ? table.keyColumns.map((name) => last[name] ?? null) : null };
  }

  async hashRange(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<RangeHash> {
    const { range } = this.keyRange(table, after, upTo, limit);
    const { from, order, params } = range;
    const row = plan.columns.map((column) => column.sql(quoteId(column.source))).join(', ');
    const [totals] = await this.connection.execute<RowDataPacket[]>(
      `SELECT COUNT(*) AS n, CAST(COALESCE(SUM(h), 0) AS CHAR) AS hash FROM (SELECT ${plan.rowHash(row)} AS h FROM ${from} ORDER BY ${order}${range.limit}) AS s`,
      params as (string | number | null)[],
    );
    const count = Number(totals[0]?.n ?? 0);
    let lastKey: unknown[] | null = null;
    if (count > 0) {
      // The same snapshot: the count-th key of the range is its last.
      const [last] = await this.connection.execute<RowDataPacket[]>(
        `SELECT ${order} FROM ${from} ORDER BY ${order} LIMIT 1 OFFSET ${count - 1}`,
        params as (string | number | null)[],
      );
      const found = last[0] as Record<string, unknown> | undefined;
      lastKey = found ? table.keyColumns.map((name) => found[name] ?? null) : null;
    }
    return { count, hash: String(totals[0]?.hash ?? '0'), lastKey };
  }

  async rowHashes(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<TextChunk> {
    const { range } = this.keyRange(table, after, upTo, limit);
    const row = plan.columns.map((column) => column.sql(quoteId(column.source))).join(', ');
    // Aliased: ORDER BY `id` must name the column, not its text.
    const keys = table.keyColumns.map((name, i) => `CAST(${quoteId(name)} AS CHAR) AS k${i}`);
    const sql = `SELECT ${keys.join(', ')}, CAST(${plan.rowHash(row)} AS CHAR) AS h FROM ${range.from} ORDER BY ${range.order}${range.limit}`;
    const [found] = await this.connection.execute<RowDataPacket[]>(
      sql,
      range.params as (string | number | null)[],
    );
    const rows = (found as Record<string, unknown>[]).map((entry) => [
      ...table.keyColumns.map((_, i) => entry[`k${i}`]),
      entry.h,
    ]);
    return textChunk(rows, table.keyColumns.length);
  }

  async readTexts(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    columns: readonly string[],
  ): Promise<TextChunk> {
    const { schema, range } = this.keyRange(table, after, upTo, limit);
    const byName = new Map(schema.columns.map((column) => [column.name, column]));
    const list = columns.map((name, i) => `${textValue(quoteId(name), byName.get(name))} AS c${i}`);
    const sql = `SELECT ${list.join(', ')} FROM ${range.from} ORDER BY ${range.order}${range.limit}`;
    const [found] = await this.connection.execute<RowDataPacket[]>(
      sql,
      range.params as (string | number | null)[],
    );
    const rows = (found as Record<string, unknown>[]).map((row) => columns.map((_, i) => row[`c${i}`]));
    return textChunk(rows, table.keyColumns.length);
  }

  /** The captured table and its rows after `after` and up to `upTo`, as SQL parts. */
  private keyRange(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
  ) {
    const events = this.events.get(table.id);
    if (!events) throw new NotFoundError(`table ${table.id} is not captured by this source`);
    const schema = events.table;
    const params: unknown[] = [];
    const where = [
      after ? keyBound(table.keyColumns, after, '>', params) : null,
      upTo ? keyBound(table.keyColumns, upTo, '<=', params) : null,
    ].filter(Boolean);
    const range = {
      from: `${quoteId(schema.db)}.${quoteId(schema.table)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
      order: table.keyColumns.map(quoteId).join(', '),
      limit: Number.isFinite(limit) ? ` LIMIT ${Math.max(1, Math.floor(limit))}` : '',
      params,
    };
    return { events, schema, range };
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => this.connection.destroy());
  }
}

/** `a > ? OR (a = ? AND b > ?)` (or `<=`): a key bound in the form InnoDB uses an index for. */
function keyBound(
  key: readonly string[],
  values: readonly unknown[],
  operator: '>' | '<=',
  params: unknown[],
): string {
  const strict = operator === '>' ? '>' : '<';
  const terms: string[] = [];
  for (let i = 0; i < key.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      parts.push(`${quoteId(key[j] ?? '')} = ?`);
      params.push(values[j]);
    }
    parts.push(`${quoteId(key[i] ?? '')} ${strict} ?`);
    params.push(values[i]);
    terms.push(`(${parts.join(' AND ')})`);
  }
  if (operator === '<=') {
    terms.push(`(${key.map((name) => `${quoteId(name)} = ?`).join(' AND ')})`);
    params.push(...values);
  }
  return `(${terms.join(' OR ')})`;
}

const integerTypes = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

/**
 * A column as read for a text comparison: dates, times, decimals and JSON as the server's
 * text (exact); numbers as the binary protocol gives them (exact doubles); bytes as bytes.
 */
function textValue(quoted: string, column: TableColumn | undefined): string {
  const type = column ? baseType(column.columnType) : '';
  const asText = ['date', 'datetime', 'timestamp', 'time', 'decimal', 'numeric', 'year'].includes(type);
  return asText || column?.json === true ? `CAST(${quoted} AS CHAR)` : quoted;
}

function quoteId(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export const mysqlVerification: SourceVerification = {
  async openRowReader(config, logger) {
    const sourceConfig = readMySqlConfig(config);
    const connection = await openConnection(sourceConfig);
    return new MySqlRowReader(connection, sourceConfig, logger);
  },
  reached(offset, position) {
    const stored = fromSourceOffset(offset);
    const file = String(position.value.file ?? '');
    const order = compareBinlogFiles(stored.file, file);
    return order > 0 || (order === 0 && stored.pos >= Number(position.value.pos ?? Number.POSITIVE_INFINITY));
  },
};
