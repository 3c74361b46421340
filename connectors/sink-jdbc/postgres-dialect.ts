import pg from 'pg';
import type { Schema } from '../../runtime/record/index.js';
import { LogicalName } from '../../runtime/record/index.js';
import { bindValue, type BindOptions } from './bind-value.js';
import type { ConnectionSettings } from './connection-url.js';
import {
  columnTypeFrom,
  decimalParameters,
  fixedType,
  noted,
  qualifiedName,
  type SqlConnection,
  type SqlDialect,
  type TypeMapping,
} from './dialect.js';
import type { TableRef } from './table-name.js';
import { targetColumnsFrom } from './target-column.js';

const SCALAR_ARRAY_ELEMENTS = new Set([
  'int8',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'boolean',
  'string',
]);

/**
 * Column types whose values an insert may send as one array parameter per column
 * (`unnest($1::int8[], …)`): built-in scalars, parsed per element by the type's own input
 * function, as a single parameter is. Others (arrays, domains, enums, extension types) go
 * row by row in VALUES.
 */
const COLUMN_ARRAY_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'bool',
  'text',
  'varchar',
  'bpchar',
  'bytea',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'json',
  'jsonb',
  'uuid',
  'xml',
]);

/** Record-model types as PostgreSQL column types (auto.create, schema.evolution). */
const typeMapping: TypeMapping = {
  int8: fixedType('smallint'),
  int16: fixedType('smallint'),
  int32: fixedType('integer'),
  int64: fixedType('bigint'),
  float32: noted(fixedType('real'), 'NaN, ±Infinity and -0 exact'),
  float64: noted(fixedType('double precision'), 'NaN, ±Infinity and -0 exact'),
  boolean: fixedType('boolean'),
  string: fixedType('text'),
  bytes: fixedType('bytea'),
  array: {
    shown: 'element type[] for scalars, jsonb otherwise',
    sqlType: (schema, _isKey, typeOf) => {
      const element = schema.valueSchema;
      return element && SCALAR_ARRAY_ELEMENTS.has(element.type) ? `${typeOf(element, false)}[]` : 'jsonb';
    },
  },
  map: fixedType('jsonb'),
  struct: fixedType('jsonb'),
  [LogicalName.Decimal]: {
    shown: 'numeric(precision, scale), numeric without a precision',
    note: 'a value with more digits than an existing column holds is a bad record (PostgreSQL would round it)',
    sqlType: (schema) => {
      const { precision, scale } = decimalParameters(schema);
      return precision === undefined ? 'numeric' : `numeric(${precision}, ${scale})`;
    },
  },
  [LogicalName.VariableScaleDecimal]: noted(fixedType('numeric'), 'exact at any scale'),
  [LogicalName.Date]: noted(fixedType('date'), 'exact, ±infinity and BC included'),
  [LogicalName.DebeziumDate]: noted(fixedType('date'), 'exact, ±infinity and BC included'),
  [LogicalName.Time]: fixedType('time(3)'),
  [LogicalName.DebeziumTime]: fixedType('time(3)'),
  [LogicalName.MicroTime]: noted(
    fixedType('time(6)'),
    'a MySQL TIME outside 00:00:00–24:00:00 (negative, over 24 h) is a bad record naming the column',
  ),
  [LogicalName.NanoTime]: noted(fixedType('time(6)'), 'truncated to microseconds'),
  [LogicalName.Timestamp]: noted(fixedType('timestamp(3)'), 'exact, ±infinity and BC included'),
  [LogicalName.DebeziumTimestamp]: noted(fixedType('timestamp(3)'), 'exact, ±infinity and BC included'),
  [LogicalName.MicroTimestamp]: noted(fixedType('timestamp(6)'), 'exact, ±infinity and BC included'),
  [LogicalName.NanoTimestamp]: noted(
    fixedType('timestamp(6)'),
    'truncated to microseconds; ±infinity and BC exact',
  ),
  [LogicalName.ZonedTimestamp]: noted(
    fixedType('timestamptz'),
    'the instant is exact (±infinity and BC included); PostgreSQL keeps it in UTC, not the offset',
  ),
  [LogicalName.ZonedTime]: noted(fixedType('timetz'), 'exact, offset kept'),
  [LogicalName.MicroDuration]: fixedType('interval'),
  [LogicalName.Interval]: fixedType('interval'),
  [LogicalName.Json]: noted(
    fixedType('jsonb'),
    'jsonb normalises the text (key order, spaces, duplicate keys)',
  ),
  [LogicalName.Xml]: fixedType('xml'),
  [LogicalName.Uuid]: fixedType('uuid'),
};

const bindOptions: BindOptions = {
  temporal: 'postgresql',
  scalarArrays: 'native',
  booleans: 'boolean',
  durations: 'interval',
};

export const postgresDialect: SqlDialect = {
  name: 'postgresql',
  typeMapping,
  maxParameters: 65535,
  quote: (identifier) => `"${identifier.replaceAll('"', '""')}"`,
  fold: (identifier) => identifier.toLowerCase(),
  placeholder: (index) => `$${index}`,
  columnType: (schema: Schema, isKey: boolean) => columnTypeFrom(typeMapping, schema, isKey),
  bind: (schema, value) => bindValue(schema, value, bindOptions),
  upsertClause(columns, keyColumns) {
    const keys = keyColumns.map((column) => this.quote(column)).join(', ');
    const updates = columns.filter((column) => !keyColumns.includes(column));
    if (updates.length === 0) return ` ON CONFLICT (${keys}) DO NOTHING`;
    return ` ON CONFLICT (${keys}) DO UPDATE SET ${updates.map((c) => `${this.quote(c)} = EXCLUDED.${this.quote(c)}`).join(', ')}`;
  },
  arrayType(column) {
    // A built-in type whose text form each element takes as a parameter would: the values
    // arrive exactly as in a VALUES row. Array columns cannot go (unnest would flatten them).
    return column.udtName !== null && COLUMN_ARRAY_TYPES.has(column.udtName) ? `${column.udtName}[]` : null;
  },
  maxDecimal: { precision: Number.POSITIVE_INFINITY, scale: Number.POSITIVE_INFINITY },
  widenColumn(table, column, type) {
    return `ALTER TABLE ${qualifiedName(this, table)} ALTER COLUMN ${this.quote(column.name)} TYPE ${type}`;
  },
  truncate(table: TableRef) {
    return `TRUNCATE TABLE ${qualifiedName(this, table)}`;
  },
  async listColumns(connection, table) {
    const rows = await connection.select(
      `SELECT column_name AS name, data_type AS data_type, numeric_precision AS numeric_precision,
              numeric_scale AS numeric_scale, character_maximum_length AS character_maximum_length,
              is_nullable AS is_nullable, column_default AS column_default, udt_name AS udt_name
         FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2`,
      [table.schema, table.name],
    );
    return targetColumnsFrom(rows);
  },
  async connect(settings: ConnectionSettings, logger) {
    const client = new pg.Client({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      ...(settings.user !== undefined ? { user: settings.user } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ssl: settings.ssl === 'disable' ? false : { rejectUnauthorized: settings.ssl === 'require' },
      connectionTimeoutMillis: settings.connectTimeoutMs,
      application_name: 'siphon-sink-jdbc',
      ...(settings.currentSchema
        ? { options: `-c search_path=${settings.currentSchema.replace(/[^A-Za-z0-9_,$]/g, '')}` }
        : {}),
    });
    // A connection the server drops emits 'error'; the next statement then fails and is retried.
    client.on('error', (error) => logger.warn('target connection error', { error: error.message }));
    await client.connect();
    return new PostgresConnection(client);
  },
};

/** Named prepared statements per connection at most; further texts are parsed each time. */
const MAX_PREPARED_STATEMENTS = 100;

class PostgresConnection implements SqlConnection {
  /** Names of the statements prepared on this connection, by text. */
  private readonly prepared = new Map<string, string>();

  constructor(private readonly client: pg.Client) {}

  async execute(
    sql: string,
    params: readonly unknown[] = [],
    options: { readonly reusable?: boolean } = {},
  ): Promise<number> {
    const name = options.reusable ? this.statementName(sql) : undefined;
    const result = await this.client.query({
      text: sql,
      values: [...params],
      ...(name === undefined ? {} : { name }),
    });
    return result.rowCount ?? 0;
  }

  private statementName(sql: string): string | undefined {
    const known = this.prepared.get(sql);
    if (known !== undefined || this.prepared.size >= MAX_PREPARED_STATEMENTS) return known;
    const name = `siphon_${this.prepared.size + 1}`;
    this.prepared.set(sql, name);
    return name;
  }

  async select(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const result = await this.client.query<Record<string, unknown>>({ text: sql, values: [...params] });
    return result.rows;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
