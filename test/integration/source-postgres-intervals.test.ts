import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceRecord, Struct } from '../../runtime/record/index.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';

/**
 * interval.handling.mode and intervals too large for int64 microseconds: string mode
 * captures them as ISO 8601; numeric mode fails naming table, column and LSN, or skips
 * only that change with errors.tolerance=all.
 */
describe('PostgreSQL source: intervals', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE spans (id int PRIMARY KEY, span interval)');
    await db.client.query("INSERT INTO spans VALUES (1, '1 year 2 months 3 days 04:05:06.5')");
  });
  after(async () => {
    await db?.drop();
  });

  const changes = (all: SourceRecord[], op: string) =>
    all.filter((r) => r.topic === 'it.public.spans' && (r.value as { op?: string } | null)?.op === op);
  const afterOf = (r: SourceRecord) => (r.value as { after: Struct }).after;

  it('string mode: ISO 8601 text of any size', async () => {
    const run = new TaskRun(connectorConfig(db.name, { 'interval.handling.mode': 'string' }), new Map());
    try {
      const snapshot = await run.drain((all) => changes(all, 'r').length === 1);
      assert.equal(afterOf(changes(snapshot, 'r')[0]!)['span'], 'P1Y2M3DT4H5M6.5S');
      const field = snapshot[0]!.valueSchema!.fields![1]!.schema.fields!.find((f) => f.name === 'span')!;
      assert.equal(field.schema.name, 'io.debezium.time.Interval');
      await db.client.query("INSERT INTO spans VALUES (2, '178000000 years')");
      const streamed = await run.drain((all) => changes(all, 'c').length === 1);
      assert.equal(afterOf(changes(streamed, 'c')[0]!)['span'], 'P178000000Y0M0DT0H0M0S');
    } finally {
      await run.stop();
    }
  });

  it('numeric mode: an out-of-range interval names table, column and LSN; errors.tolerance=all skips only it', async () => {
    await db.client.query('DELETE FROM spans WHERE id = 2');
    const strict = new TaskRun(connectorConfig(db.name), new Map());
    try {
      await strict.drain((all) => changes(all, 'r').length === 1);
      await db.client.query("INSERT INTO spans VALUES (3, '178000000 years')");
      await assert.rejects(
        strict.drain(() => false, { timeoutMs: 30_000 }),
        /public\.spans at LSN [0-9A-F]+\/[0-9A-F]+: column "span": interval P178000000Y is beyond the int64 microseconds.*interval\.handling\.mode=string/,
      );
    } finally {
      await strict.stop();
    }
    await db.client.query('DELETE FROM spans WHERE id = 3');
    const tolerant = new TaskRun(connectorConfig(db.name, { 'errors.tolerance': 'all' }), new Map());
    try {
      await tolerant.drain((all) => changes(all, 'r').length === 1);
      await db.client.query("INSERT INTO spans VALUES (4, '178000000 years')");
      await db.client.query("INSERT INTO spans VALUES (5, '1 day')");
      const streamed = await tolerant.drain((all) => changes(all, 'c').length === 1);
      assert.deepEqual(
        changes(streamed, 'c').map((r) => asPlainObjects(afterOf(r))),
        [{ id: 5, span: 86_400_000_000n }],
      );
    } finally {
      await tolerant.stop();
    }
  });
});
