// The MariaDB twin of source-postgres-blocking-snapshot-crash: a real worker streaming a MySQL
// source takes an execute-snapshot signal of type blocking from the signal table, is killed
// with SIGKILL half-way through the table, and the new worker resumes the snapshot at the
// first chunk not committed (its place is in the offsets), then streams on: every row reaches
// the topic, far fewer than a second full copy are read twice, and the signal read again from
// the binlog is not run again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  eventually,
  stopAndRemove,
  topicRecordCount,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { blockingSnapshotCrash, type BlockingSnapshotCrash } from './blocking-snapshot-crash-harness.js';
import { connectorConfig, TestDatabase } from './source-mysql-harness.js';

const names = uniqueNames('my-block-crash');
const connector = `${names.group}-source`;
const rows = 40_000;
const db = new TestDatabase();
const topic = `${db.name}.${db.name}.items`;
let run: BlockingSnapshotCrash | undefined;

before(async () => {
  await db.create();
  await db.query(
    `CREATE TABLE ${db.name}.debezium_signal (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data TEXT)`,
  );
  await db.query(`CREATE TABLE ${db.name}.items (id INT PRIMARY KEY, v INT NOT NULL, note TEXT NOT NULL)`);
  await db.query(
    `INSERT INTO ${db.name}.items SELECT seq, seq, REPEAT('x', 200) FROM ${db.name}.seq_1_to_${rows}`,
  );
  run = {
    names,
    connector,
    topic,
    rows,
    source: 'MariaDB',
    // Commits every 200 ms: the kill lands mid-snapshot with chunks committed.
    worker: await WorkerProcess.start(names, { SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' }),
    signal: () =>
      db.query(
        `INSERT INTO ${db.name}.debezium_signal (id, type, data) VALUES ('blocking-1', 'execute-snapshot', ?)`,
        [JSON.stringify({ type: 'blocking', 'data-collections': [`${db.name}.items`] })],
      ),
    update: (id, v) => db.query(`UPDATE ${db.name}.items SET v = ? WHERE id = ?`, [v, id]),
  };
});

after(async () => {
  await stopAndRemove(run?.worker, connector, [names.group, db.name]);
  await db.drop();
});

test('kill -9 mid blocking snapshot: the new worker resumes it at the first uncommitted chunk, no row missing', async () => {
  const created = await run!.worker.api('POST', '/connectors', {
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
      await run!.update(2, -100 - ++tick);
      return (await topicRecordCount(topic)) >= 1;
    },
    60_000,
  );
  await blockingSnapshotCrash(run!);
});
