import pg from 'pg';

/**
 * The benchmark's rows (issue 14): bigint id, a few ints, numeric(12,2), timestamptz,
 * varchar(64) and a ~100-character text. `items` is filled before the snapshot;
 * `changes` receives the streamed and the latency phases' inserts.
 */
export const pgAddress = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

const columns = `id bigint PRIMARY KEY, quantity int NOT NULL, category int NOT NULL, rank int NOT NULL,
  price numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, name varchar(64) NOT NULL, note text NOT NULL`;

/** A row's values from its id `g`, with `rank` given as an SQL expression. */
const rowValues = (rank: string) => `g, g % 1000, g % 17, ${rank}, ((g % 100000) * 1.37)::numeric(12,2),
  timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', 'item-' || g || '-' || md5(g::text),
  repeat(md5(g::text), 3) || left(md5((g + 1)::text), 4)`;

/** Rows $1..$2, every value derived from the id so that runs write the same bytes. */
const generatedRows = `SELECT ${rowValues('(g * 7919) % 100000')} FROM generate_series($1::bigint, $2::bigint) g`;

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

export interface ItemsTransaction {
  /** 1, 2, …: every row it updates or inserts gets rank = -seq, so its events name it. */
  readonly seq: number;
  readonly updated: readonly number[];
  readonly inserted: readonly number[];
  readonly deleted: readonly number[];
  /** performance.now() when PostgreSQL acknowledged the commit to this client. */
  readonly committedAt: number;
}

export interface ItemsWriter {
  /** Existing ids are 1..rows; inserts take rows + 1, rows + 2, … */
  readonly rows: number;
  readonly changesPerSecond: number;
  readonly perTransaction: number;
  /** Asked before each transaction; true ends the writing. */
  readonly stop: () => boolean;
  /** Before the commit, so that a consumer can match the delete's events. */
  readonly onDelete: (id: number, seq: number) => void;
  readonly onCommit: (transaction: ItemsTransaction) => void;
}

/**
 * Updates, inserts and deletes on `items` in transactions of `perTransaction` changes (one
 * statement each), committed on a fixed schedule that adds up to `changesPerSecond`, until
 * `stop()`: per transaction one insert or one delete (alternately), the rest updates of
 * distinct random live ids. A late commit is not made up for by a burst.
 */
export async function writeItemsPaced(
  database: string,
  writer: ItemsWriter,
): Promise<{ seconds: number; transactions: number; changes: number }> {
  const intervalMs = (1000 * writer.perTransaction) / writer.changesPerSecond;
  const deleted = new Set<number>();
  let lastId = writer.rows;
  let changes = 0;
  const sql = `WITH u AS (UPDATE items SET rank = $1 WHERE id = ANY($2::bigint[]) RETURNING 1),
    d AS (DELETE FROM items WHERE id = ANY($3::bigint[]) RETURNING 1),
    i AS (INSERT INTO items SELECT ${rowValues('$1')} FROM unnest($4::bigint[]) g RETURNING 1)
    SELECT (SELECT count(*)::int FROM u) AS u, (SELECT count(*)::int FROM d) AS d, (SELECT count(*)::int FROM i) AS i`;
  return withClient(database, async (client) => {
    const start = performance.now();
    let due = start;
    let seq = 0;
    while (!writer.stop()) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Timer jitter is absorbed; a commit late by more than an interval slips the schedule instead of a burst.
      due = Math.max(due + intervalMs, performance.now() - intervalMs);
      seq++;
      const picked = new Set<number>();
      const pick = () => {
        for (;;) {
          const id = 1 + Math.floor(Math.random() * lastId);
          if (!deleted.has(id) && !picked.has(id)) {
            picked.add(id);
            return id;
          }
        }
      };
      const updated = Array.from({ length: writer.perTransaction - 1 }, pick);
      const inserted = seq % 2 === 1 ? [++lastId] : [];
      const removed = seq % 2 === 0 ? [pick()] : [];
      for (const id of removed) {
        deleted.add(id);
        writer.onDelete(id, seq);
      }
      const result = await client.query(sql, [-seq, updated, removed, inserted]);
      const counts = result.rows[0] as { u: number; d: number; i: number };
      if (counts.u !== updated.length || counts.d !== removed.length || counts.i !== inserted.length)
        throw new Error(`transaction ${seq}: ${JSON.stringify(counts)} rows changed`);
      changes += updated.length + removed.length + inserted.length;
      writer.onCommit({ seq, updated, inserted, deleted: removed, committedAt: performance.now() });
    }
    return { seconds: (performance.now() - start) / 1000, transactions: seq, changes };
  });
}
