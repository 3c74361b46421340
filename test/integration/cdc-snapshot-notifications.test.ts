// Debezium's snapshot notifications (notification.enabled.channels=sink,log) from both
// sources' real snapshots: STARTED, then per table IN_PROGRESS and TABLE_SCAN_COMPLETED
// with the rows scanned, then COMPLETED, as records on notification.sink.topic.name in
// order with the snapshot's records.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceRecord } from '../../runtime/record/index.js';
import * as postgres from './source-postgres-harness.js';
import * as mysql from './source-mysql-harness.js';

interface NotificationValue {
  readonly aggregate_type: string;
  readonly type: string;
  readonly additional_data: Map<string, string>;
}

function notifications(records: readonly SourceRecord[], topic: string): NotificationValue[] {
  return records.filter((r) => r.topic === topic).map((r) => r.value as NotificationValue);
}

function assertSnapshotNotifications(
  seen: readonly NotificationValue[],
  tables: readonly [string, number][],
): void {
  assert.deepEqual(
    seen.map((n) => [
      n.type,
      n.additional_data.get('current_collection_in_progress') ??
        n.additional_data.get('scanned_collection') ??
        '',
    ]),
    [
      ['STARTED', ''],
      ...tables.flatMap(([table]) => [
        ['IN_PROGRESS', table],
        ['TABLE_SCAN_COMPLETED', table],
      ]),
      ['COMPLETED', ''],
    ],
  );
  for (const n of seen) assert.equal(n.aggregate_type, 'Initial Snapshot');
  const scanned = seen.filter((n) => n.type === 'TABLE_SCAN_COMPLETED');
  assert.deepEqual(
    scanned.map((n) => [
      n.additional_data.get('data_collection'),
      Number(n.additional_data.get('total_rows_scanned')),
    ]),
    tables,
  );
}

describe('snapshot notifications: PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof postgres.createTestDatabase>>;

  before(async () => {
    db = await postgres.createTestDatabase();
    await db.client.query('CREATE TABLE a (id int PRIMARY KEY, v text)');
    await db.client.query("INSERT INTO a SELECT g, 'a' FROM generate_series(1, 30) g");
    await db.client.query('CREATE TABLE b (id int PRIMARY KEY, v text)');
    await db.client.query("INSERT INTO b SELECT g, 'b' FROM generate_series(1, 7) g");
  });
  after(async () => {
    await db?.drop();
  });

  it('tells each step of the snapshot on the sink topic, after the rows it speaks of', async () => {
    const topic = `${db.name}-notifications`;
    const config = postgres.connectorConfig(db.name, {
      'notification.enabled.channels': 'sink,log',
      'notification.sink.topic.name': topic,
      'snapshot.fetch.size': '10',
    });
    const run = new postgres.TaskRun(config, new Map());
    try {
      const records = await run.drain((all) => notifications(all, topic).some((n) => n.type === 'COMPLETED'));
      assertSnapshotNotifications(notifications(records, topic), [
        ['public.a', 30],
        ['public.b', 7],
      ]);
      // The completion of a table comes after its last row.
      const lastOfA = records.findLastIndex((r) => r.topic.endsWith('.public.a'));
      const scannedA = records.findIndex(
        (r) => r.topic === topic && (r.value as NotificationValue).type === 'TABLE_SCAN_COMPLETED',
      );
      assert.ok(scannedA > lastOfA, `TABLE_SCAN_COMPLETED at ${scannedA}, last row of a at ${lastOfA}`);
    } finally {
      await run.stop();
    }
  });
});

describe('snapshot notifications: MySQL', () => {
  const db = new mysql.TestDatabase();
  const topics: string[] = [];

  before(async () => {
    await db.create();
    await db.query(`CREATE TABLE ${db.name}.a (id INT PRIMARY KEY, v VARCHAR(10))`);
    await db.query(`INSERT INTO ${db.name}.a VALUES ?`, [Array.from({ length: 12 }, (_, i) => [i + 1, 'a'])]);
    await db.query(`CREATE TABLE ${db.name}.b (id INT PRIMARY KEY, v VARCHAR(10))`);
    await db.query(`INSERT INTO ${db.name}.b VALUES ?`, [Array.from({ length: 3 }, (_, i) => [i + 1, 'b'])]);
  });
  after(async () => {
    await db.drop(topics);
  });

  it('tells each step of the snapshot on the sink topic', async () => {
    const topic = `${db.name}-notifications`;
    const config = mysql.connectorConfig(db.name, {
      'notification.enabled.channels': 'sink',
      'notification.sink.topic.name': topic,
      'snapshot.fetch.size': '5',
    });
    topics.push(config['schema.history.internal.kafka.topic']!);
    const task = mysql.startTask(config);
    try {
      const records = await task.collect((all) =>
        notifications(all, topic).some((n) => n.type === 'COMPLETED'),
      );
      assertSnapshotNotifications(notifications(records, topic), [
        [`${db.name}.a`, 12],
        [`${db.name}.b`, 3],
      ]);
    } finally {
      await task.stop();
    }
  });
});
