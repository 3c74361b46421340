import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { connectorConfig, connectTo, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * Incremental snapshots driven by signals (Debezium's execute-snapshot, pause, resume,
 * stop) on a streaming PostgreSQL source, with the watermark method: whatever writers do
 * to the keys being read, applying the emitted events in order gives the table.
 */
describe('PostgreSQL source: incremental snapshots', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const signalTable = 'public.debezium_signal';

  before(async () => {
    db = await createTestDatabase();
    await db.client.query(
      'CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)',
    );
  });
  after(async () => {
    await db?.drop();
  });

  interface Envelope {
    op: string;
    before: { id: number; v: number } | null;
    after: { id: number; v: number } | null;
    source: { snapshot: string; lsn: unknown };
  }

  function envelopes(records: readonly SourceRecord[], table: string): Envelope[] {
    return records
      .filter((r) => r.topic === `it.public.${table}` && r.value !== null)
      .map((r) => r.value as unknown as Envelope);
  }

  function reads(records: readonly SourceRecord[], table: string): Envelope[] {
    return envelopes(records, table).filter((e) => e.op === 'r');
  }

  async function createTable(table: string, rows: number): Promise<void> {
    await db.client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL)`);
    await db.client.query(`INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, ${rows}) g`);
    await db.client.query(`ANALYZE ${table}`);
  }

  function config(table: string, chunkSize: number): Record<string, string> {
    return connectorConfig(db.name, {
      'snapshot.mode': 'no_data',
      'table.include.list': `public.${table}`,
      'signal.data.collection': signalTable,
      'incremental.snapshot.chunk.size': String(chunkSize),
      'max.batch.size': '500',
    });
  }

  async function streaming(run: TaskRun): Promise<void> {
    await run.drain(() => run.progress['phase'] === 'streaming', { timeoutMs: 30_000 });
    // The replication stream may start a moment after the phase is reported.
    await run.drainFor(500);
  }

  let signalCount = 0;
  async function sendSignal(type: string, data: Record<string, unknown> | null): Promise<void> {
    signalCount++;
    await db.client.query(`INSERT INTO ${signalTable} (id, type, data) VALUES ($1, $2, $3)`, [
      `test-${signalCount}`,
      type,
      data === null ? null : JSON.stringify(data),
    ]);
  }

  function snapshotDone(run: TaskRun): boolean {
    return (
      run.context.progressReports.some((p) => p['phase'] === 'incremental snapshot') &&
      run.progress['phase'] === 'streaming'
    );
  }

  /** Applies every event in order (r, c, u: the row is `after`; d: gone) and returns the rows. */
  function applied(events: readonly Envelope[]): Map<number, number> {
    const state = new Map<number, number>();
    for (const e of events) {
      if (e.op === 'd') state.delete(e.before!.id);
      else state.set(e.after!.id, e.after!.v);
    }
    return state;
  }

  async function tableRows(table: string): Promise<Map<number, number>> {
    const result = await db.client.query<{ id: number; v: number }>(`SELECT id, v FROM ${table}`);
    return new Map(result.rows.map((r) => [Number(r.id), Number(r.v)]));
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
    const run = new TaskRun(cfg, new Map());
    const writer = await connectTo(db.name);
    let writing = true;
    let nextId = rows;
    const writes = (async () => {
      for (let round = 0; writing; round++) {
        const id = 1 + Math.floor(Math.random() * rows);
        if (round % 5 === 4) await writer.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
        else if (round % 7 === 6) await writer.query(`INSERT INTO ${table} VALUES ($1, 0)`, [++nextId]);
        else await writer.query(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [id]);
      }
    })();
    try {
      await streaming(run);
      await sendSignal('execute-snapshot', { 'data-collections': [`public.${table}`], type: 'incremental' });
      const records = await run.drain(() => snapshotDone(run), { timeoutMs: 120_000 });
      writing = false;
      await writes;
      records.push(...(await run.drainFor(1500)));
      const events = envelopes(records, table);
      const snapshotReads = events.filter((e) => e.op === 'r');
      assert.ok(snapshotReads.length > rows / 2, `only ${snapshotReads.length} rows read`);
      assert.ok(snapshotReads.every((e) => e.source.snapshot === 'incremental'));
      assert.ok(events.some((e) => e.op === 'u') && events.some((e) => e.op === 'd'));
      assert.deepEqual(applied(events), await tableRows(table));
      // The signal table is published for the signals but not captured.
      assert.ok(!records.some((r) => r.topic === 'it.public.debezium_signal'));
    } finally {
      writing = false;
      await writes.catch(() => undefined);
      await writer.end();
      await run.stop();
    }
    assert.equal(run.failure, null);
  }

  it('signal table: concurrent updates and deletes of the keys being read never leave a stale row', async () => {
    const table = 'orders_watermark';
    await createTable(table, 3000);
    await snapshotUnderWrites(table, 3000, config(table, 50));
  });

  it('a table without a primary key is read in chunks by its message.key.columns', async () => {
    const table = 'orders_keyless';
    await db.client.query(`CREATE TABLE ${table} (id int NOT NULL, v int NOT NULL)`);
    // Updates and deletes of a table without a primary key are published with its whole old row.
    await db.client.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
    await db.client.query(`INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, 1500) g`);
    await db.client.query(`ANALYZE ${table}`);
    await snapshotUnderWrites(table, 1500, {
      ...config(table, 50),
      'message.key.columns': `public\\.${table}:id`,
    });
  });

  it('REST channel: execute-snapshot with additional-conditions, progress reported per table', async () => {
    const table = 'orders_rest';
    await createTable(table, 500);
    const run = new TaskRun(config(table, 64), new Map());
    try {
      await streaming(run);
      // A change streamed first gives the stream a position, which the rows read name.
      await db.client.query(`UPDATE ${table} SET v = 0 WHERE id = 500`);
      await run.drain((all) => envelopes(all, table).some((e) => e.op === 'u'));
      run.context.signals.deliver({
        id: 'rest-1',
        type: 'execute-snapshot',
        data: {
          type: 'incremental',
          'data-collections': [`public.${table}`],
          'additional-conditions': [{ 'data-collection': `public.${table}`, filter: 'id <= 200' }],
        },
        channel: 'rest',
      });
      const records = await run.drain(() => snapshotDone(run), { timeoutMs: 60_000 });
      const ids = reads(records, table).map((e) => e.after!.id);
      assert.deepEqual(
        ids,
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.ok(
        reads(records, table).every((e) => e.source.lsn !== null),
        'the rows read name the LSN the stream reached',
      );
      const progress = run.context.progressReports.filter((p) => p['phase'] === 'incremental snapshot');
      const last = progress.at(-1)!;
      assert.equal(last['table'], `public.${table}`);
      assert.equal(last['snapshot'], 'incremental');
      assert.equal(last['rows_done'], 200);
      assert.ok(typeof last['percent'] === 'number' && typeof last['rows_estimated'] === 'number');
    } finally {
      await run.stop();
    }
    assert.equal(run.failure, null);
  });

  it('surrogate-key: the chunks are read in the order of the column it names', async () => {
    const table = 'orders_surrogate';
    await db.client.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, seq int NOT NULL UNIQUE, v int NOT NULL)`,
    );
    await db.client.query(`INSERT INTO ${table} SELECT g, 301 - g, 0 FROM generate_series(1, 300) g`);
    const run = new TaskRun(config(table, 64), new Map());
    try {
      await streaming(run);
      run.context.signals.deliver({
        id: 'rest-surrogate',
        type: 'execute-snapshot',
        data: { type: 'incremental', 'data-collections': [`public.${table}`], 'surrogate-key': 'seq' },
        channel: 'rest',
      });
      const records = await run.drain(() => snapshotDone(run), { timeoutMs: 60_000 });
      assert.deepEqual(
        reads(records, table).map((e) => e.after!.id),
        Array.from({ length: 300 }, (_, i) => 300 - i),
      );
    } finally {
      await run.stop();
    }
    assert.equal(run.failure, null);
  });

  it('pause-snapshot holds the chunks, resume-snapshot goes on, stop-snapshot ends it', async () => {
    const table = 'orders_pause';
    const rows = 20_000;
    await createTable(table, rows);
    const run = new TaskRun(config(table, 10), new Map());
    try {
      await streaming(run);
      await sendSignal('execute-snapshot', { 'data-collections': [`public.${table}`] });
      const started = await run.drain((all) => reads(all, table).length >= 20);
      await sendSignal('pause-snapshot', null);
      await run.drain(() => run.progress['phase'] === 'incremental snapshot paused', { timeoutMs: 30_000 });
      const beforePause = reads(started, table).length;
      const paused = await run.drainFor(1500);
      const whilePaused = reads(paused, table).length;
      assert.ok(beforePause + whilePaused < rows);
      // At most the chunk in flight when the pause arrived is emitted after it.
      const held = await run.drainFor(1500);
      assert.equal(reads(held, table).length, 0, 'rows read while paused');
      await sendSignal('resume-snapshot', null);
      const resumed = await run.drain((all) => reads(all, table).length >= 20);
      await sendSignal('stop-snapshot', { 'data-collections': [`public.${table}`] });
      await run.drain(() => run.progress['phase'] === 'streaming', { timeoutMs: 30_000 });
      const afterStop = await run.drainFor(1500);
      assert.equal(reads(afterStop, table).length, 0, 'rows read after stop-snapshot');
      const total = beforePause + whilePaused + reads(resumed, table).length;
      assert.ok(total < rows, 'the snapshot ran to its end despite stop-snapshot');
      // The stopped snapshot left nothing in the offsets to resume.
      await db.client.query(`UPDATE ${table} SET v = 1 WHERE id = 1`);
      const update = await run.drain((all) => envelopes(all, table).some((e) => e.op === 'u'));
      assert.equal(update.at(-1)!.sourceOffset['incremental_snapshot'], undefined);
    } finally {
      await run.stop();
    }
    assert.equal(run.failure, null);
  });

  it('a task stopped mid-snapshot continues with the next chunk after a restart', async () => {
    const table = 'orders_restart';
    const rows = 2000;
    const chunk = 25;
    await createTable(table, rows);
    const offsets = new Map<string, SourceOffset>();
    const cfg = config(table, chunk);
    const first = new TaskRun(cfg, offsets);
    let firstReads: Envelope[];
    try {
      await streaming(first);
      await sendSignal('execute-snapshot', { 'data-collections': [`public.${table}`] });
      const records = await first.drain((all) => reads(all, table).length >= 300);
      firstReads = reads(records, table);
    } finally {
      await first.stop();
    }
    assert.equal(first.failure, null);
    const stored = [...offsets.values()][0]!;
    assert.equal(typeof stored['incremental_snapshot'], 'string', 'the offset carries the snapshot context');
    const second = new TaskRun(cfg, offsets);
    try {
      const records = await second.drain(() => snapshotDone(second), { timeoutMs: 60_000 });
      const secondReads = reads(records, table);
      const seen = new Set([...firstReads, ...secondReads].map((e) => e.after!.id));
      assert.equal(seen.size, rows, 'every row read once the snapshot completed');
      // Resumed, not restarted: only rows of a chunk not committed before the stop come again.
      assert.ok(
        secondReads.length <= rows - firstReads.length + 2 * chunk,
        `${secondReads.length} rows read again`,
      );
      assert.ok(secondReads[0]!.after!.id > chunk, 'the second run started from the beginning');
    } finally {
      await second.stop();
    }
    assert.equal(second.failure, null);
  });

  it('a publication the connector does not manage must publish the signal table', async () => {
    const table = 'orders_own_publication';
    await createTable(table, 1);
    const raw = config(table, 10);
    await db.client.query(`CREATE PUBLICATION ${raw['publication.name']!} FOR TABLE ${table}`);
    const run = new TaskRun({ ...raw, 'publication.autocreate.mode': 'disabled' }, new Map());
    await run.done;
    assert.match(run.failure?.message ?? '', /does not publish the signal table public\.debezium_signal/);
  });

  it('blocking snapshot: streaming waits while the table is read, then goes on', async () => {
    const table = 'orders_blocking';
    await createTable(table, 300);
    const run = new TaskRun(config(table, 64), new Map());
    try {
      await streaming(run);
      await sendSignal('execute-snapshot', { type: 'blocking', 'data-collections': [`public.${table}`] });
      const records = await run.drain(
        () =>
          run.context.progressReports.some((p) => p['phase'] === 'blocking snapshot') &&
          run.progress['phase'] === 'streaming',
        { timeoutMs: 60_000 },
      );
      const snapshot = reads(records, table);
      assert.deepEqual(
        snapshot.map((e) => e.after!.id),
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      assert.equal(snapshot[0]!.source.snapshot, 'first');
      assert.equal(snapshot.at(-1)!.source.snapshot, 'last');
      assert.ok(snapshot.slice(1, -1).every((e) => e.source.snapshot === 'true'));
      await db.client.query(`INSERT INTO ${table} VALUES (301, 0)`);
      const later = await run.drain((all) => envelopes(all, table).some((e) => e.op === 'c'));
      assert.equal(envelopes(later, table).find((e) => e.op === 'c')!.after!.id, 301);
    } finally {
      await run.stop();
    }
    assert.equal(run.failure, null);
  });
});
