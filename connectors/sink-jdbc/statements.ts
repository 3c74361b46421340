import { BadRecordError, type Column } from './row-change.js';
import { qualifiedName, type SqlDialect } from './dialect.js';
import type { TableRef } from './table-name.js';

/** One SQL statement with its bound parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
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
      const name = columnNames[index];
      // Rows list their columns in the statement's order (they are grouped by it); search only when not.
      const column =
        row[index]?.name === name ? row[index] : row.find((candidate) => candidate.name === name);
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
