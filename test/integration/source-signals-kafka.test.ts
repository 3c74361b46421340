// Debezium's kafka signal channel end to end: a real worker follows signal.kafka.topic for
// a streaming PostgreSQL source, an execute-snapshot message keyed by the topic.prefix
// starts an incremental snapshot, and its rows reach the table's topic as op=r with
// source.snapshot=incremental. A message with another key is not a signal for it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  stopAndRemove,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('kafka-signals');
const prefix = names.group.replaceAll('-', '_');
const connector = `${names.group}-source`;
const signalTopic = `${prefix}-signal`;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: WorkerProcess;

before(async () => {
  db = await createTestDatabase();
  await db.client.query(
    'CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)',
  );
  await db.client.query('CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)');
  await db.client.query('INSERT INTO items SELECT g, g FROM generate_series(1, 40) g');
  worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json' });
});

after(async () => {
  await stopAndRemove(worker, connector, [names.group, prefix]);
  await db?.drop();
});

test('an execute-snapshot message on the signal topic snapshots the table incrementally', async () => {
  const created = await worker.api('POST', '/connectors', {
    name: connector,
    config: {
      'connector.class': 'postgres',
      ...connectorConfig(db.name, {
        'topic.prefix': prefix,
        'snapshot.mode': 'no_data',
        'table.include.list': 'public.items',
        'signal.data.collection': 'public.debezium_signal',
        'signal.enabled.channels': 'source,kafka',
        'incremental.snapshot.chunk.size': '16',
      }),
    },
  });
  assert.equal(created.status, 201, created.text);
  await eventually('the source streaming', async () => {
    const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
      tasks: { state: string; progress?: { phase?: string } }[];
    };
    return status.tasks[0]?.state === 'RUNNING' && status.tasks[0].progress?.phase === 'streaming';
  });
  // The channel reads what is sent once it listens: wait for its consumer group.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await eventually('the signal consumer joined', async () => {
      const { groups } = await admin.describeGroups([`connect-${connector}-signals`]);
      return groups[0]?.state === 'Stable';
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    const signal = {
      type: 'execute-snapshot',
      data: { 'data-collections': ['public.items'], type: 'incremental' },
    };
    await producer.send({
      topic: signalTopic,
      messages: [
        { key: 'someone-else', value: JSON.stringify(signal) },
        { key: prefix, value: JSON.stringify(signal) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  const messages = await readTopic(`${prefix}.public.items`, (m) => m.length >= 40, 60_000);
  const reads = messages.map(
    (m) =>
      JSON.parse(m.value!.toString()) as {
        payload: { op: string; after: { id: number }; source: { snapshot: string } };
      },
  );
  assert.deepEqual(
    reads.map((r) => r.payload.after.id).sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  for (const r of reads) {
    assert.equal(r.payload.op, 'r');
    assert.equal(r.payload.source.snapshot, 'incremental');
  }
  assert.ok(
    worker.lines.some((l) => l.includes('signal received') && l.includes('"channel":"kafka"')),
    'the task logged the signal from the kafka channel',
  );
  // Once: the message with another key was not taken for a second snapshot.
  assert.equal(worker.lines.filter((l) => l.includes('signal received')).length, 1);
});
