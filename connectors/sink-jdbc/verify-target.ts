import type {
  CanonicalRow,
  CanonicalValue,
  ExpectedRow,
  HashColumn,
  ParsedConfig,
  RangeHash,
  RepairOutcome,
  SinkVerification,
  SinkVerifier,
  SqlEngine,
  TargetHashPlan,
  TargetKey,
  TaskLogger,
  TextColumn,
  TextComparisonPlan,
} from '../../runtime/plugin/index.js';
import { DataError } from '../../runtime/plugin/index.js';
import type { SinkRecord } from '../../runtime/record/index.js';
import { planBatch } from './batch-plan.js';
import { BatchWriter } from './batch-writer.js';
import { canonicalValue, columnKind, type ColumnKind } from './canonical-value.js';
import { readSinkConfig, type SinkConfig } from './config.js';
import { qualifiedName, type SqlConnection, type SqlDialect } from './dialect.js';
import { ruleMatches } from './mapping-rules.js';
import { mysqlDialect } from './mysql-dialect.js';
import { postgresDialect } from './postgres-dialect.js';
import { BadRecordError, RowChangeReader, type Column, type RowChange } from './row-change.js';
import { describeTable, type TableRef } from './table-name.js';
import { TargetTables } from './target-tables.js';

/** Stands in for the record of a delete that no record asked for (a row only the target has). */
const repairRecord: SinkRecord = {
  topic: '',
  kafkaPartition: -1,
  kafkaOffset: -1n,
  key: null,
  keySchema: null,
  value: null,
  valueSchema: null,
};

interface TargetColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  /** information_schema's data_type, lower case. */
  readonly type: string;
}

/** A source field written to a target column and compared there. */
interface PlainColumn {
  readonly field: string;
  readonly target: string;
  readonly column: TargetColumn;
}

/** What a verification learns about one target table from the mapped records. */
interface TableShape {
  readonly ref: TableRef;
  readonly keyColumns: readonly string[];
  /** Columns the mapping computes (`values`): they depend on the event, not the row, and are not compared. */
  readonly computed: ReadonlySet<string>;
  readonly softDelete: string | undefined;
  columns: readonly TargetColumn[] | null;
}

/**
 * The JDBC sink's side of a verification: source records go through the sink's own
 * RowChangeReader (mapping rules, key mode, filters, soft deletes), their bound parameters
 * and the target's columns are compared in one canonical form (canonical-value.ts), and a
 * repair runs through TargetTables, planBatch and BatchWriter as a batch would. One
 * connection; reads run in READ ONLY transactions and take no locks.
 */
class JdbcSinkVerifier implements SinkVerifier {
  private readonly shapes = new Map<string, TableShape>();
  /** Filters decide absence: read as if deletes were on, then judge by the real setting. */
  private readonly reader: RowChangeReader;
  private readonly repairReader: RowChangeReader;
  private readonly identifier: (name: string) => string;

  constructor(
    private readonly config: SinkConfig,
    private readonly dialect: SqlDialect,
    private readonly connection: SqlConnection,
    private readonly logger: TaskLogger,
  ) {
    this.identifier = config.quoteIdentifiers ? (name: string) => name : dialect.fold;
    this.reader = new RowChangeReader({ ...config, deleteEnabled: true }, this.identifier);
    this.repairReader = new RowChangeReader(config, this.identifier);
  }

  async expected(records: readonly SinkRecord[]): Promise<ExpectedRow[]> {
    const expected: ExpectedRow[] = [];
    for (const record of records) {
      let change: RowChange;
      try {
        change = this.reader.read(record);
      } catch (error) {
        if (!(error instanceof BadRecordError)) throw error;
        expected.push({ kind: 'unmappable', reason: error.message });
        continue;
      }
      if (change.kind === 'skip' || change.kind === 'truncate') {
        expected.push({ kind: 'unmappable', reason: change.kind === 'skip' ? change.reason : 'truncate' });
        continue;
      }
      const shape = await this.shapeOf(change);
      const columns = shape.columns ?? [];
      const kinds = new Map(columns.map((column) => [column.name, column.kind]));
      const table = describeTable(shape.ref);
      const key = this.canonicalKey(change.key, kinds);
      const boundKey = change.key.map((column) => this.dialect.bind(column.schema, column.value));
      if (change.kind === 'delete') {
        const decides = this.config.deleteEnabled || shape.softDelete !== undefined;
        expected.push(
          decides
            ? { kind: 'absent', table, key, boundKey }
            : { kind: 'unchecked', table, key, boundKey, reason: 'filtered out with delete.enabled=false' },
        );
        continue;
      }
      const values: Record<string, CanonicalValue> = {};
      for (const column of change.columns) {
        if (shape.computed.has(column.name)) continue;
        const kind = kinds.get(column.name) ?? 'text';
        values[column.name] = canonicalValue(kind, this.dialect.bind(column.schema, column.value));
      }
      expected.push({ kind: 'row', table, key, boundKey, row: { key, columns: values, softDeleted: false } });
    }
    return expected;
  }

  appliesDeletes(table: string): boolean {
    return this.config.deleteEnabled || this.shapes.get(table)?.softDelete !== undefined;
  }

  async readRange(
    table: string,
    after: TargetKey | null,
    upTo: TargetKey | null,
    limit: number,
  ): Promise<CanonicalRow[]> {
    const shape = this.requireShape(table);
    const params: unknown[] = [];
    const keys = shape.keyColumns.map((name) => this.dialect.quote(name)).join(', ');
    const bound = (values: TargetKey, operator: string) => {
      const slots = values.map((value) => {
        params.push(value);
        return this.dialect.placeholder(params.length);
      });
      return `(${keys}) ${operator} (${slots.join(', ')})`;
    };
    const where = [after ? bound(after, '>') : null, upTo ? bound(upTo, '<=') : null].filter(Boolean);
    const clauses = `${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${keys} LIMIT ${Math.max(1, Math.floor(limit))}`;
    return this.select(shape, clauses, params);
  }

  async hashPlan(sample: SinkRecord, engine: SqlEngine): Promise<TargetHashPlan | null> {
    // One engine on both sides: the canonical SQL texts are that engine's.
    if (engine !== this.dialect.name) return null;
    const plain = await this.plainColumns(sample);
    if (plain === null) return null;
    const columns: HashColumn[] = [];
    for (const { field, target, column } of plain.columns) {
      const sql =
        this.dialect.name === 'postgresql'
          ? postgresCanonicalSql(column.kind)
          : mysqlCanonicalSql(column.kind);
      if (sql === null) return null;
      columns.push({ source: field, target, sql });
    }
    const rowHash = this.dialect.name === 'postgresql' ? postgresRowHash : mysqlRowHash;
    return { table: describeTable(plain.shape.ref), columns, rowHash };
  }

  async rowHashes(
    plan: TargetHashPlan,
    after: TargetKey | null,
    upTo: TargetKey | null,
    limit: number,
  ): Promise<(readonly unknown[])[]> {
    const shape = this.requireShape(plan.table);
    const postgres = this.dialect.name === 'postgresql';
    const params: unknown[] = [];
    const where = this.rangeWhere(shape, after, upTo, params);
    const row = plan.columns.map((column) => column.sql(this.dialect.quote(column.target))).join(', ');
    const keys = shape.keyColumns.map((name) => this.dialect.quote(name));
    const asText = (sql: string) => (postgres ? `(${sql})::text` : `CAST(${sql} AS CHAR)`);
    const list = [...keys, plan.rowHash(row)].map(
      (sql, i) => `${asText(sql)} AS ${this.dialect.quote(`c${i}`)}`,
    );
    const sql =
      `SELECT ${list.join(', ')} FROM ${qualifiedName(this.dialect, shape.ref)}${where}` +
      ` ORDER BY ${keys.join(', ')} LIMIT ${Math.max(1, Math.floor(limit))}`;
    const rows = await this.readOnly(() => this.connection.select(sql, params), postgres);
    return rows.map((found) => list.map((_, i) => found[`c${i}`]));
  }

  async textPlan(sample: SinkRecord, keyColumns: readonly string[]): Promise<TextComparisonPlan | null> {
    const plain = await this.plainColumns(sample);
    if (plain === null) return null;
    const { shape } = plain;
    const byField = new Map(plain.columns.map((column) => [column.field, column]));
    const keys = keyColumns.map((name) => byField.get(name));
    // The source key must be the target key, column for column, and integers on both sides.
    if (
      keys.length !== shape.keyColumns.length ||
      keys.some(
        (key, i) => key === undefined || key.target !== shape.keyColumns[i] || key.column.kind !== 'integer',
      )
    )
      return null;
    const ordered = [
      ...(keys as PlainColumn[]),
      ...plain.columns.filter((column) => !keyColumns.includes(column.field)),
    ];
    const columns: TextColumn[] = [];
    for (const { field, target, column } of ordered) {
      if (!comparableAsText(column)) return null;
      const kind = column.kind;
      columns.push({ source: field, target, canonical: (value) => canonicalValue(kind, value) });
    }
    return { table: describeTable(shape.ref), keyColumns: keys.length, columns };
  }

  async readTexts(
    plan: TextComparisonPlan,
    after: TargetKey | null,
    upTo: TargetKey | null,
    limit: number,
  ): Promise<(readonly unknown[])[]> {
    const shape = this.requireShape(plan.table);
    const postgres = this.dialect.name === 'postgresql';
    const params: unknown[] = [];
    const where = this.rangeWhere(shape, after, upTo, params);
    const aliases = plan.columns.map((_, i) => `c${i}`);
    // PostgreSQL's text output (the session is UTC, ISO); MariaDB's values as its driver gives them.
    const kinds = new Map((shape.columns ?? []).map((column) => [column.name, column.kind]));
    const list = plan.columns.map((column, i) => {
      const name = this.dialect.quote(column.target);
      const value = postgres ? `${name}::text` : mysqlValue(name, kinds.get(column.target));
      return `${value} AS ${this.dialect.quote(aliases[i] ?? '')}`;
    });
    const keys = shape.keyColumns.map((name) => this.dialect.quote(name)).join(', ');
    const sql =
      `SELECT ${list.join(', ')} FROM ${qualifiedName(this.dialect, shape.ref)}${where}` +
      ` ORDER BY ${keys} LIMIT ${Math.max(1, Math.floor(limit))}`;
    const rows = await this.readOnly(() => this.connection.select(sql, params), postgres);
    return rows.map((row) => aliases.map((alias) => row[alias]));
  }

  /**
   * The columns a sample record's table is written to when the mapping is plain enough to
   * compare without mapping each row (record keys, an upsert, no row filter or cast): its
   * fields' target columns, less computed and soft-delete columns. Null when not.
   */
  private async plainColumns(
    sample: SinkRecord,
  ): Promise<{ shape: TableShape; columns: PlainColumn[] } | null> {
    if (this.config.primaryKeyMode !== 'record_key') return null;
    let change: RowChange;
    try {
      change = this.reader.read(sample);
    } catch {
      return null;
    }
    if (change.kind !== 'upsert') return null;
    const rule = this.config.mappings.find((candidate) =>
      ruleMatches(candidate, sample.topic, change.context.source),
    );
    if (rule?.filter || (rule?.casts.size ?? 0) > 0) return null;
    const shape = await this.shapeOf(change);
    const byName = new Map((shape.columns ?? []).map((column) => [column.name, column]));
    const written = new Set(change.columns.map((column) => column.name));
    const event = sample.value as { after?: Record<string, unknown> } | null;
    // An envelope's row, or a flat row (after ExtractNewRecordState).
    const fields = Object.keys(event?.after ?? event ?? {});
    const columns: PlainColumn[] = [];
    for (const field of fields) {
      const target = this.identifier(rule?.rename.get(field) ?? field);
      if (!written.has(target) || shape.computed.has(target) || target === shape.softDelete) continue;
      const column = byName.get(target);
      if (column === undefined) return null;
      columns.push({ field, target, column });
    }
    return columns.length === 0 ? null : { shape, columns };
  }

  async hashRange(plan: TargetHashPlan, after: TargetKey | null, upTo: TargetKey | null): Promise<RangeHash> {
    const shape = this.requireShape(plan.table);
    const params: unknown[] = [];
    const where = this.rangeWhere(shape, after, upTo, params);
    const row = plan.columns.map((column) => column.sql(this.dialect.quote(column.target))).join(', ');
    const postgres = this.dialect.name === 'postgresql';
    const totals = postgres
      ? 'count(*)::text AS n, coalesce(sum(h), 0)::text AS hash'
      : 'COUNT(*) AS n, CAST(COALESCE(SUM(h), 0) AS CHAR) AS hash';
    const sql =
      `SELECT ${totals} FROM (SELECT ${plan.rowHash(row)} AS h FROM ` +
      `${qualifiedName(this.dialect, shape.ref)}${where}) AS s`;
    const [result] = await this.readOnly(() => this.connection.select(sql, params), postgres);
    return { count: Number(result?.n ?? 0), hash: String(result?.hash ?? '0'), lastKey: null };
  }

  async repair(
    records: readonly SinkRecord[],
    extra: readonly { readonly table: string; readonly key: string }[],
  ): Promise<RepairOutcome> {
    const changes: RowChange[] = [];
    for (const record of records) changes.push(this.repairReader.read(record));
    for (const { table, key } of extra) {
      const shape = this.requireShape(table);
      const values = JSON.parse(key) as (string | null)[];
      // Canonical key texts bind as they are: the target converts them to the key columns' types.
      const keyColumns: Column[] = shape.keyColumns.map((name, i) => ({
        name,
        schema: null,
        value: values[i],
      }));
      changes.push({
        kind: 'delete',
        table: shape.ref,
        key: keyColumns,
        op: 'd',
        record: repairRecord,
        context: { record: repairRecord, op: 'd', tsMs: null, source: null, sourceSchema: null },
        ...(shape.softDelete ? { softDeleteColumn: shape.softDelete } : {}),
      });
    }
    const applicable = changes.filter((change) => change.kind !== 'skip');
    if (applicable.length === 0) return { written: 0, deleted: 0 };
    const tables = new TargetTables(this.dialect, this.config, this.logger);
    const prepared = await tables.prepare(this.connection, applicable);
    const [firstBad] = prepared.bad.values();
    if (firstBad) throw new DataError(`repair cannot write a row: ${firstBad.message}`);
    // Upserts whatever insert.mode says: a repair must fix both missing and differing rows.
    const writer = new BatchWriter(this.dialect, 'upsert', this.config.batchSize);
    await this.connection.execute('BEGIN');
    try {
      await writer.apply(this.connection, planBatch(applicable));
      await this.connection.execute('COMMIT');
    } catch (error) {
      await this.connection.execute('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return {
      written: applicable.filter((change) => change.kind === 'upsert').length,
      deleted: applicable.filter((change) => change.kind === 'delete').length,
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** ` WHERE …` of live rows with keys in (after, upTo]; parameters appended to `params`. */
  private rangeWhere(
    shape: TableShape,
    after: TargetKey | null,
    upTo: TargetKey | null,
    params: unknown[],
  ): string {
    const keys = shape.keyColumns.map((name) => this.dialect.quote(name)).join(', ');
    const bound = (values: TargetKey, operator: string) => {
      const slots = values.map((value) => {
        params.push(value);
        return this.dialect.placeholder(params.length);
      });
      return `(${keys}) ${operator} (${slots.join(', ')})`;
    };
    const where = [
      after ? bound(after, '>') : null,
      upTo ? bound(upTo, '<=') : null,
      shape.softDelete ? `${this.dialect.quote(shape.softDelete)} IS NOT TRUE` : null,
    ].filter(Boolean);
    return where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  }

  private requireShape(table: string): TableShape {
    const shape = this.shapes.get(table);
    if (!shape) throw new Error(`no mapped record names target table ${table}`);
    return shape;
  }

  private async shapeOf(change: Extract<RowChange, { kind: 'upsert' | 'delete' }>): Promise<TableShape> {
    const id = describeTable(change.table);
    let shape = this.shapes.get(id);
    if (!shape) {
      const rule = this.config.mappings.find((candidate) =>
        ruleMatches(candidate, change.record.topic, change.context.source),
      );
      shape = {
        ref: change.table,
        keyColumns: change.key.map((column) => column.name),
        computed: new Set((rule?.values ?? []).map((computed) => this.identifier(computed.column))),
        softDelete: rule?.softDelete === undefined ? undefined : this.identifier(rule.softDelete),
        columns: null,
      };
      this.shapes.set(id, shape);
    }
    shape.columns ??= await this.targetColumns(shape.ref);
    return shape;
  }

  /** The target's columns and their kinds; null while the table does not exist. */
  private async targetColumns(table: TableRef): Promise<TargetColumn[] | null> {
    const postgres = this.dialect.name === 'postgresql';
    const rows = await this.connection.select(
      postgres
        ? 'SELECT column_name AS name, data_type AS type, data_type AS full_type FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2 ORDER BY ordinal_position'
        : 'SELECT column_name AS name, data_type AS type, column_type AS full_type FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position',
      [table.schema, table.name],
    );
    if (rows.length === 0) return null;
    // MariaDB's JSON is LONGTEXT with a json_valid() check.
    const jsonColumns = postgres ? new Set<string>() : await this.mariadbJsonColumns(table);
    return rows.map((row) => {
      const name = String(row.name ?? row.NAME);
      const type = String(row.type ?? row.TYPE).toLowerCase();
      const kind = jsonColumns.has(name) ? 'json' : columnKind(type, String(row.full_type ?? row.FULL_TYPE));
      return { name, kind, type };
    });
  }

  private async mariadbJsonColumns(table: TableRef): Promise<Set<string>> {
    const rows = await this.connection
      .select(
        'SELECT check_clause AS clause FROM information_schema.check_constraints WHERE constraint_schema = COALESCE(?, DATABASE()) AND table_name = ?',
        [table.schema, table.name],
      )
      .catch(() => []);
    const names = new Set<string>();
    for (const row of rows) {
      const match = /json_valid\(`((?:[^`]|``)+)`\)/i.exec(String(row.clause ?? row.CLAUSE));
      if (match?.[1]) names.add(match[1].replaceAll('``', '`'));
    }
    return names;
  }

  private canonicalKey(key: readonly Column[], kinds: ReadonlyMap<string, ColumnKind>): string {
    return JSON.stringify(
      key.map((column) =>
        canonicalValue(kinds.get(column.name) ?? 'text', this.dialect.bind(column.schema, column.value)),
      ),
    );
  }

  private async select(
    shape: TableShape,
    where: string,
    params: readonly unknown[],
  ): Promise<CanonicalRow[]> {
    shape.columns ??= await this.targetColumns(shape.ref);
    const columns = shape.columns;
    if (columns === null) return [];
    const postgres = this.dialect.name === 'postgresql';
    const list = columns.map((column, i) => {
      const name = this.dialect.quote(column.name);
      const alias = this.dialect.quote(`c${i}`);
      if (!postgres) return `${mysqlValue(name, column.kind)} AS ${alias}`;
      // Text in PostgreSQL's own output form; arrays as JSON, intervals as exact microseconds.
      if (column.kind === 'array') return `array_to_json(${name})::text AS ${alias}`;
      if (column.kind === 'interval')
        return `(extract(epoch from ${name}) * 1000000)::numeric::text AS ${alias}`;
      return `${name}::text AS ${alias}`;
    });
    const sql = `SELECT ${list.join(', ')} FROM ${qualifiedName(this.dialect, shape.ref)}${where}`;
    const rows = await this.readOnly(() => this.connection.select(sql, params), postgres);
    return rows.map((row) => {
      const values: Record<string, CanonicalValue> = {};
      columns.forEach((column, i) => {
        values[column.name] = canonicalValue(column.kind, row[`c${i}`]);
      });
      const key = JSON.stringify(shape.keyColumns.map((name) => values[name] ?? null));
      const softDeleted = shape.softDelete !== undefined && values[shape.softDelete] === 'true';
      return { key, columns: values, softDeleted };
    });
  }

  private async readOnly<T>(read: () => Promise<T>, postgres: boolean): Promise<T> {
    await this.connection.execute(postgres ? 'BEGIN READ ONLY' : 'START TRANSACTION READ ONLY');
    try {
      return await read();
    } finally {
      await this.connection.execute('COMMIT').catch(() => undefined);
    }
  }
}

/**
 * The canonical text of a column in PostgreSQL, by the target column's kind; the source
 * reader applies the same expression to its column, so equal texts mean equal values.
 * Both sessions use UTC, ISO dates, ISO-8601 intervals and shortest-exact floats.
 */
function postgresCanonicalSql(kind: ColumnKind): (column: string) => string {
  switch (kind) {
    case 'json':
      return (column) => `(${column})::jsonb::text`;
    case 'decimal':
      return (column) => `trim_scale((${column})::numeric)::text`;
    case 'float4':
      return (column) => `(${column})::float4::text`;
    case 'float8':
      return (column) => `(${column})::float8::text`;
    case 'timestamptz':
      return (column) => `(${column})::timestamptz::text`;
    case 'timestamp':
      return (column) => `(${column})::timestamp::text`;
    case 'boolean':
      return (column) => `(${column})::boolean::text`;
    default:
      return (column) => `(${column})::text`;
  }
}

/**
 * The row text's 64-bit hash (hashtextextended, the stable hash of hash partitioning, over
 * its bytes: collation "C"); summed per range as numeric, with the count, so pairs do not
 * cancel as in XOR. Half the cost of md5 and its hex-to-bigint conversion.
 */
function postgresRowHash(columnTexts: string): string {
  return `hashtextextended(row(${columnTexts})::text COLLATE "C", 0)`;
}

/**
 * MySQL/MariaDB: each column as its quoted text (NULL apart from 'NULL'), bytes as hex.
 * FLOAT and DOUBLE have no exact text in SQL (MariaDB prints 15 digits): such a table is
 * compared row by row instead.
 */
function mysqlCanonicalSql(kind: ColumnKind): ((column: string) => string) | null {
  if (kind === 'float4' || kind === 'float8') return null;
  if (kind === 'bytes') return (column) => `IFNULL(HEX(${column}), 'NULL')`;
  return (column) => `IFNULL(QUOTE(CAST(${column} AS CHAR)), 'NULL')`;
}

/**
 * A MariaDB column as read for comparing: JSON as its text (the driver would parse it into
 * doubles), dates and times as the server's text (exact, and far cheaper for the driver than
 * its own formatting of the binary values).
 */
function mysqlValue(quoted: string, kind: ColumnKind | undefined): string {
  switch (kind) {
    case 'json':
    case 'timestamp':
    case 'timestamptz':
    case 'date':
    case 'time':
      return `CAST(${quoted} AS CHAR)`;
    default:
      return quoted;
  }
}

/** Character types: their values are text in both engines (other 'text' kinds, such as geometry, are not). */
const characterTypes = new Set([
  'text',
  'character varying',
  'character',
  'varchar',
  'char',
  'tinytext',
  'mediumtext',
  'longtext',
]);

/**
 * Whether a target column's values have a canonical text that is exact from either side's
 * value: floats come as exact doubles (PostgreSQL's shortest-exact text, MariaDB's binary
 * protocol); intervals, arrays and zoned times have no counterpart in the other engine.
 */
function comparableAsText(column: TargetColumn): boolean {
  switch (column.kind) {
    case 'interval':
    case 'array':
    case 'timetz':
      return false;
    case 'text':
      return characterTypes.has(column.type);
    default:
      return true;
  }
}

function mysqlRowHash(columnTexts: string): string {
  return `CAST(CONV(LEFT(MD5(CONCAT_WS(',', ${columnTexts})), 15), 16, 10) AS UNSIGNED)`;
}

export const jdbcVerification: SinkVerification = {
  async openVerifier(config: ParsedConfig, _connectorName: string, logger: TaskLogger) {
    const sinkConfig = readSinkConfig(config);
    const dialect = sinkConfig.connection.dialect === 'postgresql' ? postgresDialect : mysqlDialect;
    const connection = await dialect.connect(sinkConfig.connection, logger);
    if (dialect.name === 'postgresql') {
      // Canonical text needs UTC and ISO output whatever the server's defaults.
      await connection.execute("SET TimeZone = 'UTC'");
      await connection.execute("SET DateStyle = 'ISO'");
      await connection.execute("SET IntervalStyle = 'iso_8601'");
      await connection.execute('SET extra_float_digits = 3');
    }
    return new JdbcSinkVerifier(sinkConfig, dialect, connection, logger);
  },
};
