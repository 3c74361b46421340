// The crash test for the parallel snapshot: a real worker snapshots a table with
// snapshot.max.threads=4, is killed with SIGKILL half-way, and a new worker resumes at the
// unfinished chunks: every row reaches the topic, and far fewer than a second full copy.
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

const names = uniqueNames('pg-par-crash');
const prefix = names.group.replaceAll('-', '_');
const connector = `${names.group}-source`;
const topic = `${prefix}.public.items`;
const rows = 40_000;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: WorkerProcess;

function idOf(message: KafkaMessage): number {
  return (JSON.parse(message.value!.toString()) as { payload: { after: { id: number } } }).payload.after.id;
}

before(async () => {
  db = await createTestDatabase();
  await db.client.query('CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)');
  await db.client.query(`INSERT INTO items SELECT g, g, repeat('x', 200) FROM generate_series(1, ${rows}) g`);
  await db.client.query('ANALYZE items');
  // A small queue and commits every 200 ms: the kill lands mid-snapshot with chunks committed.
  worker = await WorkerProcess.start(names, { SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' });
});

after(async () => {
  await stopAndRemove(worker, connector, [names.group, prefix]);
  await db?.drop();
});

test('kill -9 mid-snapshot with 4 threads: the new worker resumes at the unfinished chunks, no row missing', async () => {
  const created = await worker.api('POST', '/connectors', {
    name: connector,
    config: {
      'connector.class': 'postgres',
      ...connectorConfig(db.name, {
        'topic.prefix': prefix,
        'snapshot.mode': 'initial',
        'table.include.list': 'public.items',
        'snapshot.max.threads': '4',
        'snapshot.fetch.size': '500',
        'max.queue.size': '1000',
        'max.batch.size': '250',
      }),
    },
  });
  assert.equal(created.status, 201, created.text);
  // Half-way: a committed snapshot offset and about half the rows in the topic.
  await eventually(
    'half the rows in the topic',
    async () => {
      const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
        tasks: { state: string; trace?: string }[];
      };
      assert.notEqual(status.tasks[0]?.state, 'FAILED', status.tasks[0]?.trace);
      return (await topicRecordCount(topic)) >= rows / 2;
    },
    120_000,
  );
  await eventually('a committed snapshot offset', async () => {
    const offsets = (await worker.api('GET', `/connectors/${connector}/offsets`)).json as {
      offsets: { offset: Record<string, unknown> }[];
    };
    return offsets.offsets.some((o) => o.offset['snapshot'] === true);
  });
  const before = await topicRecordCount(topic);
  assert.ok(before < rows, `the snapshot finished before the kill (${before} rows)`);
  worker = await killAndRestart(worker, () => WorkerProcess.start(names), [connector]);
  // Each message parsed once: a condition re-reading all of them would be quadratic.
  const ids = new Set<number>();
  let parsed = 0;
  const messages = await readTopic(
    topic,
    (m) => {
      for (; parsed < m.length; parsed++) ids.add(idOf(m[parsed]!));
      return ids.size >= rows;
    },
    180_000,
  );
  assert.equal(ids.size, rows, 'every row reached the topic');
  // Resumed, not started over: what was read twice is far less than a second copy.
  const readTwice = messages.length - rows;
  process.stderr.write(`parallel snapshot crash: ${before} rows before the kill, ${readTwice} read twice\n`);
  assert.ok(readTwice < before, `${readTwice} rows read twice after ${before} before the kill`);
});
