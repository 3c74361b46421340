// A table added to a running MariaDB connector: the source streams table a under writes;
// table b, with rows, is added to table.include.list with snapshot.new.tables=incremental
// through PUT /connectors/{name}/config. Every row of b arrives as an incremental `r` event
// (its structure, never in the schema history before, is read from the server), b's later
// changes stream, and every write to a arrives. Table c, created while running, is streamed
// from its first row and not snapshotted at the next restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import {
  eventually,
  stopAndRemove,
  topicRecordCount,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { committedOffset, eventsIn, incrementalRowsDone, taskProgress } from './new-tables-harness.js';
import { connectorConfig, mariadbOptions, TestDatabase } from './source-mysql-harness.js';

const names = uniqueNames('my-new-tables');
const source = `${names.group}-source`;
const rowsB = 2000;
const db = new TestDatabase();
const topicA = `${db.name}.${db.name}.a`;
const topicB = `${db.name}.${db.name}.b`;
const topicC = `${db.name}.${db.name}.c`;
let worker: WorkerProcess | undefined;

before(async () => {
  await db.create();
  await db.query(`CREATE TABLE ${db.name}.a (id INT PRIMARY KEY, v INT NOT NULL)`);
  await db.query(`INSERT INTO ${db.name}.a SELECT seq, 0 FROM ${db.name}.seq_1_to_10`);
  await db.query(
    `CREATE TABLE ${db.name}.b (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(100) NOT NULL)`,
  );
  await db.query(`INSERT INTO ${db.name}.b SELECT seq, 0, 'x' FROM ${db.name}.seq_1_to_${rowsB}`);
  await db.query(
    `CREATE TABLE ${db.name}.debezium_signal (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data TEXT)`,
  );
  worker = await WorkerProcess.start(names, { SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' });
});

after(async () => {
  await stopAndRemove(worker, source, [names.group, db.name]);
  await db.drop();
});

test('b added with snapshot.new.tables=incremental: every row read incrementally, its changes streamed; a streams throughout', async () => {
  const config: Record<string, string> = {
    'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
    ...connectorConfig(db.name, {
      'table.include.list': `${db.name}.a`,
      'signal.data.collection': `${db.name}.debezium_signal`,
      'snapshot.new.tables': 'incremental',
      'incremental.snapshot.chunk.size': '200',
    }),
  };
  const created = await worker!.api('POST', '/connectors', { name: source, config });
  assert.equal(created.status, 201, created.text);
  const writer = await mysql.createConnection({ ...mariadbOptions, database: db.name });
  let writesA = 0;
  let writing = true;
  const writes = (async () => {
    while (writing) {
      await writer.query('INSERT INTO a VALUES (?, ?)', [100 + ++writesA, writesA]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    await eventually('a streaming', async () => (await topicRecordCount(topicA)) > 20, 60_000);
    const updated = await worker!.api('PUT', `/connectors/${source}/config`, {
      ...config,
      // c does not exist yet: created while running, it is streamed from its first row.
      'table.include.list': `${db.name}.a,${db.name}.b,${db.name}.c`,
    });
    assert.ok(updated.status === 200 || updated.status === 201, updated.text);
    await eventually(
      "b's snapshot completed",
      async () => {
        await taskProgress(worker!, source);
        const offset = await committedOffset(worker!, source);
        return (
          offset !== null &&
          incrementalRowsDone(offset) === null &&
          String(offset['captured_tables']).includes(`${db.name}.b`)
        );
      },
      60_000,
    );
    await writer.query('UPDATE b SET v = 1 WHERE id = 1');
    await writer.query('DELETE FROM b WHERE id = 2');
    await writer.query('CREATE TABLE c (id INT PRIMARY KEY)');
    await writer.query('INSERT INTO c VALUES (1)');
    await eventually('c among the captured tables', async () =>
      String((await committedOffset(worker!, source))?.['captured_tables']).includes(`${db.name}.c`),
    );
    // A restart decodes b's rows with the structure the schema history got for it, and
    // does not take c for a table new to the filters.
    const resumed = () => worker!.lines.filter((l) => l.includes('resuming the binlog')).length;
    const resumedBefore = resumed();
    const restarted = await worker!.api('POST', `/connectors/${source}/restart?includeTasks=true`);
    assert.ok(restarted.status < 300, restarted.text);
    await eventually('the task restarted', async () => resumed() > resumedBefore);
    await writer.query("INSERT INTO b VALUES (?, 0, 'new')", [rowsB + 1]);
    await writer.query('INSERT INTO c VALUES (2)');
    writing = false;
    await writes;

    const eventsB = await eventually('b streamed after its snapshot', async () => {
      const events = await eventsIn(topicB);
      return events.some((e) => e.op === 'c') ? events : undefined;
    });
    assert.ok(
      !worker!.lines.some((l) => l.includes('missing from the schema history')),
      "b's structure is in the schema history",
    );
    const newTablesLogs = worker!.lines.filter((l) => l.includes('newly captured by the filters'));
    assert.equal(newTablesLogs.length, 1, newTablesLogs.join('\n'));
    assert.deepEqual(
      (await eventsIn(topicC)).map((e) => [e.op, e.after?.['id']]),
      [
        ['c', 1],
        ['c', 2],
      ],
    );
    const reads = eventsB.filter((e) => e.op === 'r');
    assert.ok(reads.every((e) => e.source.snapshot === 'incremental'));
    const readIds = new Set(reads.map((e) => e.after!['id']));
    assert.equal(readIds.size, rowsB, 'every row of b read');
    assert.deepEqual(
      eventsB.filter((e) => e.op !== 'r').map((e) => [e.op, (e.after ?? e.before)!['id']]),
      [
        ['u', 1],
        ['d', 2],
        ['c', rowsB + 1],
      ],
    );
    await eventually('every write to a streamed', async () => {
      const ids = new Set((await eventsIn(topicA)).map((e) => e.after?.['id']));
      for (let n = 1; n <= writesA; n++) if (!ids.has(100 + n)) return false;
      return true;
    });
  } finally {
    writing = false;
    await writes.catch(() => undefined);
    await writer.end();
  }
});
