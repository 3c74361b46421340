import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { connectorConfig, connectTo, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * Snapshot with concurrent writes, then streaming, then a restart from committed offsets:
 * every row change after the snapshot point arrives exactly once and in order per key.
 * Each write bumps a row's `v`, so per key the emitted `v` values must step by one.
 */
describe('PostgreSQL source: snapshot + concurrent writes + restart', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const rows = 20_000;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE orders (id int PRIMARY KEY, v int NOT NULL, note text)');
    await db.client.query(`INSERT INTO orders SELECT g, 0, 'row ' || g FROM generate_series(1, ${rows}) g`);
    await db.client.query('ANALYZE orders');
  });
  after(async () => {
    await db?.drop();
  });

  /** Checks the per-key version chain and returns the final state seen through events. */
  function applyEvents(state: Map<number, number>, records: readonly SourceRecord[]): void {
    for (const record of records) {
      if (record.topic !== 'it.public.orders' || record.value === null) continue;
      const value = record.value as {
        op: string;
        before: { id: number } | null;
        after: { id: number; v: number } | null;
      };
      const id = value.after?.id ?? value.before?.id;
      assert.ok(id !== undefined);
      const previous = state.get(id);
      if (value.op === 'r') {
        assert.equal(previous, undefined, `row ${id} snapshotted twice`);
        state.set(id, value.after!.v);
      } else if (value.op === 'c') {
        assert.equal(previous, undefined, `row ${id} created twice`);
        assert.equal(value.after!.v, 0);
        state.set(id, 0);
      } else if (value.op === 'u') {
        assert.equal(
          value.after!.v,
          (previous ?? Number.NaN) + 1,
          `row ${id}: update to v=${value.after!.v} after v=${previous}`,
        );
        state.set(id, value.after!.v);
      } else if (value.op === 'd') {
        assert.notEqual(previous, undefined, `row ${id} deleted but not present`);
        state.delete(id);
      }
    }
  }

  async function writeSome(client: typeof db.client, round: number): Promise<void> {
    await client.query('BEGIN');
    await client.query('UPDATE orders SET v = v + 1 WHERE id % 97 = $1', [round % 97]);
    await client.query('INSERT INTO orders VALUES ($1, 0, $2)', [rows + round + 1, `new ${round}`]);
    await client.query('DELETE FROM orders WHERE id = $1', [round * 13 + 1]);
    await client.query('COMMIT');
  }

  async function tableState(): Promise<Map<number, number>> {
    const result = await db.client.query<{ id: number; v: number }>('SELECT id, v FROM orders');
    return new Map(result.rows.map((r) => [Number(r.id), Number(r.v)]));
  }

  it('meets snapshot and stream without gap or duplicate, and resumes after a restart', async () => {
    const offsets = new Map<string, SourceOffset>();
    const config = connectorConfig(db.name, {
      'snapshot.fetch.size': '1000',
      'max.batch.size': '500',
      'heartbeat.interval.ms': '500',
    });
    const state = new Map<number, number>();
    const first = new TaskRun(config, offsets, 2000);
    const writer = await connectTo(db.name);
    try {
      // Writes while the snapshot runs (the small queue keeps it running for a while).
      let round = 0;
      const writing = (async () => {
        for (; round < 60; round++) await writeSome(writer, round);
      })();
      let sawSnapshotProgress = false;
      const records = await first.drain((all) => {
        if (first.progress['phase'] === 'snapshot') sawSnapshotProgress = true;
        return all.some(
          (r) =>
            r.topic === 'it.public.orders' &&
            (r.value as { op?: string })?.op === 'r' &&
            (r.value as { source: { snapshot: string } }).source.snapshot === 'last',
        );
      });
      await writing;
      assert.ok(sawSnapshotProgress, 'snapshot progress reported');
      applyEvents(state, records);
      assert.equal(records.filter((r) => (r.value as { op?: string } | null)?.op === 'r').length, state.size);
      // Stream until the table's state is reached.
      const expected = await tableState();
      const more = await first.drain((all) => {
        applyEvents(state, all.splice(0));
        return sameState(state, expected);
      });
      assert.equal(more.length, 0);
      assert.deepEqual(state, expected);
    } finally {
      await first.stop();
    }

    // Changes while the connector is down, then a new task from the committed offsets.
    for (let round = 60; round < 90; round++) await writeSome(writer, round);
    const expected = await tableState();
    const second = new TaskRun(config, offsets, 2000);
    try {
      await second.drain((all) => {
        assert.ok(
          !all.some((r) => (r.value as { op?: string } | null)?.op === 'r'),
          'no snapshot after restart',
        );
        applyEvents(state, all.splice(0));
        return sameState(state, expected);
      });
      // The slot's confirmed_flush_lsn follows the committed offsets (heartbeats move it on)
      // past everything this test wrote. Measured against the WAL position after the
      // writes, not the server's current one: other tests' databases write WAL too.
      const written = (await db.client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))
        .rows[0]!.lsn;
      let behind = '';
      const deadline = Date.now() + 20_000;
      for (;;) {
        applyEvents(state, await second.drainFor(1000));
        const slot = await db.client.query<{ behind: string }>(
          'SELECT ($1::pg_lsn - confirmed_flush_lsn)::bigint AS behind FROM pg_replication_slots WHERE slot_name = $2',
          [written, config['slot.name']],
        );
        behind = slot.rows[0]?.behind ?? 'no slot';
        if (Number(behind) <= 0 || Date.now() > deadline) break;
      }
      assert.ok(Number(behind) <= 0, `confirmed_flush_lsn is ${behind} bytes behind the test's last write`);
    } finally {
      await second.stop();
      await writer.end();
    }
  });
});

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}
