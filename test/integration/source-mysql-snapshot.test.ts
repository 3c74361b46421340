// The MySQL source's snapshot meets the binlog without gap or duplicate, against the real
// MariaDB and Kafka (schema history).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SourceRecord, Struct } from '../../runtime/record/index.js';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

const db = new TestDatabase();
const topics: string[] = [];

before(async () => {
  await db.create();
  await db.query(
    `CREATE TABLE ${db.name}.accounts (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2) NOT NULL, version INT NOT NULL)`,
  );
  const rows = Array.from({ length: 3000 }, (_, i) => [i + 1, `owner ${i + 1}`, (i * 1.25).toFixed(2), 0]);
  await db.query(`INSERT INTO ${db.name}.accounts VALUES ?`, [rows]);
});

after(async () => {
  await db.drop(topics);
});

/** Applies events in order to a key → row map: the state a sink would reach. */
function replay(records: readonly SourceRecord[]): Map<number, Struct> {
  const state = new Map<number, Struct>();
  for (const record of records) {
    const { op, before: old, after: row } = envelope(record);
    if (op === 'd') state.delete(Number(old!.id));
    else state.set(Number(row!.id), row!);
  }
  return state;
}

for (const locking of ['minimal', 'none']) {
  test(`snapshot.locking.mode=${locking}: a snapshot under concurrent writes plus the binlog after it reproduce the table, every change once, in order per key`, async () => {
    const prefix = `${db.name}_${locking}`;
    const config = connectorConfig(db.name, {
      'snapshot.fetch.size': '250',
      'snapshot.locking.mode': locking,
      'tombstones.on.delete': 'false',
      'topic.prefix': prefix,
      'schema.history.internal.kafka.topic': `${prefix}.history`,
    });
    topics.push(config['schema.history.internal.kafka.topic']!);
    const topic = `${prefix}.${db.name}.accounts`;
    const task = startTask(config);
    // Writers run while the snapshot reads: updates bump a per-row version, so order per key is checkable.
    let writing = true;
    const writes = (async () => {
      let n = 0;
      // Each run inserts and deletes its own ids.
      const shift = locking === 'none' ? 1000 : 0;
      while (writing && n < 400) {
        const id = 1 + ((n * 7) % 3000);
        await db.query(
          `UPDATE ${db.name}.accounts SET version = version + 1, balance = balance + 1 WHERE id = ?`,
          [id],
        );
        if (n % 10 === 0)
          await db.query(`INSERT INTO ${db.name}.accounts VALUES (?, 'new', 0, 0)`, [10_000 + shift + n]);
        if (n % 25 === 0) await db.query(`DELETE FROM ${db.name}.accounts WHERE id = ?`, [3000 - shift - n]);
        n++;
      }
    })();
    try {
      await task.collect((records) => records.some((r) => r.sourceOffset.snapshot === 'last'), 60_000);
      writing = false;
      await writes;
      await db.query(`UPDATE ${db.name}.accounts SET owner = 'marker', version = version + 1 WHERE id = 1`);
      const records = await task.collect((all) =>
        all.some((r) => r.topic === topic && envelope(r).op === 'u' && envelope(r).after?.owner === 'marker'),
      );
      const changes = changeRecords(records, topic);
      const reads = changes.filter((r) => envelope(r).op === 'r');
      const streamed = changes.filter((r) => envelope(r).op !== 'r');
      assert.ok(reads.length >= 3000, `snapshot read ${reads.length} rows`);
      assert.equal(
        new Set(reads.map((r) => Number(envelope(r).after!.id))).size,
        reads.length,
        'no row read twice',
      );
      assert.equal(envelope(reads.at(-1)!).source.snapshot, 'last');
      // The writers ran across the snapshot point: some changes are in the snapshot, some after it.
      assert.ok(
        reads.some((r) => Number(envelope(r).after!.version) > 0),
        'changes before the snapshot point were read',
      );
      assert.ok(streamed.length > 0, 'changes after the snapshot point were streamed');
      // Every streamed change has its own binlog coordinates: nothing emitted twice.
      const coordinates = streamed.map((r) =>
        JSON.stringify([r.sourceOffset.file, r.sourceOffset.pos, r.sourceOffset.event, r.sourceOffset.row]),
      );
      assert.equal(new Set(coordinates).size, coordinates.length, 'no change emitted twice');
      // Per key, versions after the snapshot strictly increase by one from the snapshot's value.
      const lastVersion = new Map<number, number>();
      for (const record of changes) {
        const { op, after: row } = envelope(record);
        if (op === 'd' || !row) continue;
        const id = Number(row.id);
        const previous = lastVersion.get(id);
        if (op === 'u')
          assert.equal(row.version, (previous ?? -1) + 1, `update of ${id} in order, none missing`);
        lastVersion.set(id, Number(row.version));
      }
      const [rows] = (await db.query(
        `SELECT id, owner, balance, version FROM ${db.name}.accounts ORDER BY id`,
      )) as [Record<string, unknown>[]];
      const state = replay(changes);
      assert.equal(state.size, rows.length, 'the replayed events hold as many rows as the table');
      for (const row of rows) {
        const replayed = state.get(Number(row.id));
        assert.deepEqual(
          replayed && {
            id: replayed.id,
            owner: replayed.owner,
            balance: replayed.balance,
            version: replayed.version,
          },
          { id: row.id, owner: row.owner, balance: row.balance, version: row.version },
        );
      }
      const progress = task.context.progressReports.at(-1);
      assert.equal(progress?.phase, 'snapshot completed');
    } finally {
      writing = false;
      await writes;
      await task.stop();
    }
    assert.equal(await task.done, null);
  });
}

test('an interrupted snapshot resumes after the last key emitted', async () => {
  const config = connectorConfig(db.name, {
    'snapshot.fetch.size': '100',
    'topic.prefix': `${db.name}_resume`,
    'schema.history.internal.kafka.topic': `${db.name}_resume.history`,
  });
  topics.push(config['schema.history.internal.kafka.topic']!);
  const first = startTask(config);
  const partial = await first.collect(
    (records) => records.filter((r) => envelope(r).op === 'r').length >= 450,
  );
  const reads = partial.filter((r) => envelope(r).op === 'r');
  const committedAt = reads[449]!;
  first.context.commit(committedAt);
  await first.stop();
  const second = startTask(config, first.context.committed);
  try {
    const rest = await second.collect(
      (records) => records.some((r) => r.sourceOffset.snapshot === 'last'),
      60_000,
    );
    const ids = [...reads.slice(0, 450), ...rest.filter((r) => envelope(r).op === 'r')].map((r) =>
      Number(envelope(r).after!.id),
    );
    const [rows] = (await db.query(`SELECT id FROM ${db.name}.accounts ORDER BY id`)) as [{ id: number }[]];
    assert.deepEqual(
      ids,
      rows.map((row) => row.id),
      'every row exactly once, in key order, across the restart',
    );
  } finally {
    await second.stop();
  }
});
