// The MariaDB twin of source-postgres-blocking-snapshot-crash: a real worker streaming a MySQL
// source takes an execute-snapshot signal of type blocking from the signal table, is killed
// with SIGKILL half-way through the table, and the new worker resumes the snapshot at the
// first chunk not committed (its place is in the offsets), then streams on: every row reaches
// the topic, far fewer than a second full copy are read twice, and the signal read again from
// the binlog is not run again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import {
  eventually,
  killAndRestart,
  readTopic,
  stopAndRemove,
  topicRecordCount,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { connectorConfig, TestDatabase } from './source-mysql-harness.js';

const names = uniqueNames('my-block-crash');
const connector = `${names.group}-source`;
const rows = 40_000;
const db = new TestDatabase();
const topic = `${db.name}.${db.name}.items`;
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
  await db.create();
  await db.query(
    `CREATE TABLE ${db.name}.debezium_signal (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data TEXT)`,
  );
  await db.query(`CREATE TABLE ${db.name}.items (id INT PRIMARY KEY, v INT NOT NULL, note TEXT NOT NULL)`);
  await db.query(
    `INSERT INTO ${db.name}.items SELECT seq, seq, REPEAT('x', 200) FROM ${db.name}.seq_1_to_${rows}`,
  );
  // Commits every 200 ms: the kill lands mid-snapshot with chunks committed.
  worker = await WorkerProcess.start(names, { SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' });
});

after(async () => {
  await stopAndRemove(worker, connector, [names.group, db.name]);
  await db.drop();
});

test('kill -9 mid blocking snapshot: the new worker resumes it at the first uncommitted chunk, no row missing', async () => {
  const created = await worker.api('POST', '/connectors', {
    name: connector,
    config: {
      'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
      ...connectorConfig(db.name, {
        'snapshot.mode': 'no_data',
        'table.include.list': `${db.name}.items`,
        'signal.data.collection': `${db.name}.debezium_signal`,
        'incremental.snapshot.chunk.size': '500',
        'max.queue.size': '1000',
        'max.batch.size': '250',
      }),
    },
  });
  assert.equal(created.status, 201, created.text);
  // Streaming: a change arrives (made again until the reader, which starts at the binlog's
  // position when it connects, is past it).
  let tick = 0;
  await eventually(
    'the source streaming',
    async () => {
      await db.query(`UPDATE ${db.name}.items SET v = ? WHERE id = 2`, [-100 - ++tick]);
      return (await topicRecordCount(topic)) >= 1;
    },
    60_000,
  );
  await db.query(
    `INSERT INTO ${db.name}.debezium_signal (id, type, data) VALUES ('blocking-1', 'execute-snapshot', ?)`,
    [JSON.stringify({ type: 'blocking', 'data-collections': [`${db.name}.items`] })],
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
  await db.query(`UPDATE ${db.name}.items SET v = -1 WHERE id = 1`);
  let reads = 0;
  let updated = false;
  parsed = 0;
  await readTopic(
    topic,
    (m) => {
      for (; parsed < m.length; parsed++) {
        const event = envelopeOf(m[parsed]!);
        if (event.op === 'r') reads++;
        else if (event.op === 'u' && event.after.id === 1) updated = true;
      }
      return updated;
    },
    60_000,
  );
  // Resumed, not started over (nor run again for the signal read anew): what was read twice
  // is far less than a second copy.
  const readTwice = reads - rows;
  process.stderr.write(
    `blocking snapshot crash (MariaDB): ${before} rows before the kill, ${readTwice} read twice\n`,
  );
  assert.ok(readTwice < before, `${readTwice} rows read twice after ${before} before the kill`);
});
