import type mysql from 'mysql2/promise';
import type { ExecuteValues, RowDataPacket } from 'mysql2/promise';
import { baseType } from './table-structure.js';
import type { TableColumn, TableStructure } from './table-structure.js';

/**
 * How the MySQL snapshot reads a table: primary-key chunks through the binary protocol,
 * key ranges for a parallel snapshot, and keys in offsets.
 */

/** Key values as JSON (big integers arrive as strings already; Buffers as base64). */
export function jsonSafe(value: unknown): unknown {
  return Buffer.isBuffer(value) ? { base64: value.toString('base64') } : value;
}

export function fromJsonSafe(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'base64' in value) {
    return Buffer.from(String((value as { base64: string }).base64), 'base64');
  }
  return value;
}

/**
 * A table's rows in primary-key order, `size` rows per chunk, after the key `after` (and up
 * to `upTo` included, for a parallel snapshot's key range).
 * Tables without a primary key are read with LIMIT/OFFSET inside the consistent snapshot
 * (stable: the transaction sees no concurrent change); an interrupted snapshot reads such
 * a table again from its start.
 *
 * Rows come through the binary protocol (prepared statements): it sends DOUBLE and FLOAT
 * as their IEEE bytes, as the binlog does, where the text protocol prints FLOAT with 6
 * significant digits and some doubles one digit short. Each chunk is still one bounded
 * query; the table's statements are closed after it, so a snapshot of many tables does
 * not pile up prepared statements on the server.
 */
export async function* tableChunks(
  connection: mysql.Connection,
  schema: TableStructure,
  size: number,
  after: readonly unknown[] | null,
  upTo: readonly unknown[] | null = null,
): AsyncGenerator<Record<string, unknown>[]> {
  const table = `${quoteId(schema.db)}.${quoteId(schema.table)}`;
  const columns = schema.columns.map(selectColumn).join(', ');
  const key = schema.primaryKey;
  const statements = new PreparedStatements(connection);
  try {
    if (key.length === 0) {
      for (let offset = 0; ; offset += size) {
        const rows = await statements.rows(`SELECT ${columns} FROM ${table} LIMIT ? OFFSET ?`, [
          size,
          offset,
        ]);
        if (rows.length > 0) yield rows;
        if (rows.length < size) return;
      }
    }
    // Qualified: a bare name would order by the select list's text form of a temporal key.
    const order = key.map((name) => `${table}.${quoteId(name)}`).join(', ');
    let last = after;
    for (;;) {
      const { where, params } = keyRangeWhere(key, last, upTo);
      const rows = await statements.rows(
        `SELECT ${columns} FROM ${table} ${where} ORDER BY ${order} LIMIT ?`,
        [...params, size],
      );
      if (rows.length > 0) yield rows;
      if (rows.length < size) return;
      const final = rows[rows.length - 1]!;
      last = key.map((name) => final[name]);
    }
  } finally {
    statements.close();
  }
}

/**
 * The last key of every `everyRows` rows after `after`: where a parallel snapshot cuts the
 * table into key ranges, one probe of the primary key's index per boundary, each yielded as
 * it is found (values as the chunks' rows give them, so they compare the same way).
 */
export async function* keyBoundaries(
  connection: mysql.Connection,
  schema: TableStructure,
  after: readonly unknown[] | null,
  everyRows: number,
): AsyncGenerator<unknown[]> {
  const table = `${quoteId(schema.db)}.${quoteId(schema.table)}`;
  const key = schema.primaryKey;
  const columns = key
    .map((name) => schema.columns.find((c) => c.name === name))
    .map((column, i) => (column === undefined ? quoteId(key[i]!) : selectColumn(column)))
    .join(', ');
  const order = key.map((name) => `${table}.${quoteId(name)}`).join(', ');
  const statements = new PreparedStatements(connection);
  try {
    let last = after;
    for (;;) {
      const { where, params } = keyRangeWhere(key, last, null);
      const [boundary] = await statements.rows(
        `SELECT ${columns} FROM ${table} ${where} ORDER BY ${order} LIMIT 1 OFFSET ${everyRows - 1}`,
        params,
      );
      if (boundary === undefined) return;
      last = key.map((name) => boundary[name]);
      yield [...last];
    }
  } finally {
    statements.close();
  }
}

/** The statements one read prepared, closed after it. */
export class PreparedStatements {
  private readonly prepared = new Set<string>();

  constructor(private readonly connection: mysql.Connection) {}

  async rows(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    this.prepared.add(sql);
    const [rows] = await this.connection.execute<RowDataPacket[]>(sql, params as ExecuteValues);
    return rows as Record<string, unknown>[];
  }

  close(): void {
    for (const sql of this.prepared) {
      try {
        this.connection.unprepare(sql);
      } catch {
        // A closed connection: the server dropped its statements, and throwing here would
        // hide the error that closed it.
        break;
      }
    }
  }
}

const temporalTypes = new Set(['date', 'datetime', 'timestamp', 'time']);

/**
 * A column of the snapshot's select list. Temporal values as the server's text, as the text
 * protocol and the binlog decoder give them: the binary protocol drops a zero fraction
 * (TIMESTAMP(3) '…05.000' arrives as '…05'), which Debezium's ZonedTimestamp keeps.
 */
export function selectColumn(column: TableColumn): string {
  const name = quoteId(column.name);
  return temporalTypes.has(baseType(column.columnType)) ? `CAST(${name} AS CHAR) AS ${name}` : name;
}

/** A condition on the key and its parameters. */
interface KeyCondition {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * `a > ? OR (a = ? AND b > ?)` (the keys after `bound`) or `a < ? OR (a = ? AND b <= ?)`
 * (the keys up to `bound`, included), in a form that uses the index.
 */
function keyBound(key: readonly string[], bound: readonly unknown[], direction: '>' | '<'): KeyCondition {
  const terms: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < key.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      parts.push(`${quoteId(key[j]!)} = ?`);
      params.push(bound[j]);
    }
    const last = i === key.length - 1;
    parts.push(`${quoteId(key[i]!)} ${direction === '<' && last ? '<=' : direction} ?`);
    params.push(bound[i]);
    terms.push(`(${parts.join(' AND ')})`);
  }
  return { sql: terms.join(' OR '), params };
}

/** The WHERE clause (empty when both ends are open) of the keys after `after` and up to `upTo`, included. */
export function keyRangeWhere(
  key: readonly string[],
  after: readonly unknown[] | null,
  upTo: readonly unknown[] | null,
): { where: string; params: unknown[] } {
  const conditions: KeyCondition[] = [];
  if (after !== null) conditions.push(keyBound(key, after, '>'));
  if (upTo !== null) conditions.push(keyBound(key, upTo, '<'));
  const [only] = conditions;
  if (only === undefined) return { where: '', params: [] };
  if (conditions.length === 1) return { where: `WHERE ${only.sql}`, params: only.params };
  return {
    where: `WHERE ${conditions.map((c) => `(${c.sql})`).join(' AND ')}`,
    params: conditions.flatMap((c) => c.params),
  };
}

export function quoteId(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
