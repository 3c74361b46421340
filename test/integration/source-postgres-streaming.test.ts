import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { plugin } from '../../connectors/source-postgres/index.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import type { SourceOffset, SourceRecord, Struct } from '../../runtime/record/index.js';
import { connectorConfig, connectTo, createTestDatabase, TaskRun } from './source-postgres-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';

type Envelope = {
  op: string;
  before: Struct | null;
  after: Struct | null;
  source: Struct;
  transaction: Struct | null;
};

const value = (r: SourceRecord): Envelope => asPlainObjects(r.value) as Envelope;
const onTopic = (records: readonly SourceRecord[], topic: string): SourceRecord[] =>
  records.filter((r) => r.topic === topic);

describe('PostgreSQL source: streaming', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let run: TaskRun;
  const offsets = new Map<string, SourceOffset>();
  let raw: Record<string, string>;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE items (id int PRIMARY KEY, name text, qty int)');
    await db.client.query('CREATE TABLE full_items (id int PRIMARY KEY, name text, big text)');
    await db.client.query('ALTER TABLE full_items REPLICA IDENTITY FULL');
    await db.client.query('CREATE TABLE toasty (id int PRIMARY KEY, big text, n int)');
    await db.client.query('CREATE TABLE nokey (a int, b text)');
    raw = connectorConfig(db.name, {
      'snapshot.mode': 'no_data',
      'provide.transaction.metadata': 'true',
      'skipped.operations': 'none',
    });
    run = new TaskRun(raw, offsets);
    // Wait until streaming runs (no snapshot in no_data mode).
    const deadline = Date.now() + 15_000;
    while (run.progress['phase'] !== 'streaming' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(run.progress['phase'], 'streaming');
  });
  after(async () => {
    await run?.stop();
    await db?.drop();
  });

  it('emits c/u/d with tombstones, key changes as delete + create, and transaction metadata', async () => {
    await db.client.query('BEGIN');
    await db.client.query("INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2)");
    await db.client.query("UPDATE items SET name = 'a2' WHERE id = 1");
    await db.client.query('DELETE FROM items WHERE id = 2');
    await db.client.query('UPDATE items SET id = 10 WHERE id = 1');
    await db.client.query('COMMIT');
    const records = await run.drain((all) =>
      all.some((r) => r.topic === 'it.transaction' && (r.value as Struct)['status'] === 'END'),
    );
    const items = onTopic(records, 'it.public.items');
    assert.deepEqual(
      items.map((r) => (r.value === null ? 'tombstone' : value(r).op)),
      ['c', 'c', 'u', 'd', 'tombstone', 'd', 'tombstone', 'c'],
    );
    assert.deepEqual(asPlainObjects(items[3]!.key), { id: 2 });
    assert.deepEqual(value(items[3]!).before, { id: 2, name: null, qty: null }, 'default identity: key only');
    assert.equal(value(items[2]!).before, null);
    assert.deepEqual(value(items[7]!).after, { id: 10, name: 'a2', qty: 1 });
    const source = value(items[0]!).source;
    assert.equal(source['connector'], 'postgresql');
    assert.equal(source['snapshot'], 'false');
    assert.equal(source['table'], 'items');
    assert.equal(typeof source['lsn'], 'bigint');
    const tx = onTopic(records, 'it.transaction').map((r) => r.value as Struct);
    assert.deepEqual(
      tx.map((t) => t['status']),
      ['BEGIN', 'END'],
    );
    assert.equal(tx[1]!['event_count'], 6n);
    assert.deepEqual(tx[1]!['data_collections'], [{ data_collection: 'public.items', event_count: 6n }]);
    assert.equal(value(items[7]!).transaction?.['total_order'], 6n);
    // Debezium's PostgreSQL transaction id: `txId:LSN`.
    assert.match(
      String(value(items[7]!).transaction?.['id']),
      new RegExp(`^${String(source['txId'])}:\\d+$`),
    );

    const metrics = await run.context.metrics.registry.getMetricsAsJSON();
    const sample = (name: string, labels: Record<string, string>) =>
      metrics
        .find((m) => m.name === name)
        ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
    assert.ok((sample('siphon_source_change_events_total', { connector: 'pg-it', op: 'c' }) ?? 0) >= 3);
    assert.ok((sample('siphon_source_change_events_total', { connector: 'pg-it', op: 'd' }) ?? 0) >= 2);
    assert.ok(
      (sample('siphon_source_last_event_timestamp_seconds', { connector: 'pg-it' }) ?? 0) >
        Date.now() / 1000 - 60,
    );
    assert.ok(sample('siphon_source_lag_seconds', { connector: 'pg-it' }) !== undefined);
    // The slot's numbers come from the worker's guardian through the plugin's probe.
    const probe = plugin.retentionProbe?.(
      parseConfig(plugin.configDef, raw).values,
      'pg-it',
      run.context.metrics,
    );
    assert.ok(probe);
    try {
      const slot = await probe.measure([]);
      assert.equal(slot?.active, true);
      assert.ok((slot?.behindBytes ?? -1) >= 0 && (slot?.retainedBytes ?? -1) >= (slot?.behindBytes ?? 0));
    } finally {
      await probe.close();
    }
    const measured = await run.context.metrics.registry.getMetricsAsJSON();
    assert.ok(
      measured
        .find((m) => m.name === 'siphon_source_postgres_replication_lag_bytes')
        ?.values.some((v) => v.labels.connector === 'pg-it'),
    );
  });

  it('fills before under REPLICA IDENTITY FULL and keeps unchanged TOAST values out of null', async () => {
    // Random (incompressible) text is TOASTed out of line.
    const big = randomBytes(60_000).toString('hex');
    await db.client.query('INSERT INTO full_items VALUES (1, $1, $2)', ['n', big]);
    await db.client.query('INSERT INTO toasty VALUES (1, $1, 1)', [big]);
    await db.client.query("UPDATE full_items SET name = 'm' WHERE id = 1");
    await db.client.query('UPDATE toasty SET n = 2 WHERE id = 1');
    const records = await run.drain((all) => onTopic(all, 'it.public.toasty').length >= 2);
    const full = onTopic(records, 'it.public.full_items').filter((r) => value(r).op === 'u')[0]!;
    const fullBefore = value(full).before!;
    const fullAfter = value(full).after!;
    assert.ok(fullBefore['name'] === 'n' && fullBefore['big'] === big, 'FULL identity fills before');
    assert.ok(
      fullAfter['name'] === 'm' && fullAfter['big'] === big,
      'FULL identity supplies the TOASTed value',
    );
    const toasty = onTopic(records, 'it.public.toasty').filter((r) => value(r).op === 'u')[0]!;
    assert.deepEqual(value(toasty).after, { id: 1, big: '__debezium_unavailable_value', n: 2 });
  });

  it('handles schema changes, new tables, keyless tables, truncate and logical messages', async () => {
    await db.client.query("INSERT INTO items VALUES (20, 'before', 1)");
    await db.client.query('ALTER TABLE items ADD COLUMN price numeric(8,2) NOT NULL DEFAULT 0');
    await db.client.query("INSERT INTO items VALUES (21, 'added', 2, 9.99)");
    await db.client.query('ALTER TABLE items DROP COLUMN qty');
    await db.client.query('ALTER TABLE items ALTER COLUMN price TYPE text');
    await db.client.query("INSERT INTO items VALUES (22, 'typed', '1.5')");
    await db.client.query('CREATE TABLE fresh (k text PRIMARY KEY)');
    await db.client.query("INSERT INTO fresh VALUES ('hello')");
    await db.client.query("INSERT INTO nokey VALUES (1, 'x')");
    await db.client.query('TRUNCATE nokey');
    await db.client.query("SELECT pg_logical_emit_message(true, 'audit', 'who=me')");
    const records = await run.drain((all) => all.some((r) => r.topic === 'it.message'));
    const items = onTopic(records, 'it.public.items').filter((r) => r.value !== null);
    const fields = (r: SourceRecord) =>
      r.valueSchema!.fields![0]!.schema.fields!.map((f) => `${f.name}:${f.schema.type}`);
    assert.deepEqual(fields(items[0]!), ['id:int32', 'name:string', 'qty:int32']);
    assert.deepEqual(fields(items[1]!), ['id:int32', 'name:string', 'qty:int32', 'price:bytes']);
    assert.equal(value(items[1]!).after!['price'], '9.99');
    // The constant DEFAULT travels in the schema, so a sink can give earlier rows the value.
    const price = items[1]!.valueSchema!.fields![0]!.schema.fields!.find((f) => f.name === 'price')!.schema;
    assert.match(String(price.defaultValue), /^0(\.00)?$/);
    assert.deepEqual(fields(items[2]!), ['id:int32', 'name:string', 'price:string']);
    const optional = (r: SourceRecord) =>
      Object.fromEntries(r.valueSchema!.fields![0]!.schema.fields!.map((f) => [f.name, f.schema.optional]));
    // The key column is required; an added NOT NULL DEFAULT column stays optional (BACKWARD compatible).
    assert.equal(optional(items[1]!)['id'], false);
    assert.equal(optional(items[1]!)['price'], true, 'an added column stays BACKWARD compatible');
    const fresh = onTopic(records, 'it.public.fresh');
    assert.deepEqual(value(fresh[0]!).after, { k: 'hello' });
    assert.deepEqual(asPlainObjects(fresh[0]!.key), { k: 'hello' });
    const nokey = onTopic(records, 'it.public.nokey');
    assert.equal(nokey[0]!.key, null, 'no primary key: null key');
    assert.equal(value(nokey[1]!).op, 't');
    const message = onTopic(records, 'it.message')[0]!;
    assert.equal((message.value as Struct)['op'], 'm');
    assert.deepEqual(((message.value as Struct)['message'] as Struct)['content'], Buffer.from('who=me'));
  });

  it('reconnects after its walsender is terminated and loses or repeats nothing', async () => {
    const pid = await db.client.query<{ pid: number }>(
      'SELECT active_pid AS pid FROM pg_replication_slots WHERE database = $1',
      [db.name],
    );
    const writer = await connectTo(db.name);
    try {
      let n = 100;
      const writes = (async () => {
        for (; n < 400; n++) await writer.query("INSERT INTO items (id, name) VALUES ($1, 'w')", [n]);
      })();
      await new Promise((r) => setTimeout(r, 100));
      await db.client.query('SELECT pg_terminate_backend($1)', [pid.rows[0]!.pid]);
      await writes;
      const seen = new Map<number, number>();
      await run.drain(
        (all) => {
          for (const r of all.splice(0)) {
            if (r.topic !== 'it.public.items' || r.value === null || value(r).op !== 'c') continue;
            const id = value(r).after!['id'] as number;
            seen.set(id, (seen.get(id) ?? 0) + 1);
          }
          return seen.size >= 300 || [...seen.values()].some((c) => c > 1);
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(seen.size, 300);
      assert.ok(
        [...seen.values()].every((c) => c === 1),
        'no duplicates after the reconnect',
      );
      const after = await db.client.query<{ pid: number }>(
        'SELECT active_pid AS pid FROM pg_replication_slots WHERE database = $1',
        [db.name],
      );
      assert.notEqual(after.rows[0]!.pid, pid.rows[0]!.pid, 'a new walsender streams');
    } finally {
      await writer.end();
    }
  });

  it('refuses a second task on the same slot with a retriable error', async () => {
    const raw = connectorConfig(db.name, { 'snapshot.mode': 'no_data' });
    const slot = await db.client.query<{ slot_name: string }>(
      'SELECT slot_name FROM pg_replication_slots WHERE database = $1',
      [db.name],
    );
    const second = new TaskRun({ ...raw, 'slot.name': slot.rows[0]!.slot_name }, new Map());
    await second.done;
    assert.equal(second.failure?.name, 'RetriableError');
    assert.match(second.failure!.message, /replication slot "slot_.*" is in use by server process \d+/);
  });
});
