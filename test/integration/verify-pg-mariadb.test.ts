// Verify and repair across engines on the text path: a live PG → Kafka → MariaDB pipeline
// under write load compares equal with rows read as plain column values on both sides
// (comparison "texts"); divergences injected in the target (a changed decimal, flag and
// double, a NULL, a deleted and an extra row) are reported exactly, a JSON value with
// another key order is not; repair makes the target equal. A table with a text key is
// compared through the sink's mapping row by row (comparison "rows").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { createDatabase, type TestDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('verify-pgm');
// Sinks consume in group connect-<name>: a unique name keeps concurrent runs and files apart.
const replica = `replica-${names.group}`;
const prefix = names.group.replaceAll('-', '_');
let source: Awaited<ReturnType<typeof createTestDatabase>>;
let target: TestDatabase;
let worker: WorkerProcess | undefined;
let writing = true;
let writer: Promise<void> = Promise.resolve();
const ROWS = 2500;

interface Run {
  state: string;
  tables: {
    table: string;
    comparison: string;
    rows_compared: number;
    chunks: number;
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

before(async () => {
  source = await createTestDatabase();
  target = await createDatabase('mariadb');
  await source.client.query(`
    CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(10,2) NOT NULL, note text, doc jsonb,
                         placed_at timestamptz NOT NULL, ok boolean NOT NULL, weight double precision,
                         revision int NOT NULL DEFAULT 0);
    INSERT INTO orders (id, amount, note, doc, placed_at, ok, weight)
      SELECT i, i * 1.25, 'order ' || i, jsonb_build_object('a', i, 'b', 'x' || i),
             timestamptz '2024-03-01 10:00:00.123456+00' + i * interval '1 minute 0.000001 second',
             i % 3 = 0, i / 7.0
        FROM generate_series(1, ${ROWS}) AS i;
    CREATE TABLE tags (code text PRIMARY KEY, label text);
    INSERT INTO tags SELECT 'tag-' || i, 'label ' || i FROM generate_series(1, 30) AS i;`);
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
    },
  });
  assert.equal(sink.status, 201, sink.text);
  await eventually(
    'the snapshot in the target',
    async () => {
      const [orders] = await target.query('SELECT count(*) AS n FROM orders').catch(() => [{ n: 0 }]);
      const [tags] = await target.query('SELECT count(*) AS n FROM tags').catch(() => [{ n: 0 }]);
      return Number(orders?.n) === ROWS && Number(tags?.n) === 30;
    },
    120_000,
  );
  // Write load on rows 50.. for the whole test; rows 1–49 are the ones divergences go into.
  writer = (async () => {
    let i = 0;
    while (writing) {
      const id = 50 + (i++ % (ROWS - 50));
      await source.client.query(
        'UPDATE orders SET revision = revision + 1, amount = amount + 1, placed_at = now() WHERE id = $1',
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
  'PostgreSQL → MariaDB compares column values under writes; a text key goes row by row',
  { timeout: 300_000 },
  async () => {
    const run = await verify({ 'chunk.size': 1000 });
    assert.equal(run.state, 'EQUAL', JSON.stringify(run, null, 2));
    const orders = run.tables.find((t) => t.table === 'public.orders');
    const tags = run.tables.find((t) => t.table === 'public.tags');
    assert.equal(orders?.comparison, 'texts');
    assert.equal(orders?.rows_compared, ROWS);
    assert.equal(orders?.chunks, 3);
    assert.equal(tags?.comparison, 'rows', 'text keys may sort apart in two engines');
    assert.equal(tags?.rows_compared, 30);
  },
);

test(
  'divergences in the MariaDB target are reported exactly and repaired',
  { timeout: 300_000 },
  async () => {
    await target.query('UPDATE orders SET amount = 0 WHERE id = 7');
    await target.query('DELETE FROM orders WHERE id = 8');
    await target.query('UPDATE orders SET note = NULL WHERE id = 9');
    // Not a difference: the same JSON with its keys in another order.
    await target.query(`UPDATE orders SET doc = '{"b": "x10", "a": 10}' WHERE id = 10`);
    await target.query('UPDATE orders SET ok = NOT ok WHERE id = 12');
    await target.query('UPDATE orders SET weight = weight + 1e-12 WHERE id = 13');
    // Extra rows past the last source key (the final chunk's open end) and in the middle of a chunk.
    const extra = (id: number) =>
      `INSERT INTO orders (id, amount, note, doc, placed_at, ok, weight, revision) VALUES (${id}, 1, 'extra', '{}', '2024-01-01', 0, 0, 0)`;
    await target.query(extra(100000));
    await source.client.query('DELETE FROM orders WHERE id = 1200');
    await eventually('the delete of row 1200 applied', async () => {
      const [row] = await target.query('SELECT count(*) AS n FROM orders WHERE id = 1200');
      return Number(row?.n) === 0;
    });
    await target.query(extra(1200));

    const found = await verify({ tables: ['public.orders'], 'chunk.size': 1000 });
    assert.equal(found.state, 'DIFFERENT', JSON.stringify(found, null, 2));
    const [orders] = found.tables;
    assert.equal(orders?.comparison, 'texts');
    const byKey = Object.fromEntries((orders?.differences ?? []).map((d) => [d.key, d]));
    assert.deepEqual(
      Object.keys(byKey).sort(),
      ['["100000"]', '["1200"]', '["12"]', '["13"]', '["7"]', '["8"]', '["9"]'].sort(),
      JSON.stringify(orders, null, 2),
    );
    assert.deepEqual(byKey['["7"]']?.columns, [{ column: 'amount', source: '8.75', target: '0' }]);
    assert.equal(byKey['["8"]']?.kind, 'missing');
    assert.deepEqual(byKey['["9"]']?.columns, [{ column: 'note', source: 'order 9', target: null }]);
    assert.deepEqual(byKey['["12"]']?.columns, [{ column: 'ok', source: 'true', target: 'false' }]);
    assert.deepEqual(
      byKey['["13"]']?.columns?.map((c) => c.column),
      ['weight'],
    );
    assert.equal(byKey['["1200"]']?.kind, 'extra');
    assert.equal(byKey['["100000"]']?.kind, 'extra');

    const repaired = await verify({ tables: ['public.orders'], repair: true });
    assert.equal(repaired.state, 'EQUAL', JSON.stringify(repaired, null, 2));
    assert.deepEqual(repaired.tables[0]?.repaired, {
      ...repaired.tables[0]?.repaired,
      written: 5,
      deleted: 2,
    });
    const [seven] = await target.query('SELECT CAST(amount AS CHAR) AS amount FROM orders WHERE id = 7');
    assert.equal(seven?.amount, '8.75');
  },
);
