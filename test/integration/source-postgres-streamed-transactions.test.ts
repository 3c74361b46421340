import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { connectorConfig, connectTo, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * pgoutput protocol 2 with `streaming on`: PostgreSQL sends large transactions while they
 * are in progress. Only committed work becomes events: a rolled-back savepoint and an
 * aborted transaction leave nothing, and a small transaction committed meanwhile comes first.
 */
describe('PostgreSQL source: streamed in-progress transactions (protocol 2)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase();
    // A tiny decoding budget for this database's walsenders makes PostgreSQL stream early.
    await db.client.query(`ALTER DATABASE ${db.name} SET logical_decoding_work_mem = '64kB'`);
    await db.client.query('CREATE TABLE t (id int PRIMARY KEY, pad text)');
  });
  after(async () => {
    await db?.drop();
  });

  it('emits committed streamed transactions only, in commit order', async () => {
    const config = connectorConfig(db.name, {
      'snapshot.mode': 'no_data',
      'proto.version': '2',
      'pgoutput.streaming': 'true',
    });
    const run = new TaskRun(config, new Map<string, SourceOffset>());
    const big = await connectTo(db.name);
    const aborted = await connectTo(db.name);
    try {
      const deadline = Date.now() + 15_000;
      while (run.progress['phase'] !== 'streaming' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await big.query('BEGIN');
      await big.query("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 10000) g");
      await big.query('SAVEPOINT s');
      await big.query("INSERT INTO t SELECT g, 'rolled back' FROM generate_series(10001, 11000) g");
      await big.query('ROLLBACK TO SAVEPOINT s');
      await aborted.query('BEGIN');
      await aborted.query("INSERT INTO t SELECT g, repeat('y', 200) FROM generate_series(50001, 60000) g");
      await aborted.query('ROLLBACK');
      await db.client.query("INSERT INTO t VALUES (0, 'small')");
      await big.query("INSERT INTO t SELECT g, repeat('z', 200) FROM generate_series(20001, 30000) g");
      await big.query('COMMIT');
      const ids: number[] = [];
      await run.drain((all) => {
        for (const r of all.splice(0) as SourceRecord[]) {
          if (r.topic === 'it.public.t' && r.value !== null)
            ids.push((r.value as { after: { id: number } }).after.id);
        }
        return ids.length >= 20001;
      });
      await run
        .drainFor(500)
        .then((rest) => assert.equal(rest.filter((r) => r.topic === 'it.public.t').length, 0));
      const expected = [
        0,
        ...Array.from({ length: 10000 }, (_, i) => i + 1),
        ...Array.from({ length: 10000 }, (_, i) => i + 20001),
      ];
      assert.deepEqual(ids, expected);
      const stats = await db.client.query<{ stream_txns: string }>(
        'SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = $1',
        [config['slot.name']],
      );
      assert.ok(Number(stats.rows[0]?.stream_txns) > 0, 'PostgreSQL streamed the transactions in progress');
    } finally {
      await big.end();
      await aborted.end();
      await run.stop();
    }
  });
});
