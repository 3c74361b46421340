import type pg from 'pg';
import type { TableFilter } from '../../runtime/cdc/index.js';
import type { ColumnDescriptor } from './table-events.js';

/** Catalog reads: captured tables, their columns and primary keys. */

export interface TableRef {
  readonly oid: number;
  readonly schema: string;
  readonly table: string;
}

export async function capturedTables(client: pg.Client, filter: TableFilter): Promise<TableRef[]> {
  const result = await client.query<{ oid: string; schema: string; table: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
        AND n.nspname NOT LIKE 'pg\\_temp%'
      ORDER BY n.nspname, c.relname`,
  );
  return result.rows
    .map((r) => ({ oid: Number(r.oid), schema: r.schema, table: r.table }))
    .filter((t) => filter.includesTable(t.schema, t.table));
}

/**
 * The columns pgoutput streams, in order. Generated columns are left out: PostgreSQL 15's
 * pgoutput never sends them, and a snapshot that did would give the table a second schema
 * and the targets values that streaming never updates.
 */
export async function tableColumns(client: pg.Client, oid: number): Promise<ColumnDescriptor[]> {
  const result = await client.query<{ name: string; type_oid: string; typmod: string }>(
    `SELECT attname AS name, atttypid::int AS type_oid, atttypmod AS typmod
       FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
      ORDER BY attnum`,
    [oid],
  );
  return result.rows.map((r) => ({ name: r.name, typeOid: Number(r.type_oid), typmod: Number(r.typmod) }));
}

/** Column name → its default expression, for columns that have one. */
export async function columnDefaults(client: pg.Client, oid: number): Promise<Map<string, string>> {
  const result = await client.query<{ name: string; expression: string }>(
    `SELECT a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS expression
       FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = $1 AND a.attgenerated = ''`,
    [oid],
  );
  return new Map(result.rows.map((r) => [r.name, r.expression]));
}

/**
 * Names of the table's NOT NULL columns without a default: required fields in the value
 * schema, as in Debezium. A NOT NULL column with a default stays optional: Debezium gives it
 * a required field carrying the default value, which Siphon does not evaluate yet, and a
 * required field without a default would make `ADD COLUMN … NOT NULL DEFAULT …` a schema
 * change that is not BACKWARD compatible.
 */
export async function notNullColumns(client: pg.Client, oid: number): Promise<Set<string>> {
  const result = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attnotnull AND NOT atthasdef`,
    [oid],
  );
  return new Set(result.rows.map((r) => r.name));
}

export async function primaryKey(client: pg.Client, oid: number): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
      WHERE i.indrelid = $1 AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [oid],
  );
  return result.rows.map((r) => r.name);
}

export async function estimatedRows(client: pg.Client, oid: number): Promise<number> {
  const result = await client.query<{ n: string }>(
    'SELECT GREATEST(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = $1',
    [oid],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * A table's storage: its relfilenode (another after VACUUM FULL, CLUSTER, TRUNCATE), its heap
 * pages now, and its estimated rows (null when never analyzed).
 */
export interface TableStorage {
  readonly relfilenode: number;
  readonly pages: number;
  readonly estimatedRows: number | null;
}

export async function tableStorage(client: pg.Client, oid: number): Promise<TableStorage> {
  const result = await client.query<{ relfilenode: string; pages: string; reltuples: string }>(
    `SELECT pg_relation_filenode(c.oid)::bigint AS relfilenode,
            (pg_relation_size(c.oid) / current_setting('block_size')::bigint) AS pages,
            c.reltuples::bigint AS reltuples
       FROM pg_class c WHERE c.oid = $1`,
    [oid],
  );
  const row = result.rows[0];
  const reltuples = Number(row?.reltuples ?? -1);
  return {
    relfilenode: Number(row?.relfilenode ?? 0),
    pages: Number(row?.pages ?? 0),
    estimatedRows: reltuples < 0 ? null : reltuples,
  };
}
