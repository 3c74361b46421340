import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceOffset, SourceRecord, Struct } from '../../runtime/record/index.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';
import { dropSlot } from '../../connectors/source-postgres/slot-and-publication.js';

const op = (r: SourceRecord): string | undefined => (r.value as { op?: string } | null)?.op;
const reads = (records: readonly SourceRecord[]): SourceRecord[] => records.filter((r) => op(r) === 'r');

describe('PostgreSQL source: snapshot modes and filters', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE people (id int PRIMARY KEY, email text, secret text, team int)');
    await db.client.query(
      "INSERT INTO people SELECT g, 'p' || g || '@x', 's' || g, g % 3 FROM generate_series(1, 50) g",
    );
  });
  after(async () => {
    await db?.drop();
  });

  async function slotExists(name: string): Promise<boolean> {
    const r = await db.client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name]);
    return r.rowCount === 1;
  }

  it('initial_only snapshots and stops without a slot; filters and message.key.columns apply', async () => {
    const config = connectorConfig(db.name, {
      'snapshot.mode': 'initial_only',
      'column.exclude.list': 'public\\.people\\.secret',
      'message.key.columns': 'public\\.people:team,id',
    });
    const run = new TaskRun(config, new Map());
    await run.done;
    assert.equal(run.failure, null);
    const records = await run.drain((all) => reads(all).length >= 50);
    const rows = reads(records);
    assert.equal(rows.length, 50);
    assert.deepEqual(asPlainObjects(rows[0]!.key), { team: 1, id: 1 });
    assert.deepEqual(asPlainObjects((rows[0]!.value as { after: Struct }).after), {
      id: 1,
      email: 'p1@x',
      team: 1,
    });
    assert.equal((rows[0]!.value as { source: Struct }).source['snapshot'], 'first');
    assert.equal((rows[49]!.value as { source: Struct }).source['snapshot'], 'last');
    assert.ok(!(await slotExists(config['slot.name']!)));
  });

  it('a first run that crashed before committing any offset keeps its slot: deletes made while down still arrive', async () => {
    await db.client.query('CREATE TABLE orders (id int PRIMARY KEY, note text)');
    await db.client.query("INSERT INTO orders SELECT g, 'old' FROM generate_series(1, 5) g");
    const config = connectorConfig(db.name, { 'table.include.list': 'public.orders' });
    const offsets = new Map<string, SourceOffset>();
    const first = new TaskRun(config, offsets);
    try {
      await first.drain((all) => reads(all).length >= 5, { commit: false });
      await db.client.query("INSERT INTO orders VALUES (6, 'new')");
      // Published (as far as a consumer knows) but never committed: then the crash.
      await first.drain((all) => all.some((r) => op(r) === 'c'), { commit: false });
    } finally {
      await first.stop();
    }
    assert.equal(offsets.size, 0);
    await db.client.query('DELETE FROM orders WHERE id = 6');

    const second = new TaskRun(config, offsets);
    try {
      const records = await second.drain((all) =>
        all.some((r) => op(r) === 'd' && (r.key as Struct | null)?.['id'] === 6),
      );
      assert.equal(reads(records).length, 5, 'the second run snapshots again');
    } finally {
      await second.stop();
      // The table goes first: the next test snapshots every table of the database.
      await db.client.query('DROP TABLE orders');
      // The walsender may hold the slot for a moment after the task stopped.
      await dropSlot(db.client, config['slot.name']!);
    }
  });

  it('always re-snapshots at each start; when_needed re-snapshots when the slot is gone; initial refuses', async () => {
    const offsets = new Map<string, SourceOffset>();
    const always = connectorConfig(db.name, { 'snapshot.mode': 'always' });
    for (let start = 0; start < 2; start++) {
      const run = new TaskRun(always, offsets);
      try {
        const records = await run.drain((all) => reads(all).length >= 50);
        assert.equal(reads(records).length, 50, `start ${start} snapshots`);
      } finally {
        await run.stop();
      }
    }
    // The slot is dropped behind the connector's back.
    await dropSlot(db.client, always['slot.name']!);
    const initial = new TaskRun({ ...always, 'snapshot.mode': 'initial' }, offsets);
    await initial.done;
    assert.match(
      initial.failure?.message ?? '',
      /slot ".*" is gone but offsets exist.*snapshot\.mode=when_needed/,
    );
    const whenNeeded = new TaskRun(
      { ...always, 'snapshot.mode': 'when_needed', 'slot.drop.on.stop': 'true' },
      offsets,
    );
    try {
      const records = await whenNeeded.drain((all) => reads(all).length >= 50);
      assert.equal(reads(records).length, 50);
      await db.client.query("INSERT INTO people VALUES (51, 'new@x', 's', 0)");
      await whenNeeded.drain((all) => all.some((r) => op(r) === 'c'));
    } finally {
      await whenNeeded.stop();
    }
    assert.ok(!(await slotExists(always['slot.name']!)), 'slot.drop.on.stop dropped the slot');
  });
});
