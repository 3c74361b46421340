import pg from 'pg';

/**
 * The benchmark's rows (issue 14): bigint id, a few ints, numeric(12,2), timestamptz,
 * varchar(64) and a ~100-character text. `items` is filled before the snapshot;
 * `changes` receives the streamed and the latency phases' inserts.
 */
export const pgAddress = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

const columns = `id bigint PRIMARY KEY, quantity int NOT NULL, category int NOT NULL, rank int NOT NULL,
  price numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, name varchar(64) NOT NULL, note text NOT NULL`;

/** Rows $1..$2, every value derived from the id so that runs write the same bytes. */
const generatedRows = `SELECT g, g % 1000, g % 17, (g * 7919) % 100000, ((g % 100000) * 1.37)::numeric(12,2),
  timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', 'item-' || g || '-' || md5(g::text),
  repeat(md5(g::text), 3) || left(md5((g + 1)::text), 4)
  FROM generate_series($1::bigint, $2::bigint) g`;

export async function withClient<T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...pgAddress, database });
  // A connection the cleanup terminates (DROP DATABASE … WITH (FORCE)) fails the query in
  // progress; without a listener the client's 'error' event would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export function query(database: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withClient(database, (client) => client.query(sql, params));
}

/** Creates the source database with `items` holding `rows` rows and an empty `changes`. */
export async function createSource(database: string, rows: number): Promise<void> {
  await query('postgres', `CREATE DATABASE ${database}`);
  await withClient(database, async (client) => {
    await client.query(`CREATE TABLE items (${columns}); CREATE TABLE changes (${columns})`);
    await client.query(`INSERT INTO items ${generatedRows}`, [1, rows]);
    await client.query('ANALYZE items');
  });
}

export async function countRows(database: string, table: string): Promise<number> {
  const result = await query(database, `SELECT count(*)::int AS n FROM ${table}`).catch(() => null);
  return (result?.rows[0] as { n: number } | undefined)?.n ?? 0;
}

export async function currentLsn(database: string): Promise<string> {
  const result = await query(database, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return (result.rows[0] as { lsn: string }).lsn;
}

/** Inserts ids first..first+count-1 into `changes` as fast as one connection can, `perTransaction` rows per commit. */
export async function writeChanges(
  database: string,
  first: number,
  count: number,
  perTransaction: number,
): Promise<void> {
  await withClient(database, async (client) => {
    for (let done = 0; done < count; done += perTransaction) {
      const size = Math.min(perTransaction, count - done);
      await client.query(`INSERT INTO changes ${generatedRows}`, [first + done, first + done + size - 1]);
    }
  });
}

export interface PacedTransaction {
  readonly firstId: number;
  readonly rows: number;
  /** performance.now() when PostgreSQL acknowledged the commit to this client. */
  readonly committedAt: number;
}

/**
 * Commits `perTransaction`-row inserts on a fixed schedule that adds up to `eventsPerSecond`,
 * for `seconds`. A commit that finishes late is not made up for by a burst: the achieved
 * rate is reported instead.
 */
export async function writePaced(
  database: string,
  firstId: number,
  eventsPerSecond: number,
  seconds: number,
  perTransaction: number,
  onCommit: (transaction: PacedTransaction) => void,
): Promise<number> {
  const intervalMs = (1000 * perTransaction) / eventsPerSecond;
  const transactions = Math.round((eventsPerSecond * seconds) / perTransaction);
  return withClient(database, async (client) => {
    const start = performance.now();
    for (let i = 0; i < transactions; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = firstId + i * perTransaction;
      await client.query(`INSERT INTO changes ${generatedRows}`, [id, id + perTransaction - 1]);
      onCommit({ firstId: id, rows: perTransaction, committedAt: performance.now() });
    }
    return (performance.now() - start) / 1000;
  });
}
