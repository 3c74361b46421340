import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SourceRecord } from '../../runtime/record/index.js';
import { connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

/**
 * MySQL/MariaDB tables whose names are not valid Kafka topic names are captured on
 * sanitised topics (invalid characters become `_`, as in Debezium); a table that cannot be
 * captured is named in the task's status and the others go on, snapshot and binlog.
 */
const db = new TestDatabase();
const hostile: [table: string, suffix: string][] = [
  ['we"ird;tab le', 'we_ird_tab_le'],
  ["Robert'); DROP TABLE students; --", 'Robert____DROP_TABLE_students__--'],
  ['ünïcode_表', '_n_code__'],
];
let historyTopic = '';

function quoted(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

before(async () => {
  await db.create();
  for (const [table] of hostile) {
    await db.query(`CREATE TABLE ${db.name}.${quoted(table)} (id INT PRIMARY KEY, v VARCHAR(60))`);
    await db.query(`INSERT INTO ${db.name}.${quoted(table)} VALUES (1, ?)`, [table]);
  }
  await db.query(`CREATE TABLE ${db.name}.broken (id INT PRIMARY KEY, v VARCHAR(10))`);
  await db.query(`INSERT INTO ${db.name}.broken VALUES (1, 'b')`);
});

after(async () => {
  await db.drop([historyTopic]);
});

test('captures hostile table names on valid topics and names the table it cannot capture', async () => {
  const raw = connectorConfig(db.name, { 'message.key.columns': `${db.name}.broken:nope` });
  historyTopic = raw['schema.history.internal.kafka.topic']!;
  const topics = hostile.map(([, suffix]) => `${db.name}.${db.name}.${suffix}`);
  const rowsOn = (all: SourceRecord[], topic: string, op: string) =>
    all.filter((r) => r.topic === topic && r.value !== null && envelope(r).op === op);
  const task = startTask(raw);
  try {
    const snapshot = await task.collect((all) => topics.every((t) => rowsOn(all, t, 'r').length === 1));
    hostile.forEach(([table], i) => {
      assert.match(topics[i]!, /^[A-Za-z0-9._-]+$/);
      const event = envelope(rowsOn(snapshot, topics[i]!, 'r')[0]!);
      assert.equal(event.after!['v'], table);
      assert.equal(event.source['table'], table, 'source.table keeps the real name');
    });
    assert.ok(!snapshot.some((r) => r.topic.endsWith('.broken')));
    const reported = () => task.context.progressReports.at(-1)?.['tables_not_captured'];
    assert.match(String(reported()), new RegExp(`${db.name}\\.broken: .*"nope"`));

    for (const [table] of hostile)
      await db.query(`INSERT INTO ${db.name}.${quoted(table)} VALUES (2, 'two')`);
    await db.query(`INSERT INTO ${db.name}.broken VALUES (2, 'two')`);
    const all = await task.collect((records) => topics.every((t) => rowsOn(records, t, 'c').length === 1));
    assert.ok(!all.some((r) => r.topic.endsWith('.broken')));
  } finally {
    await task.stop();
  }
});
