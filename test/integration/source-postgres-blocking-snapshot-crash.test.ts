// A blocking snapshot survives a crash: a real worker streaming a PostgreSQL source takes an
// execute-snapshot signal of type blocking from the signal table, is killed with SIGKILL
// half-way through the table, and the new worker resumes the snapshot at the first chunk not
// committed (its place is in the offsets), then streams on: every row reaches the topic, far
// fewer than a second full copy are read twice, and the signal streamed again is not re-run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import {
  stopAndRemove,
  eventually,
  killAndRestart,
  readTopic,
  topicRecordCount,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('pg-block-crash');
const prefix = names.group.replaceAll('-', '_');
const connector = `${names.group}-source`;
const topic = `${prefix}.public.items`;
const rows = 40_000;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: WorkerProcess;

function envelopeOf(message: KafkaMessage): { op: string; after: { id: number } } {
  return (JSON.parse(message.value!.toString()) as { payload: { op: string; after: { id: number } } })
    .payload;
}

async function taskStatus(): Promise<{ state: string; trace?: string; progress?: { phase?: string } }> {
  const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
    tasks: { state: string; trace?: string; progress?: { phase?: string } }[];
  };
  return status.tasks[0] ?? { state: 'UNASSIGNED' };
}

before(async () => {
  db = await createTestDatabase();
  await db.client.query(
    'CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)',
  );
  await db.client.query('CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)');
  await db.client.query(`INSERT INTO items SELECT g, g, repeat('x', 200) FROM generate_series(1, ${rows}) g`);
  await db.client.query('ANALYZE items');
  // Commits every 200 ms: the kill lands mid-snapshot with chunks committed.
  worker = await WorkerProcess.start(names, { SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' });
});

after(async () => {
  await stopAndRemove(worker, connector, [names.group, prefix]);
  await db?.drop();
});

test('kill -9 mid blocking snapshot: the new worker resumes it at the first uncommitted chunk, no row missing', async () => {
  const created = await worker.api('POST', '/connectors', {
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
  await eventually('the source streaming', async () => (await taskStatus()).progress?.phase === 'streaming');
  await db.client.query(
    `INSERT INTO debezium_signal (id, type, data) VALUES ('blocking-1', 'execute-snapshot', $1)`,
    [JSON.stringify({ type: 'blocking', 'data-collections': ['public.items'] })],
  );
  // Half-way: a committed offset that holds the blocking snapshot's place, and about half the rows.
  await eventually(
    'half the rows in the topic',
    async () => {
      const status = await taskStatus();
      assert.notEqual(status.state, 'FAILED', status.trace);
      return (await topicRecordCount(topic)) >= rows / 2;
    },
    120_000,
  );
  await eventually('a committed offset in the middle of the blocking snapshot', async () => {
    const offsets = (await worker.api('GET', `/connectors/${connector}/offsets`)).json as {
      offsets: { offset: Record<string, unknown> }[];
    };
    return offsets.offsets.some((o) => String(o.offset['incremental_snapshot']).includes('"blocking"'));
  });
  const before = await topicRecordCount(topic);
  assert.ok(before < rows, `the snapshot finished before the kill (${before} rows)`);
  worker = await killAndRestart(worker, () => WorkerProcess.start(names), [connector]);
  // Each message parsed once: a condition re-reading all of them would be quadratic.
  const ids = new Set<number>();
  let parsed = 0;
  await readTopic(
    topic,
    (m) => {
      for (; parsed < m.length; parsed++) ids.add(envelopeOf(m[parsed]!).after.id);
      return ids.size >= rows;
    },
    180_000,
  );
  assert.equal(ids.size, rows, 'every row reached the topic');
  await eventually(
    'streaming after the snapshot',
    async () => (await taskStatus()).progress?.phase === 'streaming',
  );
  // The stream goes on after the snapshot: a change made now follows its rows.
  await db.client.query('UPDATE items SET v = -1 WHERE id = 1');
  let reads = 0;
  let updated = false;
  parsed = 0;
  await readTopic(
    topic,
    (m) => {
      for (; parsed < m.length; parsed++) {
        const op = envelopeOf(m[parsed]!).op;
        if (op === 'r') reads++;
        else if (op === 'u') updated = true;
      }
      return updated;
    },
    60_000,
  );
  // Resumed, not started over (nor run again for the signal streamed anew): what was read
  // twice is far less than a second copy.
  const readTwice = reads - rows;
  process.stderr.write(`blocking snapshot crash: ${before} rows before the kill, ${readTwice} read twice\n`);
  assert.ok(readTwice < before, `${readTwice} rows read twice after ${before} before the kill`);
});
