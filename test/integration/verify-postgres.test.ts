// Verify and repair on a live PG → Kafka → PG pipeline under write load: a verification
// during writes reports nothing; injected divergences in the target (an updated column,
// a deleted row, an extra row, a NULL in place of a value) are reported exactly, while a
// jsonb value with another key order and a timestamp equal to the microsecond are not;
// repair makes the target equal again; a table with mapping rules (rename, excluded
// column, soft delete) compares equal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { createDatabase, type TestDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('verify-pg');
// Sinks consume in group connect-<name>: a unique name keeps concurrent runs and files apart.
const replica = `replica-${names.group}`;
const prefix = names.group.replaceAll('-', '_');
let source: Awaited<ReturnType<typeof createTestDatabase>>;
let target: TestDatabase;
let worker: WorkerProcess | undefined;
let writing = true;
let writer: Promise<void> = Promise.resolve();
const ROWS = 400;

interface Run {
  state: string;
  progress: { tables_done: number; tables_total: number; rows_compared: number };
  error?: string;
  tables: {
    table: string;
    target_table: string | null;
    comparison: string;
    rows_compared: number;
    differences_total: number;
    differences: {
      key: string;
      kind: string;
      columns?: { column: string; source: string | null; target: string | null }[];
    }[];
    repaired?: { written: number; deleted: number };
  }[];
}

async function verify(body: Record<string, unknown> = {}): Promise<Run> {
  const started = await worker!.api('POST', `/connectors/${replica}/verify`, body);
  assert.equal(started.status, 202, started.text);
  const id = (started.json as { id: string }).id;
  return eventually(
    'the verification to finish',
    async () => {
      const run = (await worker!.api('GET', `/connectors/${replica}/verify/${id}`)).json as Run;
      return run.state === 'RUNNING' ? undefined : run;
    },
    180_000,
  );
}

/** `siphon verify` against the test worker: exit code and output. */
function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/siphon.js', 'verify', ...args, '--url', worker!.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

before(async () => {
  source = await createTestDatabase();
  target = await createDatabase('postgresql');
  await source.client.query(`
    CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note text,
                         doc jsonb, placed_at timestamptz NOT NULL, revision int NOT NULL DEFAULT 0);
    INSERT INTO orders (id, amount, note, doc, placed_at)
      SELECT i, i * 1.25, 'order ' || i, jsonb_build_object('a', i, 'b', 'x' || i),
             timestamptz '2024-03-01 10:00:00.123456+00' + i * interval '1 minute 0.000001 second'
        FROM generate_series(1, ${ROWS}) AS i;
    CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
    INSERT INTO customers SELECT i, 'customer ' || i, 'c' || i || '@example.com' FROM generate_series(1, 20) AS i;`);
  worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json', SIPHON_VALUE_CONVERTER: 'json' });
  const created = await worker.api('POST', '/connectors', {
    name: 'source',
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...connectorConfig(source.name, { 'topic.prefix': prefix, 'heartbeat.interval.ms': '1000' }),
    },
  });
  assert.equal(created.status, 201, created.text);
  const sink = await worker.api('POST', '/connectors', {
    name: replica,
    config: {
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'topics.regex': `${prefix}\\.public\\..*`,
      'connection.url': target.url,
      'insert.mode': 'upsert',
      'delete.enabled': 'true',
      'auto.create': 'true',
      'table.name.format': '${source.table}',
      mappings: JSON.stringify([
        {
          name: 'customers',
          match: { 'source.table': 'customers' },
          exclude: ['email'],
          rename: { name: 'customer_name' },
          values: { synced_at_ms: '${source.ts_ms}' },
          softDelete: 'deleted',
        },
      ]),
    },
  });
  assert.equal(sink.status, 201, sink.text);
  await eventually(
    'the snapshot in the target',
    async () => {
      const [orders] = await target.query('SELECT count(*)::int AS n FROM orders').catch(() => [{ n: 0 }]);
      const [customers] = await target
        .query('SELECT count(*)::int AS n FROM customers')
        .catch(() => [{ n: 0 }]);
      return orders?.n === ROWS && customers?.n === 20;
    },
    120_000,
  );
  // Write load on rows 50.. for the whole test; rows 1–49 are the ones divergences go into.
  writer = (async () => {
    let i = 0;
    while (writing) {
      const id = 50 + (i++ % (ROWS - 50));
      await source.client.query(
        'UPDATE orders SET revision = revision + 1, amount = amount + 1 WHERE id = $1',
        [id],
      );
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  })();
});

after(async () => {
  writing = false;
  await writer.catch(() => undefined);
  if (worker) {
    await worker.api('DELETE', '/connectors/source').catch(() => undefined);
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await deleteTopics(names.group);
  await deleteTopics(prefix);
  await source?.drop();
  await target?.drop();
});

test(
  'a verification during a burst of writes reports no differences; mapping rules compare equal',
  { timeout: 300_000 },
  async () => {
    // A soft-deleted customer in the target (deleted=true) is the source's deleted row.
    await source.client.query('DELETE FROM customers WHERE id = 3');
    await eventually('the soft delete', async () => {
      const rows = await target.query('SELECT deleted FROM customers WHERE id = 3');
      return rows[0]?.deleted === true;
    });
    const run = await verify();
    assert.equal(run.state, 'EQUAL', JSON.stringify(run, null, 2));
    const orders = run.tables.find((t) => t.table === 'public.orders');
    const customers = run.tables.find((t) => t.table === 'public.customers');
    assert.equal(orders?.rows_compared, ROWS);
    assert.deepEqual(run.progress, {
      ...run.progress,
      tables_done: 2,
      tables_total: 2,
      rows_compared: ROWS + 19,
    });
    assert.equal(customers?.rows_compared, 19);
    assert.equal(customers?.target_table, 'customers');
    // PostgreSQL on both sides, plain mapping rules: hashed in the databases.
    assert.equal(orders?.comparison, 'hash');
    assert.equal(customers?.comparison, 'hash');
  },
);

test(
  'injected divergences are reported exactly, and repair makes the target equal',
  { timeout: 300_000 },
  async () => {
    await target.query('UPDATE orders SET amount = 0 WHERE id = 7');
    await target.query('DELETE FROM orders WHERE id = 8');
    await target.query(
      "INSERT INTO orders (id, amount, note, doc, placed_at, revision) VALUES (100000, 1, 'extra', '{}', now(), 0)",
    );
    await target.query('UPDATE orders SET note = NULL WHERE id = 9');
    // Not differences: the same JSON with its keys in another order, the same instant in another zone.
    await target.query(`UPDATE orders SET doc = '{"b": "x10", "a": 10}' WHERE id = 10`);
    await target.query(`UPDATE orders SET placed_at = '2024-03-01 12:11:00.123467+02:00' WHERE id = 11`);
    const [instant] = await source.client
      .query("SELECT placed_at = '2024-03-01 12:11:00.123467+02:00' AS same FROM orders WHERE id = 11")
      .then((r) => r.rows as { same: boolean }[]);
    assert.equal(instant?.same, true, 'the rewritten timestamp is the source instant');

    const found = await verify({ tables: ['public.orders'] });
    assert.equal(found.state, 'DIFFERENT', JSON.stringify(found, null, 2));
    const [orders] = found.tables;
    const byKey = Object.fromEntries((orders?.differences ?? []).map((d) => [d.key, d]));
    assert.deepEqual(
      Object.keys(byKey).sort(),
      ['["100000"]', '["7"]', '["8"]', '["9"]'].sort(),
      JSON.stringify(orders, null, 2),
    );
    assert.equal(byKey['["7"]']?.kind, 'different');
    assert.deepEqual(byKey['["7"]']?.columns, [{ column: 'amount', source: '8.75', target: '0' }]);
    assert.equal(byKey['["8"]']?.kind, 'missing');
    assert.equal(byKey['["100000"]']?.kind, 'extra');
    assert.deepEqual(byKey['["9"]']?.columns, [{ column: 'note', source: 'order 9', target: null }]);

    const shown = await cli(replica, '--table', 'public.orders');
    assert.equal(shown.code, 1, shown.output);
    assert.match(shown.output, /orders +\["7"\] +different +amount +8\.75 +0/);
    assert.match(shown.output, new RegExp(`DIFFERENT: 4 row\\(s\\) of ${replica} differ`));

    const repaired = await verify({ tables: ['public.orders'], repair: true });
    assert.equal(repaired.state, 'EQUAL', JSON.stringify(repaired, null, 2));
    assert.deepEqual(repaired.tables[0]?.repaired, {
      ...repaired.tables[0]?.repaired,
      written: 3,
      deleted: 1,
    });
    const [seven] = await target.query('SELECT amount::text AS amount FROM orders WHERE id = 7');
    assert.equal(seven?.amount, '8.75');
    const again = await verify({ tables: ['public.orders'] });
    assert.equal(again.state, 'EQUAL', JSON.stringify(again, null, 2));
  },
);

test('the REST API answers 404, 409 and 400 like the rest of the API', { timeout: 60_000 }, async () => {
  const unknown = await worker!.api('POST', '/connectors/nope/verify', {});
  assert.equal(unknown.status, 404);
  assert.match((unknown.json as { message: string }).message, /nope/);
  const bad = await worker!.api('POST', `/connectors/${replica}/verify`, { 'chunk.size': 0 });
  assert.equal(bad.status, 400);
  assert.match((bad.json as { message: string }).message, /chunk\.size/);
  const sourceRun = await worker!.api('POST', '/connectors/source/verify', {});
  assert.equal(sourceRun.status, 400);
  const first = await worker!.api('POST', `/connectors/${replica}/verify`, {});
  assert.equal(first.status, 202);
  const second = await worker!.api('POST', `/connectors/${replica}/verify`, {});
  assert.equal(second.status, 409, second.text);
  const id = (first.json as { id: string }).id;
  const cancelled = await worker!.api('DELETE', `/connectors/${replica}/verify/${id}`);
  assert.equal(cancelled.status, 200);
  const missing = await worker!.api('GET', `/connectors/${replica}/verify/0000`);
  assert.equal(missing.status, 404);
  const list = await worker!.api('GET', `/connectors/${replica}/verify`);
  assert.ok((list.json as { id: string }[]).some((run) => run.id === id));
});
