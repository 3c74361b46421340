import type { ChunkKey } from './incremental-snapshot-window.js';

/** How a connector's SQL names things and takes parameters: all a chunk query needs of the dialect. */
export interface ChunkQueryDialect {
  /** The identifier quoted for this database. */
  quote(identifier: string): string;
  /** The placeholder of the `n`th parameter, counted from 1 (`$n`, or `?`). */
  placeholder(n: number): string;
  /**
   * Keys compared as rows, `(a, b) > ($1, $2)` (PostgreSQL), or spelled out,
   * `a > ? OR (a = ? AND b > ?)` (MySQL/MariaDB, whose range optimizer uses an index only
   * for the spelled-out form).
   */
  readonly rowComparison: boolean;
}

/** The table a chunk is read from, in the dialect's SQL. */
export interface ChunkQueryTable {
  /** The quoted, qualified table name. */
  readonly from: string;
  /** The select list of the chunk's rows. */
  readonly columns: string;
  /** The select list of a key (the key columns, as the connector wants their values). */
  readonly keyColumns: string;
  /** The key's column names, in key order: what chunks are ordered and cut by. */
  readonly key: readonly string[];
}

export interface ChunkQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * The rows after `after` (exclusive; null: from the first) up to `upTo` (inclusive), in key
 * order, at most `limit`, of those meeting `filter` (an SQL condition, the snapshot's
 * additional-conditions): keyset pagination, so each chunk is one index range read.
 * Rows whose key has a NULL never compare and are never read (they have no key).
 */
export function chunkQuery(
  dialect: ChunkQueryDialect,
  table: ChunkQueryTable,
  range: { readonly after: ChunkKey | null; readonly upTo: ChunkKey; readonly filter: string | null },
  limit: number,
): ChunkQuery {
  const params: unknown[] = [];
  const conditions = [keyBound(dialect, table, range.upTo, '<=', params)];
  if (range.after !== null) conditions.push(keyBound(dialect, table, range.after, '>', params));
  if (range.filter !== null) conditions.push(range.filter);
  return {
    sql: `SELECT ${table.columns} FROM ${table.from} WHERE ${conditions.map((c) => `(${c})`).join(' AND ')} ORDER BY ${keyOrder(dialect, table, '')} LIMIT ${limit}`,
    params,
  };
}

/**
 * The largest key of the rows meeting `filter`: where a snapshot of the table ends (rows
 * inserted later are streamed). NULL keys are left out, as `chunkQuery` leaves them out
 * (PostgreSQL would sort them first in descending order).
 */
export function maxKeyQuery(
  dialect: ChunkQueryDialect,
  table: ChunkQueryTable,
  filter: string | null,
): ChunkQuery {
  const conditions = table.key.map((name) => `${column(dialect, table, name)} IS NOT NULL`);
  if (filter !== null) conditions.push(`(${filter})`);
  return {
    sql: `SELECT ${table.keyColumns} FROM ${table.from} WHERE ${conditions.join(' AND ')} ORDER BY ${keyOrder(dialect, table, ' DESC')} LIMIT 1`,
    params: [],
  };
}

/**
 * The keys after `bound` (`>`) or up to it (`<=`), its values appended to `params`. Key
 * columns are qualified: a bare name in ORDER BY would mean the select list's column, which
 * a connector may have cast to text.
 */
function keyBound(
  dialect: ChunkQueryDialect,
  table: ChunkQueryTable,
  bound: ChunkKey,
  direction: '>' | '<=',
  params: unknown[],
): string {
  const columns = table.key.map((name) => column(dialect, table, name));
  const next = (value: unknown): string => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  if (dialect.rowComparison)
    return `(${columns.join(', ')}) ${direction} (${columns.map((_, i) => next(bound[i])).join(', ')})`;
  const strict = direction === '>' ? '>' : '<';
  return columns
    .map((name, i) => {
      const equal = columns.slice(0, i).map((earlier, j) => `${earlier} = ${next(bound[j])}`);
      const last = i === columns.length - 1 ? direction : strict;
      return `(${[...equal, `${name} ${last} ${next(bound[i])}`].join(' AND ')})`;
    })
    .join(' OR ');
}

function keyOrder(dialect: ChunkQueryDialect, table: ChunkQueryTable, direction: '' | ' DESC'): string {
  return table.key.map((name) => `${column(dialect, table, name)}${direction}`).join(', ');
}

function column(dialect: ChunkQueryDialect, table: ChunkQueryTable, name: string): string {
  return `${table.from}.${dialect.quote(name)}`;
}
