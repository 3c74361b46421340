import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceOffset } from '../../runtime/record/index.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * One transaction of 1,000,000 rows streams through with bounded memory: the replication
 * socket is paused while the runtime's queue is full, so the process never holds the
 * transaction. Stated bound: RSS grows by less than 200 MB over the idle baseline
 * (observed growth is printed).
 */
const rows = 1_000_000;
const rssGrowthBoundMb = 200;

describe('PostgreSQL source: a one-million-row transaction', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query(
      'CREATE TABLE bulk (id int PRIMARY KEY, payload text, n numeric(12,2), at timestamptz)',
    );
  });
  after(async () => {
    await db?.drop();
  });

  it('streams every row with bounded memory', async () => {
    const run = new TaskRun(
      connectorConfig(db.name, { 'snapshot.mode': 'no_data' }),
      new Map<string, SourceOffset>(),
      8192,
    );
    try {
      const deadline = Date.now() + 15_000;
      while (run.progress['phase'] !== 'streaming' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      globalThis.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const started = Date.now();
      await db.client.query(
        `INSERT INTO bulk SELECT g, repeat(md5(g::text), 4), g / 100.0, now() FROM generate_series(1, ${rows}) g`,
      );
      const inserted = Date.now();
      let count = 0;
      let last = 0;
      await run.drain(
        (all) => {
          for (const r of all.splice(0)) {
            if (r.topic !== 'it.public.bulk' || r.value === null) continue;
            const id = (r.value as { after: { id: number } }).after.id;
            assert.equal(id, last + 1, 'rows arrive in order, none missing');
            last = id;
            count++;
          }
          return count >= rows;
        },
        { timeoutMs: 240_000 },
      );
      clearInterval(sampler);
      const growthMb = (peak - baseline) / 1024 / 1024;
      console.log(
        `1M-row transaction: insert ${inserted - started} ms, streamed in ${Date.now() - inserted} ms, ` +
          `RSS baseline ${(baseline / 1048576).toFixed(0)} MB, peak ${(peak / 1048576).toFixed(0)} MB, growth ${growthMb.toFixed(0)} MB`,
      );
      assert.equal(count, rows);
      assert.ok(
        growthMb < rssGrowthBoundMb,
        `RSS grew by ${growthMb.toFixed(0)} MB (bound ${rssGrowthBoundMb} MB)`,
      );
    } finally {
      await run.stop();
    }
  });
});
