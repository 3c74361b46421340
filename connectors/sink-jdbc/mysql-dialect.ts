import { DataError } from '../../runtime/plugin/index.js';
import mysql from 'mysql2/promise';
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

/**
 * Record-model types as MySQL/MariaDB column types. Key columns need bounded types
 * (InnoDB cannot index TEXT/BLOB whole), hence varchar(255)/varbinary(255) there.
 * MySQL has no zoned timestamp: ZonedTimestamp is stored converted to UTC.
 */
const RANGE_TEXT =
  'years 1–9999 exact; ±infinity, BC and later years are bad records naming the column and value, or the nearest value with temporal.out.of.range.mode=clamp';

const typeMapping: TypeMapping = {
  int8: fixedType('tinyint'),
  int16: fixedType('smallint'),
  int32: fixedType('int'),
  int64: fixedType('bigint'),
  float32: noted(
    fixedType('float'),
    'NaN and ±Infinity are bad records (MySQL/MariaDB have none); -0 is stored as 0',
  ),
  float64: noted(
    fixedType('double'),
    'NaN and ±Infinity are bad records (MySQL/MariaDB have none); -0 is stored as 0',
  ),
  boolean: noted(fixedType('boolean'), 'tinyint(1): true and false are 1 and 0'),
  string: fixedType('longtext', 'varchar(255)'),
  bytes: fixedType('longblob', 'varbinary(255)'),
  array: noted(fixedType('json'), 'the array as JSON text'),
  map: fixedType('json'),
  struct: fixedType('json'),
  [LogicalName.Decimal]: {
    shown: 'decimal(precision, scale), decimal(65, scale) without a precision',
    note: 'a value the column cannot hold exactly (MariaDB would round it) is a bad record naming the column and value',
    sqlType: (schema) => {
      const { precision, scale } = decimalParameters(schema);
      return `decimal(${Math.min(precision ?? 65, 65)}, ${Math.min(scale, 30)})`;
    },
  },
  [LogicalName.VariableScaleDecimal]: noted(
    fixedType('decimal(65, 30)'),
    'more than 30 digits after the point or 35 before is a bad record; for those, decimal.handling.mode=string upstream gives a text column',
  ),
  [LogicalName.Date]: noted(fixedType('date'), RANGE_TEXT),
  [LogicalName.DebeziumDate]: noted(fixedType('date'), RANGE_TEXT),
  [LogicalName.Time]: fixedType('time(3)'),
  [LogicalName.DebeziumTime]: fixedType('time(3)'),
  [LogicalName.MicroTime]: noted(fixedType('time(6)'), 'exact from -838:59:59.999999 to 838:59:59.999999'),
  [LogicalName.NanoTime]: noted(fixedType('time(6)'), 'truncated to microseconds'),
  [LogicalName.Timestamp]: noted(fixedType('datetime(3)'), RANGE_TEXT),
  [LogicalName.DebeziumTimestamp]: noted(fixedType('datetime(3)'), RANGE_TEXT),
  [LogicalName.MicroTimestamp]: noted(fixedType('datetime(6)'), RANGE_TEXT),
  [LogicalName.NanoTimestamp]: noted(
    fixedType('datetime(6)'),
    'truncated to microseconds; range as for MicroTimestamp',
  ),
  [LogicalName.ZonedTimestamp]: {
    shown: 'datetime(6), converted to UTC',
    note: `the instant in UTC, the offset not kept; ${RANGE_TEXT}`,
    sqlType: () => 'datetime(6)',
  },
  [LogicalName.ZonedTime]: noted(fixedType('time(6)'), 'converted to UTC, the offset not kept'),
  [LogicalName.MicroDuration]: noted(fixedType('bigint'), 'the number of microseconds'),
  [LogicalName.Interval]: noted(fixedType('varchar(64)'), 'the ISO-8601 duration text'),
  [LogicalName.Json]: noted(
    fixedType('json'),
    'the JSON text as the source wrote it (MariaDB JSON is checked longtext)',
  ),
  [LogicalName.Xml]: fixedType('longtext'),
  [LogicalName.Uuid]: noted(fixedType('char(36)'), 'the UUID text'),
};

const bindOptions: BindOptions = {
  temporal: 'mysql',
  scalarArrays: 'json',
  booleans: 'integer',
  durations: 'micros',
};

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  typeMapping,
  maxParameters: 65535,
  quote: (identifier) => `\`${identifier.replaceAll('`', '``')}\``,
  fold: (identifier) => identifier,
  placeholder: () => '?',
  columnType: (schema: Schema, isKey: boolean) => columnTypeFrom(typeMapping, schema, isKey),
  bind: (schema, value) => bindValue(schema, value, bindOptions),
  upsertClause(columns, keyColumns) {
    const updates = columns.filter((column) => !keyColumns.includes(column));
    // All columns are key columns: a no-op update keeps the statement idempotent.
    const targets = updates.length === 0 ? keyColumns.slice(0, 1) : updates;
    // VALUES(col) is deprecated in MySQL 8.0.20 but is the form MariaDB and MySQL both accept.
    return ` ON DUPLICATE KEY UPDATE ${targets.map((c) => `${this.quote(c)} = VALUES(${this.quote(c)})`).join(', ')}`;
  },
  defaultLiteral(value) {
    // Hex forms are exact whatever sql_mode says about backslashes. Text goes through CONVERT:
    // MariaDB re-parses a default written `_utf8mb4 X'…'` unescaped and fails on quotes.
    // Parentheses: MySQL takes a TEXT/BLOB/JSON default only as an expression.
    if (typeof value === 'string')
      return `(CONVERT(X'${Buffer.from(value, 'utf8').toString('hex')}' USING utf8mb4))`;
    if (Buffer.isBuffer(value)) return `(X'${value.toString('hex')}')`;
    // The shortest text that reads back as the same double; the exponent keeps it a double literal, not a decimal.
    if (typeof value === 'number' && Number.isFinite(value))
      return Number.isInteger(value) ? String(value) : value.toExponential();
    throw new DataError(`a default of ${String(value)} cannot be written exactly in MySQL/MariaDB DDL`);
  },
  maxDecimal: { precision: 65, scale: 30 },
  widenColumn(table, column, type) {
    // MODIFY restates the whole definition: nullability and the default (as information_schema shows it) go with it.
    const defaultClause = column.columnDefault === null ? '' : ` DEFAULT ${column.columnDefault}`;
    return `ALTER TABLE ${qualifiedName(this, table)} MODIFY COLUMN ${this.quote(column.name)} ${type}${column.nullable ? ' NULL' : ' NOT NULL'}${defaultClause}`;
  },
  truncate(table: TableRef) {
    // TRUNCATE would commit the batch transaction implicitly; DELETE stays inside it.
    return `DELETE FROM ${qualifiedName(this, table)}`;
  },
  async listColumns(connection, table) {
    const rows = await connection.select(
      `SELECT column_name AS name, data_type AS data_type, numeric_precision AS numeric_precision,
              numeric_scale AS numeric_scale, character_maximum_length AS character_maximum_length,
              is_nullable AS is_nullable, column_default AS column_default
         FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
      [table.schema, table.name],
    );
    return targetColumnsFrom(rows);
  },
  async connect(settings: ConnectionSettings, logger) {
    const connection = await mysql.createConnection({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      ...(settings.user !== undefined ? { user: settings.user } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...(settings.ssl === 'disable' ? {} : { ssl: { rejectUnauthorized: settings.ssl === 'require' } }),
      connectTimeout: settings.connectTimeoutMs,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      // Each distinct multi-row statement is prepared once; the LRU bound keeps the server's prepared-statement count bounded.
      maxPreparedStatements: 256,
    });
    connection.on('error', (error: Error) =>
      logger.warn('target connection error', { error: error.message }),
    );
    await connection.query("SET SESSION time_zone = '+00:00'");
    return new MysqlConnection(connection);
  },
};

/** The MySQL/MariaDB dialect with `temporal.out.of.range.mode=clamp`: out-of-range dates and times become the nearest value the target holds. */
export const clampingMysqlDialect: SqlDialect = {
  ...mysqlDialect,
  bind: (schema, value) => bindValue(schema, value, { ...bindOptions, temporal: 'mysql-clamp' }),
};

class MysqlConnection implements SqlConnection {
  constructor(private readonly connection: mysql.Connection) {}

  async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    // Transaction control and DDL go over the text protocol; values always as prepared-statement parameters.
    const [result] =
      params.length === 0
        ? await this.connection.query(sql)
        : await this.connection.execute(sql, params as mysql.ExecuteValues);
    return (result as mysql.ResultSetHeader).affectedRows ?? 0;
  }

  async select(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const [rows] = await this.connection.execute(sql, params as mysql.ExecuteValues);
    return rows as Record<string, unknown>[];
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => this.connection.destroy());
  }
}
