// Binlog streaming against the real MariaDB: DDL mid-stream with the schema history in
// Kafka, restarts from committed offsets (also inside a transaction), and a binlog
// connection killed on the server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import type { SourceRecord } from '../../runtime/record/index.js';
import {
  changeRecords,
  connectorConfig,
  envelope,
  mariadbOptions,
  startTask,
  TestDatabase,
} from './source-mysql-harness.js';
import { localStack } from '../support/local-stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const db = new TestDatabase();
const topics: string[] = [];

before(async () => {
  await db.create();
});

after(async () => {
  await db.drop(topics);
});

function config(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  const raw = connectorConfig(db.name, {
    'topic.prefix': `${db.name}_${name}`,
    'schema.history.internal.kafka.topic': `${db.name}_${name}.history`,
    'table.include.list': `${db.name}\\.${name}.*`,
    ...overrides,
  });
  topics.push(raw['schema.history.internal.kafka.topic']!);
  return raw;
}

const afterOf = (record: SourceRecord) => envelope(record).after;

test('DDL mid-stream: ADD / DROP COLUMN and RENAME TABLE, and a restart reads old rows with the schema of their position', async () => {
  const t = `${db.name}.ddl_items`;
  await db.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, name VARCHAR(20))`);
  const raw = config('ddl', { 'snapshot.mode': 'no_data' });
  const prefix = raw['topic.prefix']!;
  const task = startTask(raw);
  // no_data: the structures are recorded; wait until the reader is on the binlog.
  await task.streaming();
  await db.query(`INSERT INTO ${t} VALUES (1, 'one')`);
  await db.query(`ALTER TABLE ${t} ADD COLUMN price DECIMAL(8,2) NOT NULL DEFAULT 0 AFTER id`);
  await db.query(`INSERT INTO ${t} VALUES (2, 9.50, 'two')`);
  await db.query(`ALTER TABLE ${t} DROP COLUMN name`);
  await db.query(`INSERT INTO ${t} VALUES (3, 3.25)`);
  await db.query(`RENAME TABLE ${t} TO ${db.name}.ddl_renamed`);
  await db.query(`INSERT INTO ${db.name}.ddl_renamed VALUES (4, 4.00)`);
  let records: SourceRecord[];
  try {
    records = await task.collect((all) => all.some((r) => r.topic === `${prefix}.${db.name}.ddl_renamed`));
  } finally {
    await task.stop();
  }
  const rows = records.filter((r) => r.topic.startsWith(`${prefix}.${db.name}.`)).map(afterOf);
  assert.deepEqual(rows, [
    { id: 1, name: 'one' },
    { id: 2, price: '9.50', name: 'two' },
    { id: 3, price: '3.25' },
    { id: 4, price: '4.00' },
  ]);
  // The constant DEFAULT of the added column travels in the schema (the sink fills earlier rows with it).
  const withPrice = records.find((r) => afterOf(r)?.id === 2)!;
  const after = withPrice.valueSchema!.fields!.find((f) => f.name === 'after')!.schema;
  assert.equal(after.fields!.find((f) => f.name === 'price')!.schema.defaultValue, '0.00');
  const schemaChanges = records.filter((r) => r.topic === prefix);
  assert.deepEqual(
    schemaChanges.map((r) => (r.value as { ddl: string }).ddl.split(' ').slice(0, 2).join(' ')).slice(-3),
    ['ALTER TABLE', 'ALTER TABLE', 'RENAME TABLE'],
  );

  // Restart from the offset of the first row: the later rows decode with the columns
  // valid at their position, from the schema history, not with today's table.
  const first = records.find((r) => afterOf(r)?.id === 1)!;
  const restarted = startTask(raw, new Map([[JSON.stringify(first.sourcePartition), first.sourceOffset]]));
  try {
    const again = await restarted.collect((all) =>
      all.some((r) => r.topic === `${prefix}.${db.name}.ddl_renamed`),
    );
    const replayed = again.filter((r) => r.topic.startsWith(`${prefix}.${db.name}.`)).map(afterOf);
    assert.deepEqual(
      replayed,
      rows.slice(1),
      'resumes after the committed row, each later row with its own schema',
    );
  } finally {
    await restarted.stop();
  }
});

test('a restart from an offset inside a transaction skips exactly the rows already emitted', async () => {
  const t = `${db.name}.txn_orders`;
  await db.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, qty INT NOT NULL)`);
  const raw = config('txn', {
    'snapshot.mode': 'no_data',
    'tombstones.on.delete': 'false',
    'provide.transaction.metadata': 'true',
  });
  const topic = `${raw['topic.prefix']}.${db.name}.txn_orders`;
  const transactionTopic = `${raw['topic.prefix']}.transaction`;
  const status = (records: SourceRecord[]) =>
    records.filter((r) => r.topic === transactionTopic).map((r) => (r.value as { status: string }).status);
  const task = startTask(raw);
  await task.streaming();
  // One transaction: three row events (insert of 5 rows, update of 5 rows, delete of 2).
  await db.query(
    `START TRANSACTION; INSERT INTO ${t} VALUES (1,1),(2,2),(3,3),(4,4),(5,5); UPDATE ${t} SET qty = qty * 10; DELETE FROM ${t} WHERE id <= 2; COMMIT`,
  );
  await db.query(`INSERT INTO ${t} VALUES (6, 6)`);
  let all: SourceRecord[];
  try {
    const received = await task.collect(
      (records) => changeRecords(records, topic).length >= 13 && status(records).length >= 4,
    );
    // Transaction boundaries (the XID events) as Debezium's BEGIN / END records.
    assert.deepEqual(status(received), ['BEGIN', 'END', 'BEGIN', 'END']);
    const end = received.find(
      (r) => r.topic === transactionTopic && (r.value as { status: string }).status === 'END',
    );
    assert.equal((end!.value as { event_count: bigint }).event_count, 12n);
    all = changeRecords(received, topic);
  } finally {
    await task.stop();
  }
  assert.deepEqual(
    all.map((r) => envelope(r).op),
    ['c', 'c', 'c', 'c', 'c', 'u', 'u', 'u', 'u', 'u', 'd', 'd', 'c'],
  );
  const inTransaction = all.slice(0, 12);
  assert.equal(new Set(inTransaction.map((r) => `${r.sourceOffset.file}:${r.sourceOffset.pos}`)).size, 1);
  assert.equal(
    new Set(inTransaction.map((r) => envelope(r).source.gtid)).size,
    1,
    'one GTID for the transaction',
  );
  assert.match(String(envelope(all[0]!).source.gtid), /^\d+-\d+-\d+$/);
  // Crash after the runtime committed the 7th record (the 2nd update): resume with the 8th.
  const committed = all[6]!;
  const restarted = startTask(
    raw,
    new Map([[JSON.stringify(committed.sourcePartition), committed.sourceOffset]]),
  );
  try {
    const rest = changeRecords(
      await restarted.collect((records) => changeRecords(records, topic).length >= 6),
      topic,
    );
    assert.deepEqual(
      rest.map((r) => [envelope(r).op, (envelope(r).after ?? envelope(r).before)!.id]),
      all.slice(7).map((r) => [envelope(r).op, (envelope(r).after ?? envelope(r).before)!.id]),
    );
    // The transaction blocks keep their orders across the restart.
    const order = (r: SourceRecord) =>
      (r.value as { transaction: { total_order: bigint } }).transaction.total_order;
    assert.deepEqual(rest.slice(0, 5).map(order), [8n, 9n, 10n, 11n, 12n]);
  } finally {
    await restarted.stop();
  }
});

test('a killed binlog connection is reopened from the last emitted row: nothing lost, nothing twice', async () => {
  const t = `${db.name}.cut_events`;
  await db.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
  // A user of its own, so the test kills exactly this connector's binlog dump thread
  // (rather than restarting the MariaDB everyone on this machine shares).
  const user = `${db.name}_cut`.slice(-60);
  await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'cut-secret'`);
  await db.query(`GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${user}'@'%'`);
  const raw = config('cut', {
    'snapshot.mode': 'no_data',
    'database.user': user,
    'database.password': 'cut-secret',
  });
  const topic = `${raw['topic.prefix']}.${db.name}.cut_events`;
  const task = startTask(raw);
  const admin = await mysql.createConnection(mariadbOptions);
  try {
    await task.streaming();
    for (let i = 1; i <= 50; i++) await db.query(`INSERT INTO ${t} VALUES (?)`, [i]);
    await task.collect((records) => changeRecords(records, topic).length >= 50);
    const [threads] = (await admin.query(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = ?",
      [user],
    )) as unknown as [{ ID: number }[]];
    assert.equal(threads.length, 1, 'the connector has one dump thread');
    await admin.query('KILL ?', [threads[0]!.ID]);
    for (let i = 51; i <= 100; i++) await db.query(`INSERT INTO ${t} VALUES (?)`, [i]);
    const records = changeRecords(
      await task.collect((all) => changeRecords(all, topic).length >= 100, 60_000),
      topic,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [after] = (await admin.query(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = ?",
      [user],
    )) as unknown as [{ ID: number }[]];
    assert.equal(after.length, 1, 'reconnected');
    assert.notEqual(after[0]!.ID, threads[0]!.ID);
    assert.deepEqual(
      changeRecords(records, topic).map((r) => afterOf(r)!.id),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  } finally {
    await task.stop();
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.end();
  }
  assert.equal(await task.done, null);
});

test('the server unreachable for a while (connections dropped and refused, as in a restart): the reader reconnects and resumes', async () => {
  const t = `${db.name}.outage_events`;
  await db.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
  const proxy = new TcpProxy(localStack.mariadb.port);
  await proxy.start();
  const raw = config('outage', { 'snapshot.mode': 'no_data', 'database.port': String(proxy.port) });
  const topic = `${raw['topic.prefix']}.${db.name}.outage_events`;
  const task = startTask(raw);
  try {
    await task.streaming();
    for (let i = 1; i <= 30; i++) await db.query(`INSERT INTO ${t} VALUES (?)`, [i]);
    await task.collect((records) => changeRecords(records, topic).length >= 30);
    const down = proxy.outage(3000);
    // Written while the connector cannot reach the server.
    for (let i = 31; i <= 60; i++) await db.query(`INSERT INTO ${t} VALUES (?)`, [i]);
    await down;
    for (let i = 61; i <= 90; i++) await db.query(`INSERT INTO ${t} VALUES (?)`, [i]);
    const records = changeRecords(
      await task.collect((all) => changeRecords(all, topic).length >= 90, 60_000),
      topic,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(
      changeRecords(records, topic).map((r) => afterOf(r)!.id),
      Array.from({ length: 90 }, (_, i) => i + 1),
    );
  } finally {
    await task.stop();
    await proxy.stop();
  }
  assert.equal(await task.done, null);
});
