import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import {
  changeRecords,
  connectorConfig,
  envelope,
  mariadbOptions,
  startTask,
  TestDatabase,
  type RunningTask,
} from './source-mysql-harness.js';

/**
 * Incremental snapshots on MariaDB's binlog: signals through the signal table and the
 * REST channel, watermarks in the binlog, the context in the binlog offsets.
 */
describe('MySQL source: incremental snapshots', () => {
  const db = new TestDatabase();
  const historyTopics: string[] = [];

  before(async () => {
    await db.create();
    await db.query(
      `CREATE TABLE ${db.name}.debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)`,
    );
  });
  after(async () => {
    await db.drop(historyTopics);
  });

  interface Row {
    id: number;
    v: number;
  }

  function events(records: readonly SourceRecord[], table: string) {
    return changeRecords(records, `${db.name}.${db.name}.${table}`).map((r) => envelope(r));
  }

  function reads(records: readonly SourceRecord[], table: string) {
    return events(records, table).filter((e) => e.op === 'r');
  }

  async function createTable(table: string, rows: number): Promise<void> {
    await db.query(`CREATE TABLE ${db.name}.${table} (id int PRIMARY KEY, v int NOT NULL)`);
    const values = Array.from({ length: rows }, (_, i) => `(${i + 1}, 0)`).join(',');
    await db.query(`INSERT INTO ${db.name}.${table} VALUES ${values}`);
  }

  function config(table: string, chunkSize: number): Record<string, string> {
    const raw = connectorConfig(db.name, {
      'snapshot.mode': 'no_data',
      'table.include.list': `${db.name}\\.${table}`,
      'signal.data.collection': `${db.name}.debezium_signal`,
      'incremental.snapshot.chunk.size': String(chunkSize),
      'schema.history.internal.kafka.topic': `${db.name}.${table}.history`,
    });
    historyTopics.push(raw['schema.history.internal.kafka.topic']!);
    return raw;
  }

  let signals = 0;
  async function sendSignal(type: string, data: Record<string, unknown> | null): Promise<void> {
    signals++;
    await db.query(`INSERT INTO ${db.name}.debezium_signal (id, type, data) VALUES (?, ?, ?)`, [
      `test-${signals}`,
      type,
      data === null ? null : JSON.stringify(data),
    ]);
  }

  function snapshotDone(task: RunningTask): boolean {
    const reports = task.context.progressReports;
    return (
      reports.some((p) => p['phase'] === 'incremental snapshot') &&
      task.context.progress['phase'] === 'streaming'
    );
  }

  async function tableRows(table: string): Promise<Map<number, number>> {
    const [rows] = await db.connection.query<mysql.RowDataPacket[]>(`SELECT id, v FROM ${db.name}.${table}`);
    return new Map(rows.map((r) => [Number(r.id), Number(r.v)]));
  }

  /**
   * Snapshots `table` (`rows` rows, ids 1..rows) while a writer updates, deletes and inserts
   * the keys being read; applying the events by key gives the table.
   */
  async function snapshotUnderWrites(
    table: string,
    rows: number,
    cfg: Record<string, string>,
  ): Promise<void> {
    const task = startTask(cfg);
    const writer = await mysql.createConnection(mariadbOptions);
    let writing = true;
    let nextId = rows;
    let writes: Promise<void> = Promise.resolve();
    try {
      await task.streaming();
      writes = (async () => {
        for (let round = 0; writing; round++) {
          const id = 1 + Math.floor(Math.random() * rows);
          if (round % 5 === 4) await writer.query(`DELETE FROM ${db.name}.${table} WHERE id = ?`, [id]);
          else if (round % 7 === 6)
            await writer.query(`INSERT INTO ${db.name}.${table} VALUES (?, 0)`, [++nextId]);
          else await writer.query(`UPDATE ${db.name}.${table} SET v = v + 1 WHERE id = ?`, [id]);
        }
      })();
      await sendSignal('execute-snapshot', {
        'data-collections': [`${db.name}.${table}`],
        type: 'incremental',
      });
      await task.collect(() => snapshotDone(task), 120_000);
      writing = false;
      await writes;
      const end = Date.now() + 2000;
      const records = await task.collect(() => Date.now() > end, 10_000);
      const all = events(records, table);
      const state = new Map<number, number>();
      for (const e of all) {
        if (e.op === 'd') state.delete((e.before as unknown as Row).id);
        else state.set((e.after as unknown as Row).id, (e.after as unknown as Row).v);
      }
      const snapshotReads = all.filter((e) => e.op === 'r');
      assert.ok(snapshotReads.length > rows / 2, `only ${snapshotReads.length} rows read`);
      assert.ok(snapshotReads.every((e) => e.source['snapshot'] === 'incremental'));
      assert.ok(all.some((e) => e.op === 'u') && all.some((e) => e.op === 'd'));
      assert.deepEqual(state, await tableRows(table));
      assert.ok(
        !records.some((r) => r.topic.endsWith('.debezium_signal')),
        'the signal table is not captured',
      );
    } finally {
      writing = false;
      await writes.catch(() => undefined);
      await writer.end();
      await task.stop();
    }
    assert.equal(await task.done, null);
  }

  it('signal table: concurrent updates and deletes of the keys being read never leave a stale row', async () => {
    await createTable('orders_watermark', 2000);
    await snapshotUnderWrites('orders_watermark', 2000, config('orders_watermark', 50));
  });

  it('a table without a primary key is read in chunks by its message.key.columns', async () => {
    const table = 'orders_keyless';
    await db.query(`CREATE TABLE ${db.name}.${table} (id int NOT NULL, v int NOT NULL, KEY (id))`);
    const values = Array.from({ length: 1500 }, (_, i) => `(${i + 1}, 0)`).join(',');
    await db.query(`INSERT INTO ${db.name}.${table} VALUES ${values}`);
    await snapshotUnderWrites(table, 1500, {
      ...config(table, 50),
      'message.key.columns': `${db.name}\\.${table}:id`,
    });
  });

  it('surrogate-key: the chunks are read in the order of the column it names', async () => {
    const table = 'orders_surrogate';
    await db.query(
      `CREATE TABLE ${db.name}.${table} (id int PRIMARY KEY, Seq int NOT NULL UNIQUE, v int NOT NULL)`,
    );
    const values = Array.from({ length: 300 }, (_, i) => `(${i + 1}, ${300 - i}, 0)`).join(',');
    await db.query(`INSERT INTO ${db.name}.${table} VALUES ${values}`);
    const task = startTask(config(table, 64));
    try {
      await task.streaming();
      task.context.signals.deliver({
        id: 'rest-surrogate',
        type: 'execute-snapshot',
        // MySQL column names are case-insensitive: `seq` names `Seq`.
        data: { type: 'incremental', 'data-collections': [`${db.name}.${table}`], 'surrogate-key': 'seq' },
        channel: 'rest',
      });
      const records = await task.collect(() => snapshotDone(task), 60_000);
      assert.deepEqual(
        reads(records, table).map((e) => (e.after as unknown as Row).id),
        Array.from({ length: 300 }, (_, i) => 300 - i),
      );
    } finally {
      await task.stop();
    }
    assert.equal(await task.done, null);
  });

  it('REST channel: execute-snapshot with additional-conditions, then stop-snapshot', async () => {
    const table = 'orders_rest';
    await createTable(table, 3000);
    const task = startTask(config(table, 40));
    try {
      await task.streaming();
      task.context.signals.deliver({
        id: 'rest-1',
        type: 'execute-snapshot',
        data: {
          type: 'incremental',
          'data-collections': [`${db.name}.${table}`],
          'additional-conditions': [{ 'data-collection': `${db.name}.${table}`, filter: 'id <= 100' }],
        },
        channel: 'rest',
      });
      const records = await task.collect(() => snapshotDone(task), 60_000);
      const ids = reads(records, table).map((e) => (e.after as unknown as Row).id);
      assert.deepEqual(
        ids,
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      task.context.signals.deliver({
        id: 'rest-2',
        type: 'execute-snapshot',
        data: { 'data-collections': [`${db.name}.${table}`] },
        channel: 'rest',
      });
      await task.collect((all) => reads(all, table).length >= 100 + 200, 60_000);
      await sendSignal('stop-snapshot', null);
      await task.collect(() => task.context.progress['phase'] === 'streaming', 30_000);
      const stoppedAt = reads(await task.collect(() => true), table).length;
      const end = Date.now() + 1500;
      const later = await task.collect(() => Date.now() > end, 10_000);
      assert.equal(reads(later, table).length, stoppedAt, 'rows read after stop-snapshot');
      assert.ok(stoppedAt < 100 + 3000, 'the snapshot ran to its end despite stop-snapshot');
    } finally {
      await task.stop();
    }
    assert.equal(await task.done, null);
  });

  it('a task stopped mid-snapshot continues with the next chunk after a restart', async () => {
    const table = 'orders_restart';
    const rows = 2000;
    const chunk = 25;
    await createTable(table, rows);
    const cfg = config(table, chunk);
    const first = startTask(cfg);
    let firstReads: ReturnType<typeof reads>;
    let stored: SourceOffset;
    let partition: string;
    try {
      await first.streaming();
      await sendSignal('execute-snapshot', { 'data-collections': [`${db.name}.${table}`] });
      const records = await first.collect((all) => reads(all, table).length >= 300, 60_000);
      firstReads = reads(records, table);
      stored = records.at(-1)!.sourceOffset;
      partition = JSON.stringify(records.at(-1)!.sourcePartition);
    } finally {
      await first.stop();
    }
    assert.equal(await first.done, null);
    assert.equal(typeof stored['incremental_snapshot'], 'string', 'the offset carries the snapshot context');
    const second = startTask(cfg, new Map([[partition, stored]]));
    try {
      const records = await second.collect(() => snapshotDone(second), 60_000);
      const secondReads = reads(records, table);
      const seen = new Set([...firstReads, ...secondReads].map((e) => (e.after as unknown as Row).id));
      assert.equal(seen.size, rows, 'every row read once the snapshot completed');
      assert.ok(
        secondReads.length <= rows - firstReads.length + 2 * chunk,
        `${secondReads.length} rows read again`,
      );
      assert.ok(
        (secondReads[0]!.after as unknown as Row).id > chunk,
        'the second run started from the beginning',
      );
    } finally {
      await second.stop();
    }
    assert.equal(await second.done, null);
  });

  it('blocking snapshot: the binlog waits while the table is read, then goes on', async () => {
    const table = 'orders_blocking';
    await createTable(table, 300);
    const task = startTask(config(table, 64));
    try {
      await task.streaming();
      await sendSignal('execute-snapshot', { type: 'blocking', 'data-collections': [`${db.name}.${table}`] });
      const records = await task.collect(
        () =>
          task.context.progressReports.some((p) => p['phase'] === 'blocking snapshot') &&
          task.context.progress['phase'] === 'streaming',
        60_000,
      );
      const snapshot = reads(records, table);
      assert.deepEqual(
        snapshot.map((e) => (e.after as unknown as Row).id),
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      assert.equal(snapshot[0]!.source['snapshot'], 'first');
      assert.equal(snapshot.at(-1)!.source['snapshot'], 'last');
      assert.ok(String(snapshot[0]!.source['file']).length > 0, 'the source block names the binlog file');
      await db.query(`INSERT INTO ${db.name}.${table} VALUES (301, 0)`);
      const later = await task.collect((all) => events(all, table).some((e) => e.op === 'c'));
      assert.equal((events(later, table).find((e) => e.op === 'c')!.after as unknown as Row).id, 301);
    } finally {
      await task.stop();
    }
    assert.equal(await task.done, null);
  });

  it('pause-snapshot holds the chunks, resume-snapshot reads on to the end', async () => {
    const table = 'orders_pause';
    const rows = 5000;
    await createTable(table, rows);
    const task = startTask(config(table, 10));
    try {
      await task.streaming();
      await sendSignal('execute-snapshot', { 'data-collections': [`${db.name}.${table}`] });
      await task.collect((all) => reads(all, table).length >= 20, 30_000);
      await sendSignal('pause-snapshot', null);
      await task.collect(() => task.context.progress['phase'] === 'incremental snapshot paused', 30_000);
      // The chunk in flight when the pause arrived may still close.
      let end = Date.now() + 1000;
      const paused = reads(await task.collect(() => Date.now() > end, 10_000), table).length;
      end = Date.now() + 1500;
      const held = reads(await task.collect(() => Date.now() > end, 10_000), table).length;
      assert.equal(held, paused, 'rows read while paused');
      assert.ok(paused < rows);
      await sendSignal('resume-snapshot', null);
      const records = await task.collect(() => snapshotDone(task), 120_000);
      const ids = new Set(reads(records, table).map((e) => (e.after as unknown as Row).id));
      assert.equal(ids.size, rows);
    } finally {
      await task.stop();
    }
    assert.equal(await task.done, null);
  });
});
