// DOUBLE and FLOAT values that need all their digits: the snapshot and the binlog must both
// publish exactly the double (or single) the server stores. The text protocol prints FLOAT
// with 6 significant digits and some doubles one digit short, so a snapshot read through it
// differs from the binlog's binary value without any error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import type { SourceRecord } from '../../runtime/record/index.js';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

const db = new TestDatabase();
const topics: string[] = [];

const doubles = [
  0.1 + 0.2,
  1 / 3,
  1.2345678901234567e300,
  Number.MAX_VALUE,
  Number.MIN_VALUE, // 2^-1074, the smallest denormal
  2.2250738585072009e-308, // the largest denormal
  -123.45678901234567,
  // Doubles MariaDB's text protocol prints with a last digit that reads back as another double.
  910966978390.3181,
  914701349783.7399,
  997463526.0819837,
];
const floats = [
  16777217, // stored as 16777216: the text protocol prints 16777200
  0.1,
  1 / 3,
  3.4028234663852886e38, // the largest float
  1.401298464324817e-45, // the smallest denormal float
  -9.909745216369629,
];

before(async () => {
  await db.create();
  await db.query(`CREATE TABLE ${db.name}.nums (id INT PRIMARY KEY, d DOUBLE, f FLOAT, f74 FLOAT(7,4))`);
  await db.query(`CREATE TABLE ${db.name}.keyed (tm TIME(6), d DOUBLE, PRIMARY KEY (tm, d))`);
  for (const tm of ['-838:59:59', '-00:00:01.5', '00:00:00', '12:00:00.000001']) {
    for (const d of doubles)
      await db.connection.execute(`INSERT INTO ${db.name}.keyed VALUES (?, ?)`, [tm, d]);
  }
});

after(async () => {
  await db.drop(topics);
});

/** Inserts the values with ids from `first`, as binary parameters (no decimal text on the way in). */
async function insertValues(first: number): Promise<void> {
  const rows = Math.max(doubles.length, floats.length);
  for (let i = 0; i < rows; i++) {
    await db.connection.execute(`INSERT INTO ${db.name}.nums VALUES (?, ?, ?, ?)`, [
      first + i,
      doubles[i] ?? null,
      floats[i] ?? null,
      i === 1 ? 0.1 : null,
    ]);
  }
  // -0 computed in SQL: MariaDB stores it as +0, which both paths must then publish (not -0).
  await db.query(`INSERT INTO ${db.name}.nums VALUES (?, -CAST(0 AS DOUBLE), NULL, NULL)`, [first + rows]);
}

test('DOUBLE and FLOAT: snapshot and binlog publish exactly the stored values', async () => {
  await insertValues(1);
  const raw = connectorConfig(db.name);
  topics.push(raw['schema.history.internal.kafka.topic']!);
  const topic = `${db.name}.${db.name}.nums`;
  const count = Math.max(doubles.length, floats.length) + 1;
  const task = startTask(raw);
  let records: SourceRecord[];
  try {
    await task.collect((all) => changeRecords(all, topic).length >= count);
    await task.streaming();
    await insertValues(1001);
    records = changeRecords(
      await task.collect((all) => changeRecords(all, topic).length >= 2 * count),
      topic,
    );
  } finally {
    await task.stop();
  }
  // The exact reference: the binary protocol sends DOUBLE as its 8 and FLOAT as its 4 IEEE bytes.
  const [stored] = await db.connection.execute<RowDataPacket[]>(
    `SELECT id, d, f, f74 FROM ${db.name}.nums ORDER BY id`,
  );
  assert.equal(stored.length, 2 * count);
  assert.equal(Object.is(stored[count - 1]!.d, 0), true, 'the server stores -0 as +0');
  assert.equal(stored[0]!.f, 16777216);
  assert.equal(stored[1]!.f, Math.fround(0.1));
  const wrong: string[] = [];
  for (const row of stored) {
    const id = Number(row.id);
    const path = id > 1000 ? 'binlog' : 'snapshot';
    const event = records.map(envelope).find((e) => e.after?.id === id);
    assert.ok(event, `an event for row ${id}`);
    assert.equal(event.op, id > 1000 ? 'c' : 'r');
    for (const column of ['d', 'f', 'f74']) {
      const published = event.after![column];
      if (!Object.is(published, row[column])) {
        wrong.push(
          `${path} row ${id} ${column}: published ${String(published)}, stored ${String(row[column])}`,
        );
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test('a snapshot in chunks after a TIME and DOUBLE key reads every row once, in key order', async () => {
  const raw = connectorConfig(db.name, {
    'snapshot.fetch.size': '3',
    'topic.prefix': `${db.name}_keyed`,
    'schema.history.internal.kafka.topic': `${db.name}_keyed.history`,
  });
  topics.push(raw['schema.history.internal.kafka.topic']!);
  const topic = `${db.name}_keyed.${db.name}.keyed`;
  const task = startTask(raw);
  let records: SourceRecord[];
  try {
    // The whole snapshot: a chunk boundary at an inexact key would repeat or skip rows.
    records = await task.collect((all) => all.some((r) => r.sourceOffset.snapshot === 'last'));
  } finally {
    await task.stop();
  }
  const [stored] = await db.connection.execute<RowDataPacket[]>(
    `SELECT d FROM ${db.name}.keyed ORDER BY tm, d`,
  );
  assert.deepEqual(
    changeRecords(records, topic).map((r) => envelope(r).after!.d),
    stored.map((row) => row.d),
  );
});
