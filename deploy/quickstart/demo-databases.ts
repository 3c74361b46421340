import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DemoNames } from './demo-names.js';

/**
 * The demo's databases: a PostgreSQL source `inventory` with related tables, and empty
 * `replica` databases in PostgreSQL and MariaDB for the sinks to fill. A database is
 * only dropped when the demo created it (its comment says so): a user's own
 * `inventory` is never touched.
 */
const MARKER = 'created by the siphon quick start; dropped when it runs again';
export const pgAddress = { host: '127.0.0.1', port: 5432, user: 'postgres' };
export const mariadbAddress = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

export async function resetDemoDatabases(names: DemoNames): Promise<void> {
  const admin = new pg.Client({ ...pgAddress, database: 'postgres' });
  await admin.connect();
  try {
    for (const database of [names.sourceDatabase, names.replicaDatabase]) {
      const existing = await admin.query<{ comment: string | null }>(
        `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
        [database],
      );
      if (existing.rowCount && existing.rows[0]?.comment !== MARKER) {
        throw new Error(
          `PostgreSQL already has a database "${database}" that the quick start did not create; ` +
            `rename or drop it, or run the demo with --suffix <name>`,
        );
      }
    }
    // A slot pins its database: drop the last run's slot before its database.
    await admin.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [names.slot],
    );
    for (const database of [names.sourceDatabase, names.replicaDatabase]) {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${database}"`);
      await admin.query(`COMMENT ON DATABASE "${database}" IS '${MARKER}'`);
    }
  } finally {
    await admin.end();
  }

  const maria = await mysql.createConnection(mariadbAddress);
  try {
    const [rows] = await maria.query<mysql.RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [names.replicaDatabase],
    );
    const [marked] = await maria.query<mysql.RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [names.replicaDatabase, 'siphon_quickstart_marker'],
    );
    if (Number(rows[0]?.n) > 0 && Number(marked[0]?.n) === 0) {
      throw new Error(
        `MariaDB already has a database "${names.replicaDatabase}" that the quick start did not create; ` +
          `rename or drop it, or run the demo with --suffix <name>`,
      );
    }
    await maria.query(`DROP DATABASE IF EXISTS \`${names.replicaDatabase}\``);
    await maria.query(`CREATE DATABASE \`${names.replicaDatabase}\``);
    await maria.query(
      `CREATE TABLE \`${names.replicaDatabase}\`.siphon_quickstart_marker (id INT PRIMARY KEY)`,
    );
  } finally {
    await maria.end();
  }

  const source = new pg.Client({ ...pgAddress, database: names.sourceDatabase });
  await source.connect();
  try {
    await source.query(`
      CREATE TABLE customers (
        id serial PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL
      );
      CREATE TABLE products (
        id serial PRIMARY KEY,
        name text NOT NULL,
        price numeric(10, 2) NOT NULL,
        stock integer NOT NULL
      );
      CREATE TABLE orders (
        id bigserial PRIMARY KEY,
        customer_id integer NOT NULL REFERENCES customers,
        product_id integer NOT NULL REFERENCES products,
        quantity integer NOT NULL,
        total numeric(12, 2) NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO customers (name, email)
        SELECT 'customer ' || i, 'customer' || i || '@example.com' FROM generate_series(1, 50) AS i;
      INSERT INTO products (name, price, stock)
        SELECT 'product ' || i, (i * 3.5)::numeric(10, 2), 1000 FROM generate_series(1, 20) AS i;
      INSERT INTO orders (customer_id, product_id, quantity, total, status)
        SELECT 1 + i % 50, 1 + i % 20, 1 + i % 5, ((1 + i % 5) * (1 + i % 20) * 3.5)::numeric(12, 2), 'placed'
        FROM generate_series(1, 500) AS i;
    `);
  } finally {
    await source.end();
  }
}

export async function dropDemoSlot(names: DemoNames): Promise<void> {
  const admin = new pg.Client({ ...pgAddress, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [names.slot],
    );
  } finally {
    await admin.end();
  }
}

export async function dropDemoDatabases(names: DemoNames): Promise<void> {
  const admin = new pg.Client({ ...pgAddress, database: 'postgres' });
  await admin.connect();
  try {
    for (const database of [names.sourceDatabase, names.replicaDatabase]) {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  const maria = await mysql.createConnection(mariadbAddress);
  try {
    await maria.query(`DROP DATABASE IF EXISTS \`${names.replicaDatabase}\``);
  } finally {
    await maria.end();
  }
}
