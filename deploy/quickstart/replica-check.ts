import mysql from 'mysql2/promise';
import pg from 'pg';
import { mariadbAddress, pgAddress } from './demo-databases.js';
import type { DemoNames } from './demo-names.js';

/**
 * Compares the demo's source tables with both replicas, row by row. The MariaDB sink's
 * mapping rules shape its copy: orders are soft-deleted (`deleted`), customers lose
 * `email` and call `name` `customer_name`.
 */
export interface ReplicaComparison {
  readonly sourceOrders: number;
  readonly postgresOrders: number;
  readonly mariadbOrders: number;
  /** Tables whose rows differ, per replica; empty when both equal the source. */
  readonly differences: readonly string[];
}

type Rows = readonly string[];

async function postgresRows(database: string, query: string): Promise<Rows> {
  const client = new pg.Client({ ...pgAddress, database });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(query)).rows.map((row) =>
      Object.values(row).join('|'),
    );
  } catch (error) {
    // The sink creates its tables on its first record: no table yet is "no rows yet".
    if ((error as { code?: string }).code === '42P01') return [];
    throw error;
  } finally {
    await client.end();
  }
}

async function mariadbRows(database: string, query: string): Promise<Rows> {
  const connection = await mysql.createConnection({ ...mariadbAddress, database });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(query);
    return rows.map((row) => Object.values(row).map(String).join('|'));
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_NO_SUCH_TABLE') return [];
    throw error;
  } finally {
    await connection.end();
  }
}

/** Decimals compared as text; `text` is PostgreSQL's name for the type, `CHAR` MariaDB's. */
const orders = (text: string) =>
  `SELECT id, customer_id, product_id, quantity, CAST(total AS ${text}) AS total, status FROM orders`;
const products = (text: string) => `SELECT id, name, CAST(price AS ${text}) AS price, stock FROM products`;

export async function compareReplicas(names: DemoNames): Promise<ReplicaComparison> {
  const source = names.sourceDatabase;
  const replica = names.replicaDatabase;
  const tables: [string, Rows, Rows, Rows][] = [
    [
      'orders',
      await postgresRows(source, `${orders('text')} ORDER BY id`),
      await postgresRows(replica, `${orders('text')} ORDER BY id`),
      await mariadbRows(replica, `${orders('CHAR')} WHERE COALESCE(deleted, 0) = 0 ORDER BY id`),
    ],
    [
      'products',
      await postgresRows(source, `${products('text')} ORDER BY id`),
      await postgresRows(replica, `${products('text')} ORDER BY id`),
      await mariadbRows(replica, `${products('CHAR')} ORDER BY id`),
    ],
    [
      'customers',
      await postgresRows(source, 'SELECT id, name FROM customers ORDER BY id'),
      await postgresRows(replica, 'SELECT id, name FROM customers ORDER BY id'),
      await mariadbRows(replica, 'SELECT id, customer_name FROM customers ORDER BY id'),
    ],
  ];
  const differences: string[] = [];
  for (const [table, want, inPostgres, inMariadb] of tables) {
    if (inPostgres.join('\n') !== want.join('\n')) differences.push(`PostgreSQL ${replica}.${table}`);
    if (inMariadb.join('\n') !== want.join('\n')) differences.push(`MariaDB ${replica}.${table}`);
  }
  const [orderTable] = tables;
  return {
    sourceOrders: orderTable?.[1].length ?? 0,
    postgresOrders: orderTable?.[2].length ?? 0,
    mariadbOrders: orderTable?.[3].length ?? 0,
    differences,
  };
}
