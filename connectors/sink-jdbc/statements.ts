import { BadRecordError, type Column } from './row-change.js';
import { qualifiedName, type SqlDialect } from './dialect.js';
import type { TableRef } from './table-name.js';

/** One SQL statement with its bound parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The same text runs again and again (whatever the row count): the connection may keep it prepared. */
  readonly reusable?: boolean;
}

/** A column's value as a parameter; a value the dialect cannot represent is a bad record naming the column. */
function bound(dialect: SqlDialect, column: Column): unknown {
  try {
    return dialect.bind(column.schema, column.value);
  } catch (error) {
    throw new BadRecordError(`column "${column.name}": ${(error as Error).message}`, { cause: error });
  }
}

/** Multi-row INSERT, optionally as an upsert on `keyColumns`. Every value is a parameter. */
export function insertStatement(
  dialect: SqlDialect,
  table: TableRef,
  columnNames: readonly string[],
  rows: readonly (readonly Column[])[],
  upsertKey?: readonly string[],
): Statement {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    let tuple = '(';
    for (let index = 0; index < columnNames.length; index++) {
      const column = columnAt(row, index, columnNames[index]);
      params.push(column ? bound(dialect, column) : null);
      tuple += index === 0 ? dialect.placeholder(params.length) : `, ${dialect.placeholder(params.length)}`;
    }
    tuples.push(`${tuple})`);
  }
  const sql =
    `INSERT INTO ${qualifiedName(dialect, table)} (${columnNames.map((name) => dialect.quote(name)).join(', ')}) VALUES ${tuples.join(', ')}` +
    (upsertKey ? dialect.upsertClause(columnNames, upsertKey) : '');
  return { sql, params };
}

/**
 * Multi-row INSERT with one array parameter per column, `INSERT … SELECT * FROM
 * unnest($1::int8[], $2::text[], …)`, optionally as an upsert: its text is the same for any
 * number of rows, so the server parses and plans it once per connection, and each element
 * is read by the column type's input function as a single parameter would be. Null when a
 * value is itself an array (unnest would flatten it): those rows go in VALUES.
 */
export function arrayInsertStatement(
  dialect: SqlDialect,
  table: TableRef,
  columnNames: readonly string[],
  arrayTypes: readonly string[],
  rows: readonly (readonly Column[])[],
  upsertKey?: readonly string[],
): Statement | null {
  const columns: unknown[][] = columnNames.map(() => []);
  for (const row of rows) {
    for (let index = 0; index < columnNames.length; index++) {
      const column = columnAt(row, index, columnNames[index]);
      const value = column ? bound(dialect, column) : null;
      if (Array.isArray(value)) return null;
      columns[index]?.push(value);
    }
  }
  const sources = arrayTypes.map((type, index) => `${dialect.placeholder(index + 1)}::${type}`);
  const sql =
    `INSERT INTO ${qualifiedName(dialect, table)} (${columnNames.map((name) => dialect.quote(name)).join(', ')}) SELECT * FROM unnest(${sources.join(', ')})` +
    (upsertKey ? dialect.upsertClause(columnNames, upsertKey) : '');
  return { sql, params: columns, reusable: true };
}

/** A row's column `name`, expected at `index`: rows of a statement are grouped by their column order. */
function columnAt(row: readonly Column[], index: number, name: string | undefined): Column | undefined {
  const expected = row[index];
  return expected?.name === name ? expected : row.find((candidate) => candidate.name === name);
}

/** UPDATE of one row by its key (insert.mode=update). */

export function updateStatement(
  dialect: SqlDialect,
  table: TableRef,
  columns: readonly Column[],
  key: readonly Column[],
): Statement {
  const keyNames = new Set(key.map((column) => column.name));
  const params: unknown[] = [];
  const bind = (column: Column) => {
    params.push(bound(dialect, column));
    return `${dialect.quote(column.name)} = ${dialect.placeholder(params.length)}`;
  };
  const sets = columns.filter((column) => !keyNames.has(column.name)).map(bind);
  // Nothing but the key to set: a no-op assignment still reports whether the row exists.
  if (sets.length === 0 && key[0]) sets.push(`${dialect.quote(key[0].name)} = ${dialect.quote(key[0].name)}`);
  const where = key.map(bind);
  return {
    sql: `UPDATE ${qualifiedName(dialect, table)} SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`,
    params,
  };
}

/** `DELETE FROM t WHERE (k1, k2) IN ((…), (…))`, or with `softDeleteColumn`, `UPDATE t SET col = TRUE WHERE …`. */
export function deleteStatement(
  dialect: SqlDialect,
  table: TableRef,
  keys: readonly (readonly Column[])[],
  softDeleteColumn?: string,
): Statement {
  const params: unknown[] = [];
  const first = keys[0] ?? [];
  const names = first.map((column) => dialect.quote(column.name));
  const tuples = keys.map((key) => {
    const slots = key.map((column) => {
      params.push(bound(dialect, column));
      return dialect.placeholder(params.length);
    });
    return slots.length === 1 ? (slots[0] ?? '') : `(${slots.join(', ')})`;
  });
  const target = names.length === 1 ? (names[0] ?? '') : `(${names.join(', ')})`;
  const where = `${target} IN (${tuples.join(', ')})`;
  const sql = softDeleteColumn
    ? `UPDATE ${qualifiedName(dialect, table)} SET ${dialect.quote(softDeleteColumn)} = TRUE WHERE ${where}`
    : `DELETE FROM ${qualifiedName(dialect, table)} WHERE ${where}`;
  return { sql, params };
}

export interface ColumnDefinition {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
}

export function createTableStatement(
  dialect: SqlDialect,
  table: TableRef,
  columns: readonly ColumnDefinition[],
  keyColumns: readonly string[],
): string {
  const definitions = columns.map(
    (column) => `${dialect.quote(column.name)} ${column.type}${column.notNull ? ' NOT NULL' : ''}`,
  );
  if (keyColumns.length > 0)
    definitions.push(`PRIMARY KEY (${keyColumns.map((name) => dialect.quote(name)).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(dialect, table)} (${definitions.join(', ')})`;
}

/** Added columns are nullable: existing rows have no value for them. */
export function addColumnStatement(dialect: SqlDialect, table: TableRef, column: ColumnDefinition): string {
  return `ALTER TABLE ${qualifiedName(dialect, table)} ADD COLUMN ${dialect.quote(column.name)} ${column.type}`;
}

/**
 * ADD COLUMN … NULL DEFAULT `column.value` (the source's column default), with the dialect's
 * `defaultLiteral`: one statement adds the column and gives every existing row the default.
 * The default stays on the column, as the source's ADD COLUMN … DEFAULT left it.
 */
export function addColumnWithDefaultStatement(
  dialect: SqlDialect,
  defaultLiteral: (value: unknown) => string,
  table: TableRef,
  definition: ColumnDefinition,
  column: Column,
): string {
  const value = bound(dialect, column);
  let literal: string;
  try {
    literal = defaultLiteral(value);
  } catch (error) {
    throw new BadRecordError(`column "${column.name}": ${(error as Error).message}`, { cause: error });
  }
  return `${addColumnStatement(dialect, table, definition)} NULL DEFAULT ${literal}`;
}

/** Sets a just-added column to `column.value` in every existing row (the source's column default). */
export function fillColumnStatement(dialect: SqlDialect, table: TableRef, column: Column): Statement {
  return {
    sql: `UPDATE ${qualifiedName(dialect, table)} SET ${dialect.quote(column.name)} = ${dialect.placeholder(1)} WHERE ${dialect.quote(column.name)} IS NULL`,
    params: [bound(dialect, column)],
  };
}

/** Splits rows so no statement exceeds the dialect's parameter limit or `maxRows`. */
export function chunkRows<T>(
  rows: readonly T[],
  columnsPerRow: number,
  maxParameters: number,
  maxRows: number,
): T[][] {
  const size = Math.max(1, Math.min(maxRows, Math.floor(maxParameters / Math.max(1, columnsPerRow))));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}
