import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceRecord, Struct } from '../../runtime/record/index.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * Tables whose names are not valid Kafka topic names are captured on sanitised topics
 * (invalid characters become `_`, as in Debezium), and a table that cannot be captured is
 * named in the task's status while the others go on.
 */
const hostile: [table: string, topic: string][] = [
  ['we"ird;tab le', 'it.public.we_ird_tab_le'],
  ["Robert'); DROP TABLE students; --", 'it.public.Robert____DROP_TABLE_students__--'],
  ['ünïcode_表', 'it.public._n_code__'],
];

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

describe('PostgreSQL source: hostile table names', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let run: TaskRun | undefined;

  before(async () => {
    db = await createTestDatabase();
    for (const [table] of hostile) {
      await db.client.query(`CREATE TABLE ${quoted(table)} (id int PRIMARY KEY, v text)`);
      await db.client.query(`INSERT INTO ${quoted(table)} VALUES (1, $1)`, [table]);
    }
    await db.client.query('CREATE TABLE plain (id int PRIMARY KEY, v text)');
    await db.client.query("INSERT INTO plain VALUES (1, 'plain')");
    await db.client.query('CREATE TABLE broken (id int PRIMARY KEY, v text)');
    await db.client.query("INSERT INTO broken VALUES (1, 'broken')");
  });
  after(async () => {
    await run?.stop();
    await db?.drop();
  });

  it('captures every table on a valid topic and reports the one it cannot capture by name', async () => {
    // message.key.columns naming a column `broken` lacks makes that one table uncapturable.
    run = new TaskRun(connectorConfig(db.name, { 'message.key.columns': 'public.broken:nope' }), new Map());
    const topics = [...hostile.map(([, topic]) => topic), 'it.public.plain'];
    const rowsOn = (all: SourceRecord[], topic: string, op: string) =>
      all.filter((r) => r.topic === topic && (r.value as { op?: string } | null)?.op === op);
    const snapshot = await run.drain((all) => topics.every((t) => rowsOn(all, t, 'r').length === 1));
    for (const [table, topic] of hostile) {
      assert.match(topic, /^[A-Za-z0-9._-]+$/);
      const after = rowsOn(snapshot, topic, 'r')[0]!.value as { after: Struct; source: Struct };
      assert.equal(after.after['v'], table, `${table} captured on ${topic}`);
      assert.equal(after.source['table'], table, 'source.table keeps the real name');
    }
    assert.equal(snapshot.filter((r) => r.topic === 'it.public.broken').length, 0);
    assert.match(String(run.progress['tables_not_captured']), /public\.broken: .*"nope"/);

    // Streaming goes on for every capturable table, hostile names included.
    for (const [table] of hostile) await db.client.query(`INSERT INTO ${quoted(table)} VALUES (2, 'two')`);
    await db.client.query("INSERT INTO broken VALUES (2, 'two')");
    await db.client.query("INSERT INTO plain VALUES (2, 'two')");
    const streamed = await run.drain((all) => topics.every((t) => rowsOn(all, t, 'c').length === 1));
    assert.equal(streamed.filter((r) => r.topic === 'it.public.broken').length, 0);
    assert.match(String(run.progress['tables_not_captured']), /public\.broken/);
  });
});
