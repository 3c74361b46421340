import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SinkTask } from '../../runtime/plugin/index.js';
import type { SinkRecord } from '../../runtime/record/index.js';
import {
  LogicalName,
  array,
  boolean,
  bytes,
  decimal,
  int32,
  int64,
  logical,
  optional,
  string,
  struct,
} from '../../runtime/record/index.js';
import { type FakeSinkTaskContext, uniqueName } from '../support/plugin-test-kit.js';
import { EventFactory, TARGETS, createDatabase, startTask, type TestDatabase } from './sink-jdbc-harness.js';

const keySchema = struct('srv.public.orders.Key', [['id', int32()]]);
const rowSchema = struct('srv.public.orders.Value', [
  ['id', int32()],
  ['name', optional(string())],
  ['amount', decimal(2, 10)],
  ['created', logical(LogicalName.MicroTimestamp)],
  ['updated', optional(logical(LogicalName.ZonedTimestamp))],
  ['day', optional(logical(LogicalName.Date))],
  ['doc', optional(logical(LogicalName.Json))],
  ['uid', optional(logical(LogicalName.Uuid))],
  ['tags', optional(array(string()))],
  ['data', optional(bytes())],
  ['flag', boolean()],
  ['big', int64()],
]);

function row(id: number, name: string | null, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name,
    amount: `${id}.25`,
    created: 1_700_000_000_123_456n + BigInt(id),
    updated: '2024-03-01T10:15:30.123456+02:00',
    day: 19000,
    doc: `{"n": ${id}, "deep": {"ok": true}}`,
    uid: `00000000-0000-4000-8000-00000000000${id % 10}`,
    tags: ['a', `t${id}`],
    data: Buffer.from([0, id, 255]),
    flag: id % 2 === 0,
    big: 9_007_199_254_740_993n + BigInt(id),
    ...overrides,
  };
}

async function put(task: SinkTask, records: SinkRecord[]): Promise<void> {
  await task.put(records);
}

for (const target of TARGETS) {
  describe(`JDBC sink into ${target}`, { concurrency: false }, () => {
    let db: TestDatabase;
    const tasks: { task: SinkTask; context: FakeSinkTaskContext }[] = [];
    const start = async (raw: Record<string, string>, tolerance: 'all' | 'none' = 'none') => {
      const started = await startTask({ 'connection.url': db.url, ...raw }, { tolerance });
      tasks.push(started);
      return started;
    };
    const q = (identifier: string) =>
      target === 'postgresql'
        ? `"${identifier.replaceAll('"', '""')}"`
        : `\`${identifier.replaceAll('`', '``')}\``;
    const text = (column: string) =>
      target === 'postgresql' ? `${q(column)}::text` : `CAST(${q(column)} AS CHAR)`;

    before(async () => {
      db = await createDatabase(target);
    });
    after(async () => {
      for (const { task, context } of tasks) {
        context.stop();
        await task.stop();
      }
      await db.drop();
    });

    it('applies every op with auto.create: upserts, deletes, tombstones, collapse, truncate', async () => {
      const topic = uniqueName('srv.public.orders');
      const events = new EventFactory(topic, keySchema, rowSchema);
      const { task } = await start({
        'auto.create': 'true',
        'delete.enabled': 'true',
        'truncate.enabled': 'true',
        'table.name.format': 'orders_${source.table}',
      });
      await put(task, [
        events.event('r', { id: 1 }, null, row(1, 'one')),
        events.event('r', { id: 2 }, null, row(2, 'two')),
        events.event('r', { id: 3 }, null, row(3, 'three')),
        events.event('c', { id: 4 }, null, row(4, 'four')),
        events.event(
          'u',
          { id: 2 },
          row(2, 'two'),
          row(2, 'TWO', { amount: '-0.01', doc: null, tags: null, data: null }),
        ),
        events.event('d', { id: 3 }, row(3, 'three'), null),
        events.tombstone({ id: 3 }),
        // delete then re-create of one key inside the batch ends with the new row
        events.event('c', { id: 5 }, null, row(5, 'five')),
        events.event('d', { id: 5 }, row(5, 'five'), null),
        events.event('c', { id: 5 }, null, row(5, 'five again')),
        events.event('u', { id: 1 }, null, row(1, 'one-a')),
        events.event('u', { id: 1 }, null, row(1, 'one-b')),
      ]);
      const rows = await db.query(
        `SELECT id, name, ${text('amount')} AS amount, ${text('created')} AS created, ${text('updated')} AS updated, ${text('day')} AS day, ${text('doc')} AS doc, ${text('uid')} AS uid, ${text('big')} AS big, data, flag FROM orders_orders ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.id), r.name, r.amount]),
        [
          [1, 'one-b', '1.25'],
          [2, 'TWO', '-0.01'],
          [4, 'four', '4.25'],
          [5, 'five again', '5.25'],
        ],
      );
      const first = rows[0] ?? {};
      assert.match(String(first.created), /^2023-11-14 22:13:20\.123457/);
      if (target === 'postgresql') {
        assert.match(String(first.updated), /^2024-03-01 08:15:30\.123456\+00/);
        assert.deepEqual(JSON.parse(String(first.doc)), { n: 1, deep: { ok: true } });
      } else {
        assert.equal(first.updated, '2024-03-01 08:15:30.123456');
      }
      assert.equal(first.day, '2022-01-08');
      assert.equal(first.uid, '00000000-0000-4000-8000-000000000001');
      assert.equal(first.big, '9007199254740994');
      assert.deepEqual(Buffer.from(first.data as Buffer), Buffer.from([0, 1, 255]));
      assert.equal(rows[1]?.doc, null);

      const types = await db.query(
        target === 'postgresql'
          ? `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 'orders_orders'`
          : `SELECT column_name AS name, column_type AS type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'orders_orders'`,
      );
      const typeOf = Object.fromEntries(types.map((t) => [t.name, String(t.type)]));
      if (target === 'postgresql') {
        assert.deepEqual(
          [typeOf.amount, typeOf.created, typeOf.updated, typeOf.doc, typeOf.uid, typeOf.tags, typeOf.data],
          [
            'numeric',
            'timestamp without time zone',
            'timestamp with time zone',
            'jsonb',
            'uuid',
            'ARRAY',
            'bytea',
          ],
        );
      } else {
        assert.deepEqual(
          [
            typeOf.amount,
            typeOf.created,
            typeOf.doc?.replace('longtext', 'json'),
            typeOf.uid,
            typeOf.data,
            typeOf.id,
          ],
          ['decimal(10,2)', 'datetime(6)', 'json', 'char(36)', 'longblob', 'int(11)'],
        );
      }

      // A truncate empties the table; what follows it in the batch stays.
      await put(task, [
        events.event('c', { id: 6 }, null, row(6, 'six')),
        events.event('t', null, null, null),
        events.event('c', { id: 9 }, null, row(9, 'nine')),
      ]);
      const after = await db.query('SELECT id FROM orders_orders');
      assert.deepEqual(
        after.map((r) => Number(r.id)),
        [9],
      );
    });

    it('applies mapping rules: table, rename, exclude, casts, computed values, filter, key override, soft delete', async () => {
      const topic = uniqueName('srv.public.orders');
      const events = new EventFactory(topic, keySchema, rowSchema, 'customers');
      const other = new EventFactory(uniqueName('srv.public.other'), keySchema, rowSchema, 'other');
      const mappings = [
        {
          name: 'customers',
          match: { 'source.schema': 'public', 'source.table': 'customers' },
          table: 'crm_customers',
          exclude: ['doc', 'uid', 'tags', 'data', 'updated', 'day', 'created'],
          casts: { amount: 'float64', flag: 'string' },
          rename: { id: 'customer_id', name: 'full_name' },
          values: {
            synced_ms: '${source.ts_ms}',
            op: '${op}',
            origin: 'pg-eu',
            topic_part: '${topic}#${partition}',
          },
          filter: "name is null or name != 'hidden'",
          softDelete: 'deleted',
        },
        {
          name: 'other by name',
          match: { topic: other.topic },
          table: 'other_by_name',
          include: ['name', 'big'],
          key: ['name'],
        },
      ];
      const { task } = await start({
        'auto.create': 'true',
        'delete.enabled': 'true',
        mappings: JSON.stringify(mappings),
      });
      await put(task, [
        events.event('c', { id: 1 }, null, row(1, 'Ann')),
        events.event('c', { id: 2 }, null, row(2, 'hidden')),
        events.event('c', { id: 3 }, null, row(3, 'Cid')),
        events.event('u', { id: 3 }, null, row(3, 'hidden')), // leaves the filtered set: soft-deleted
        events.event('c', { id: 4 }, null, row(4, 'Dee')),
        events.event('d', { id: 4 }, row(4, 'Dee'), null),
        other.event('c', { id: 1 }, null, row(1, 'alpha')),
        other.event('c', { id: 2 }, null, row(2, 'alpha', { big: 7n })),
      ]);
      const rows = await db.query(
        `SELECT customer_id, full_name, amount, flag, synced_ms, ${q('op')} AS op, origin, topic_part, deleted FROM crm_customers ORDER BY customer_id`,
      );
      assert.deepEqual(
        rows.map((r) => [
          Number(r.customer_id),
          r.full_name,
          Number(r.amount),
          r.flag,
          r.op,
          r.origin,
          Boolean(Number(r.deleted)),
        ]),
        [
          [1, 'Ann', 1.25, 'false', 'c', 'pg-eu', false],
          [3, 'Cid', 3.25, 'false', 'c', 'pg-eu', true],
          [4, 'Dee', 4.25, 'true', 'c', 'pg-eu', true],
        ],
      );
      assert.equal(rows[0]?.topic_part, `${topic}#0`);
      assert.ok(Number(rows[0]?.synced_ms) > 1_600_000_000_000);
      const columns = await db.query(
        `SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'crm_customers' ${target === 'mariadb' ? 'AND table_schema = DATABASE()' : ''}`,
      );
      assert.ok(
        !columns.some((c) => c.name === 'doc' || c.name === 'id'),
        'excluded and renamed columns are absent',
      );
      const others = await db.query('SELECT name, big FROM other_by_name');
      assert.deepEqual(
        others.map((r) => [r.name, String(r.big)]),
        [['alpha', '7']],
      );
    });

    it('evolves the schema (basic) and rejects new columns without it', async () => {
      const v1 = struct('srv.public.items.Value', [
        ['id', int32()],
        ['title', string()],
      ]);
      const v2 = struct('srv.public.items.Value', [
        ['id', int32()],
        ['title', string()],
        ['price', optional(decimal(2, 8))],
        ['Weird Name', optional(string())],
      ]);
      const topic = uniqueName('items');
      const first = new EventFactory(topic, keySchema, v1, 'items');
      const { task } = await start({
        'auto.create': 'true',
        'schema.evolution': 'basic',
        'table.name.format': 'items',
      });
      await put(task, [first.event('c', { id: 1 }, null, { id: 1, title: 'old' })]);
      const second = new EventFactory(topic, keySchema, v2, 'items');
      await put(task, [
        second.event('c', { id: 2 }, null, { id: 2, title: 'new', price: '9.99', 'Weird Name': 'w' }),
      ]);
      const rows = await db.query(
        `SELECT id, title, ${text('price')} AS price, ${q('Weird Name')} AS weird FROM items ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.id), r.title, r.price, r.weird]),
        [
          [1, 'old', null, null],
          [2, 'new', '9.99', 'w'],
        ],
      );

      const strict = await start({ 'table.name.format': 'items' }, 'all');
      const v3 = struct('srv.public.items.Value', [
        ['id', int32()],
        ['title', string()],
        ['colour', optional(string())],
      ]);
      const third = new EventFactory(topic, keySchema, v3, 'items');
      await put(strict.task, [
        third.event('c', { id: 3 }, null, { id: 3, title: 't', colour: 'red' }),
        second.event('c', { id: 4 }, null, { id: 4, title: 'ok', price: null, 'Weird Name': null }),
      ]);
      assert.equal(strict.context.badRecords.length, 1);
      assert.match(
        strict.context.badRecords[0]?.error.message ?? '',
        /has no column "colour"; add it or set schema.evolution=basic/,
      );
      assert.deepEqual(
        (await db.query('SELECT id FROM items ORDER BY id')).map((r) => Number(r.id)),
        [1, 2, 4],
      );
    });

    it('quotes torture identifiers: quotes, spaces, reserved words, mixed case', async () => {
      const torture =
        target === 'postgresql' ? 'Order "Items"; DROP TABLE x; --' : 'Order `Items`; DROP TABLE x; --';
      const tableFormat = torture;
      const schema = struct('srv.public.t.Value', [
        ['Key Col', int32()],
        ['select', optional(string())],
        ['MixedCase', optional(string())],
        ['we"ird`col', optional(string())],
        ['group', optional(int32())],
      ]);
      const key = struct('srv.public.t.Key', [['Key Col', int32()]]);
      const events = new EventFactory(uniqueName('t'), key, schema, 't');
      const { task } = await start({
        'auto.create': 'true',
        'delete.enabled': 'true',
        'table.name.format': tableFormat.replaceAll('.', ''),
      });
      const value = (id: number, text: string) => ({
        'Key Col': id,
        select: text,
        MixedCase: `M${id}`,
        'we"ird`col': "it's",
        group: id,
      });
      await put(task, [
        events.event('c', { 'Key Col': 1 }, null, value(1, "'); DROP TABLE x; --")),
        events.event('c', { 'Key Col': 2 }, null, value(2, 'b')),
        events.event('u', { 'Key Col': 2 }, null, value(2, 'c')),
        events.event('d', { 'Key Col': 1 }, value(1, 'x'), null),
        events.event('c', { 'Key Col': 3 }, null, value(3, "'); DROP TABLE x; --")),
      ]);
      const rows = await db.query(
        `SELECT ${q('Key Col')} AS k, ${q('select')} AS s, ${q('MixedCase')} AS m, ${q('we"ird`col')} AS w FROM ${q(tableFormat.replaceAll('.', ''))} ORDER BY 1`,
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.k), r.s, r.m, r.w]),
        [
          [2, 'c', 'M2', "it's"],
          [3, "'); DROP TABLE x; --", 'M3', "it's"],
        ],
      );
    });

    it('dead-letter path: bad records are reported with the reason, the rest applied; under none the batch fails naming the record', async () => {
      await db.query(
        target === 'postgresql'
          ? 'CREATE TABLE strict_t (id integer PRIMARY KEY, name text NOT NULL, qty integer)'
          : 'CREATE TABLE strict_t (id int PRIMARY KEY, name varchar(20) NOT NULL, qty int) ENGINE=InnoDB',
      );
      const schema = struct('srv.public.strict_t.Value', [
        ['id', int32()],
        ['name', optional(string())],
        ['qty', optional(string())],
      ]);
      const topic = uniqueName('strict');
      const events = new EventFactory(topic, keySchema, schema, 'strict_t');
      const tolerant = await start({ 'table.name.format': 'strict_t' }, 'all');
      const batch = [
        events.event('c', { id: 1 }, null, { id: 1, name: 'ok', qty: '1' }),
        events.event('c', { id: 2 }, null, { id: 2, name: null, qty: '2' }), // NOT NULL violation
        events.event('c', { id: 3 }, null, { id: 3, name: 'x', qty: 'many' }), // type mismatch
        { ...events.event('c', { id: 4 }, null, { id: 4, name: 'nokey', qty: '4' }), key: null }, // no key under upsert
        events.event('c', { id: 5 }, null, { id: 5, name: 'ok too', qty: '5' }),
      ];
      await put(tolerant.task, batch);
      assert.deepEqual(
        (await db.query('SELECT id FROM strict_t ORDER BY id')).map((r) => Number(r.id)),
        [1, 5],
      );
      const reasons = tolerant.context.badRecords.map((bad) => [
        Number(bad.record.kafkaOffset),
        bad.error.message,
      ]);
      assert.deepEqual(
        reasons.map(([offset]) => offset),
        [1, 2, 3],
      );
      assert.match(
        String(reasons[0]?.[1]),
        new RegExp(`cannot apply record ${topic.replaceAll('.', '\\.')}-0@1: .*(null|NULL)`),
      );
      assert.match(String(reasons[1]?.[1]), /@2: .*(integer|Incorrect|invalid)/i);
      assert.match(String(reasons[2]?.[1]), /@3: .*has no key/);

      const strict = await start({ 'table.name.format': 'strict_t' }, 'none');
      const failing = [
        events.event('c', { id: 6 }, null, { id: 6, name: 'six', qty: '6' }),
        events.event('c', { id: 7 }, null, { id: 7, name: null, qty: '7' }),
      ];
      await assert.rejects(
        put(strict.task, failing),
        new RegExp(`${topic.replaceAll('.', '\\.')}-0@6: .*(null|NULL)`),
      );
      assert.deepEqual(
        (await db.query('SELECT id FROM strict_t ORDER BY id')).map((r) => Number(r.id)),
        [1, 5],
        'nothing of the failed batch is committed',
      );
    });

    it('update and insert modes, record_value and kafka keys, folded identifiers, validate()', async () => {
      const schema = struct('srv.public.modes.Value', [
        ['id', int32()],
        ['Name', string()],
      ]);
      const events = new EventFactory(uniqueName('modes'), keySchema, schema, 'modes');
      const byValue = await start({
        'auto.create': 'true',
        'primary.key.mode': 'record_value',
        'primary.key.fields': 'Name',
        'table.name.format': 'by_value',
      });
      await put(byValue.task, [
        events.event('c', { id: 1 }, null, { id: 1, Name: 'same' }),
        events.event('c', { id: 2 }, null, { id: 2, Name: 'same' }),
      ]);
      assert.deepEqual(
        (await db.query(`SELECT id, ${q('Name')} AS n FROM by_value`)).map((r) => [Number(r.id), r.n]),
        [[2, 'same']],
      );

      const byKafka = await start({
        'auto.create': 'true',
        'primary.key.mode': 'kafka',
        'table.name.format': 'by_kafka',
      });
      const batch = [
        events.event('c', { id: 1 }, null, { id: 1, Name: 'a' }),
        events.event('u', { id: 1 }, null, { id: 1, Name: 'b' }),
      ];
      await put(byKafka.task, batch);
      await put(byKafka.task, batch); // redelivered: idempotent on (topic, partition, offset)
      const kafkaRows = await db.query(
        'SELECT __connect_offset AS o, __connect_partition AS p FROM by_kafka ORDER BY 1',
      );
      assert.deepEqual(
        kafkaRows.map((r) => [Number(r.o), Number(r.p)]),
        [
          [Number(batch[0]?.kafkaOffset), 0],
          [Number(batch[1]?.kafkaOffset), 0],
        ],
      );

      const updates = await start({
        'insert.mode': 'update',
        'table.name.format': 'by_value',
        'primary.key.mode': 'record_value',
        'primary.key.fields': 'Name',
      });
      await put(updates.task, [
        events.event('u', { id: 7 }, null, { id: 7, Name: 'same' }),
        events.event('u', { id: 8 }, null, { id: 8, Name: 'absent' }),
      ]);
      assert.deepEqual(
        (await db.query(`SELECT id, ${q('Name')} AS n FROM by_value`)).map((r) => [Number(r.id), r.n]),
        [[7, 'same']],
        'update mode changes existing rows only',
      );

      const folded = await start({
        'auto.create': 'true',
        'quote.identifiers': 'false',
        'table.name.format': 'MiXeD_Case',
      });
      await put(folded.task, [events.event('c', { id: 3 }, null, { id: 3, Name: 'folded' })]);
      const foldedRows =
        target === 'postgresql'
          ? await db.query('SELECT id, name FROM mixed_case')
          : await db.query('SELECT id, Name AS name FROM MiXeD_Case');
      assert.deepEqual(
        foldedRows.map((r) => [Number(r.id), r.name]),
        [[3, 'folded']],
      );

      const { plugin } = await import('../../connectors/sink-jdbc/index.js');
      const { parseConfig } = await import('../../runtime/config/config-parser.js');
      const good = parseConfig(plugin.configDef, { 'connection.url': db.url });
      assert.deepEqual(await plugin.validate?.(good.values), []);
      const unreachable = parseConfig(plugin.configDef, {
        'connection.url': db.url.replace(/:\d+\//, ':1/'),
        'connection.password': 'hunter2',
      });
      const issues = (await plugin.validate?.(unreachable.values)) ?? [];
      assert.equal(issues[0]?.name, 'connection.url');
      assert.match(issues[0]?.message ?? '', /cannot connect to/);
      assert.ok(!JSON.stringify(issues).includes('hunter2'), 'the password is never shown');
      const crossKey = parseConfig(plugin.configDef, {
        'connection.url': db.url,
        'primary.key.mode': 'none',
        'delete.enabled': 'true',
      });
      assert.deepEqual(
        ((await plugin.validate?.(crossKey.values)) ?? []).map((issue) => issue.name),
        ['primary.key.mode', 'delete.enabled'],
      );
    });

    it('tombstones go where their topic last went; deletes and truncates of a missing table are no-ops', async () => {
      const schema = struct('srv.public.tomb.Value', [['id', int32()]]);
      const topic = uniqueName('tomb');
      const events = new EventFactory(topic, keySchema, schema, 'tomb_by_source');
      const run = await start(
        {
          'auto.create': 'true',
          'delete.enabled': 'true',
          'truncate.enabled': 'true',
          'table.name.format': '${source.table}',
        },
        'all',
      );
      // A tombstone first (no table known yet), then a delete and truncate of a table that does not exist.
      const ghost = new EventFactory(uniqueName('ghost'), keySchema, schema, 'ghost_table');
      await put(run.task, [
        events.tombstone({ id: 9 }),
        ghost.event('d', { id: 1 }, { id: 1 }, null),
        ghost.event('t', null, null, null),
      ]);
      assert.deepEqual(run.context.badRecords, []);
      const ghostTables = await db.query(
        target === 'postgresql'
          ? "SELECT 1 FROM information_schema.tables WHERE table_name = 'ghost_table'"
          : "SELECT 1 FROM information_schema.tables WHERE table_name = 'ghost_table' AND table_schema = DATABASE()",
      );
      assert.equal(ghostTables.length, 0, 'no table is created just to delete from it');
      await put(run.task, [
        events.event('c', { id: 1 }, null, { id: 1 }),
        events.event('c', { id: 2 }, null, { id: 2 }),
      ]);
      await put(run.task, [
        events.event('d', { id: 1 }, { id: 1 }, null),
        events.tombstone({ id: 1 }),
        events.tombstone({ id: 2 }),
      ]);
      assert.deepEqual(await db.query('SELECT id FROM tomb_by_source'), []);
      assert.deepEqual(run.context.badRecords, []);
    });

    it('metrics: records applied by op, consumer lag in records and in time', async () => {
      const schema = struct('srv.public.m.Value', [['id', int32()]]);
      const topic = uniqueName('metrics');
      const events = new EventFactory(topic, keySchema, schema, 'm');
      const run = await start({
        'auto.create': 'true',
        'delete.enabled': 'true',
        'table.name.format': 'metrics_t',
      });
      run.context.endOffsets.set(`${topic}:0`, 10n);
      await put(run.task, [
        events.event('r', { id: 1 }, null, { id: 1 }),
        events.event('c', { id: 2 }, null, { id: 2 }),
        events.event('d', { id: 2 }, { id: 2 }, null),
        events.event('m', null, null, null),
      ]);
      const labels = `connector="${run.context.connectorName}"`;
      const text = await run.context.metrics.registry.metrics();
      for (const [op, count] of [
        ['r', 1],
        ['c', 1],
        ['d', 1],
        ['skipped', 1],
      ] as const) {
        assert.match(
          text,
          new RegExp(`siphon_sink_jdbc_records_applied_total\\{${labels},op="${op}"\\} ${count}\n`),
        );
      }
      assert.match(
        text,
        new RegExp(`siphon_sink_jdbc_consumer_lag_records\\{${labels},topic="${topic}",partition="0"\\} 6\n`),
      );
      const lag = new RegExp(
        `siphon_sink_jdbc_end_to_end_lag_seconds\\{${labels},topic="${topic}",partition="0"\\} ([\\d.]+)`,
      ).exec(text);
      assert.ok(
        lag && Number(lag[1]) >= 1.4 && Number(lag[1]) < 60,
        `end-to-end lag is now - source ts_ms (${lag?.[1]})`,
      );
    });

    it('exactly.once keeps offsets in the target and never applies a record twice', async () => {
      const topic = uniqueName('ledger');
      const schema = struct('srv.public.ledger.Value', [
        ['entry', int32()],
        ['amount', int64()],
      ]);
      const events = new EventFactory(topic, keySchema, schema, 'ledger');
      const config = {
        'auto.create': 'true',
        'insert.mode': 'insert',
        'primary.key.mode': 'none',
        'exactly.once': 'true',
        'table.name.format': 'ledger',
        mappings: JSON.stringify([{ match: { topic }, values: { src_offset: '${offset}' } }]),
      };
      const name = uniqueName('eos');
      const firstTask = await startTask({ 'connection.url': db.url, ...config }, { name });
      tasks.push(firstTask);
      const records = Array.from({ length: 10 }, (_, i) =>
        events.event('c', { id: i }, null, { entry: i, amount: BigInt(i * 10) }),
      );
      assert.deepEqual([...((await firstTask.task.open?.([{ topic, partition: 0 }])) ?? new Map())], []);
      await put(firstTask.task, records.slice(0, 6));
      // A second task (after a crash, before Kafka offsets were committed) starts from the target's offsets.
      const second = await startTask({ 'connection.url': db.url, ...config }, { name });
      tasks.push(second);
      const stored = await second.task.open?.([{ topic, partition: 0 }]);
      assert.equal(stored?.get(`${topic}:0`), 6n);
      await put(second.task, records); // redelivered from the start: only 6..9 are new
      const rows = await db.query('SELECT entry, src_offset FROM ledger ORDER BY entry');
      assert.deepEqual(
        rows.map((r) => Number(r.entry)),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.deepEqual((await second.task.open?.([{ topic, partition: 0 }]))?.get(`${topic}:0`), 10n);
    });
  });
}
