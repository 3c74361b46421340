// A blocking snapshot survives a crash: a real worker streaming a PostgreSQL source takes an
// execute-snapshot signal of type blocking from the signal table, is killed with SIGKILL
// half-way through the table, and the new worker resumes the snapshot at the first chunk not
// committed (its place is in the offsets), then streams on: every row reaches the topic, far
// fewer than a second full copy are read twice, and the signal streamed again is not re-run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, stopAndRemove, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { blockingSnapshotCrash, type BlockingSnapshotCrash } from './blocking-snapshot-crash-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('pg-block-crash');
const prefix = names.group.replaceAll('-', '_');
const connector = `${names.group}-source`;
const topic = `${prefix}.public.items`;
const rows = 40_000;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let run: BlockingSnapshotCrash | undefined;

before(async () => {
  db = await createTestDatabase();
  await db.client.query(
    'CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)',
  );
  await db.client.query('CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)');
  await db.client.query(`INSERT INTO items SELECT g, g, repeat('x', 200) FROM generate_series(1, ${rows}) g`);
  await db.client.query('ANALYZE items');
  run = {
    names,
    connector,
    topic,
    rows,
    source: 'PostgreSQL',
    // Commits every 200 ms: the kill lands mid-snapshot with chunks committed.
    worker: await WorkerProcess.start(names, { SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' }),
    signal: () =>
      db.client.query(
        `INSERT INTO debezium_signal (id, type, data) VALUES ('blocking-1', 'execute-snapshot', $1)`,
        [JSON.stringify({ type: 'blocking', 'data-collections': ['public.items'] })],
      ),
    update: (id, v) => db.client.query('UPDATE items SET v = $1 WHERE id = $2', [v, id]),
  };
});

after(async () => {
  await stopAndRemove(run?.worker, connector, [names.group, prefix]);
  await db?.drop();
});

test('kill -9 mid blocking snapshot: the new worker resumes it at the first uncommitted chunk, no row missing', async () => {
  const created = await run!.worker.api('POST', '/connectors', {
    name: connector,
    config: {
      'connector.class': 'postgres',
      ...connectorConfig(db.name, {
        'topic.prefix': prefix,
        'snapshot.mode': 'no_data',
        'table.include.list': 'public.items',
        'signal.data.collection': 'public.debezium_signal',
        'incremental.snapshot.chunk.size': '500',
        'max.queue.size': '1000',
        'max.batch.size': '250',
      }),
    },
  });
  assert.equal(created.status, 201, created.text);
  await eventually('the source streaming', async () => {
    const status = (await run!.worker.api('GET', `/connectors/${connector}/status`)).json as {
      tasks: { progress?: { phase?: string } }[];
    };
    return status.tasks[0]?.progress?.phase === 'streaming';
  });
  await blockingSnapshotCrash(run!);
});
