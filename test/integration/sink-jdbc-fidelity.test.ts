// The sink never writes a value the source does not hold, against the real PostgreSQL and
// MariaDB targets: partial updates for unavailable (TOASTed) columns, decimals that would
// round, ±infinity/BC temporals, MySQL TIME durations, widening schema evolution and
// column names that are JavaScript property names. Each refusal must name the record
// (topic, partition, offset), the column and the value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SinkTask } from '../../runtime/plugin/index.js';
import type { Schema } from '../../runtime/record/index.js';
import {
  LogicalName,
  array,
  decimal,
  int32,
  int64,
  logical,
  optional,
  string,
  struct,
} from '../../runtime/record/index.js';
import { unavailableColumnsHeader } from '../../runtime/cdc/unavailable-columns.js';
import { type FakeSinkTaskContext, uniqueName } from '../support/plugin-test-kit.js';
import { EventFactory, TARGETS, createDatabase, startTask, type TestDatabase } from './sink-jdbc-harness.js';

const keySchema = struct('srv.public.docs.Key', [['id', int32()]]);

async function counter(name: string, context: FakeSinkTaskContext): Promise<number> {
  return (await context.metrics.value(name, { connector: context.connectorName })) ?? 0;
}

for (const target of TARGETS) {
  describe(`JDBC sink fidelity into ${target}`, { concurrency: false }, () => {
    let db: TestDatabase;
    const tasks: { task: SinkTask; context: FakeSinkTaskContext }[] = [];
    const start = async (raw: Record<string, string>) => {
      const started = await startTask(
        { 'connection.url': db.url, 'auto.create': 'true', ...raw },
        { tolerance: 'all' },
      );
      tasks.push(started);
      return started;
    };
    const q = (identifier: string) => (target === 'postgresql' ? `"${identifier}"` : `\`${identifier}\``);
    const text = (column: string) =>
      target === 'postgresql' ? `${q(column)}::text` : `CAST(${q(column)} AS CHAR)`;
    const table = (prefix: string) => uniqueName(prefix).replaceAll('-', '_');

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

    it('an update with unavailable columns keeps their stored values (header and Debezium placeholder)', async () => {
      const name = table('toast');
      const rowSchema = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['n', optional(int32())],
        ['body', optional(string())],
        ['doc', optional(logical(LogicalName.Json))],
        ['nums', optional(array(optional(int32())))],
      ]);
      const events = new EventFactory(uniqueName('srv.public.docs'), keySchema, rowSchema);
      const { task, context } = await start({ 'table.name.format': name });
      const big = 'x'.repeat(32_000);
      const full = (id: number, n: number) => ({
        id,
        n,
        body: `${big}${id}`,
        doc: `{"id": ${id}}`,
        nums: [id, null, 3],
      });
      const withHeader = (record: ReturnType<EventFactory['event']>, columns: string[]) => ({
        ...record,
        headers: [unavailableColumnsHeader(columns)],
      });
      await task.put([
        events.event('r', { id: 1 }, null, full(1, 0)),
        events.event('r', { id: 2 }, null, full(2, 0)),
      ]);
      await task.put([
        // Siphon's header: null values that are not values (json and int[] cannot carry the placeholder).
        withHeader(
          events.event('u', { id: 1 }, null, {
            id: 1,
            n: 1,
            body: '__debezium_unavailable_value',
            doc: null,
            nums: null,
          }),
          ['body', 'doc', 'nums'],
        ),
        // Debezium's own topic: the placeholder in the column's type, no header.
        events.event('u', { id: 2 }, null, {
          id: 2,
          n: 2,
          body: '__debezium_unavailable_value',
          doc: '{"id": 22}',
          nums: [2],
        }),
        // Inserted and then partially updated in one batch: collapsed without losing values.
        events.event('c', { id: 3 }, null, full(3, 0)),
        withHeader(events.event('u', { id: 3 }, null, { id: 3, n: 3, body: null, doc: null, nums: null }), [
          'body',
          'doc',
          'nums',
        ]),
      ]);
      const rows = await db.query(
        `SELECT id, n, ${q('body')} AS body, ${text('doc')} AS doc, ${text('nums')} AS nums FROM ${q(name)} ORDER BY id`,
      );
      const normal = (value: unknown) =>
        JSON.stringify(
          typeof value === 'string'
            ? JSON.parse(value.replace(/^\{(.*)\}$/, '[$1]').replace(/NULL/g, 'null'))
            : value,
        );
      assert.deepEqual(
        rows.map((r) => [Number(r.id), Number(r.n), r.body, JSON.parse(String(r.doc)), normal(r.nums)]),
        [
          [1, 1, `${big}1`, { id: 1 }, '[1,null,3]'],
          [2, 2, `${big}2`, { id: 22 }, '[2]'],
          [3, 3, `${big}3`, { id: 3 }, '[3,null,3]'],
        ],
      );
      assert.equal(context.badRecords.length, 0);

      // A partial update of a row the target does not have is refused and counted, never inserted with holes.
      const before = await counter('siphon_sink_jdbc_partial_updates_without_row_total', context);
      const lonely = withHeader(
        events.event('u', { id: 9 }, null, { id: 9, n: 9, body: null, doc: null, nums: null }),
        ['body'],
      );
      await task.put([lonely]);
      assert.equal((await db.query(`SELECT id FROM ${q(name)} WHERE id = 9`)).length, 0);
      const refused = context.badRecords.at(-1);
      assert.equal(refused?.record.kafkaOffset, lonely.kafkaOffset);
      assert.match(
        refused?.error.message ?? '',
        new RegExp(`${lonely.topic}-0@${lonely.kafkaOffset}.*partial update.*"body"`),
      );
      assert.equal(await counter('siphon_sink_jdbc_partial_updates_without_row_total', context), before + 1);
    });

    it('a decimal the column would round is a bad record naming record, column and value', async () => {
      const name = table('dec');
      const rowSchema = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['amount', optional(decimal(2, 12))],
        ['free', optional(logical(LogicalName.VariableScaleDecimal))],
      ]);
      const events = new EventFactory(uniqueName('srv.public.docs'), keySchema, rowSchema);
      const { task, context } = await start({ 'table.name.format': name });
      const variable = (unscaled: bigint, scale: number) => {
        const hex = unscaled.toString(16);
        return { scale, value: Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex') };
      };
      const ok = events.event('r', { id: 1 }, null, { id: 1, amount: '12.34', free: variable(1n, 20) });
      const tiny = events.event('r', { id: 2 }, null, { id: 2, amount: '1.00', free: variable(1n, 40) });
      const wide = events.event('r', { id: 3 }, null, {
        id: 3,
        amount: '1.00',
        free: variable(12345678901234567890123456789n, 9),
      });
      await task.put([ok, tiny, wide]);
      const rows = await db.query(
        `SELECT id, ${text('amount')} AS amount, ${text('free')} AS free FROM ${q(name)} ORDER BY id`,
      );
      const stored = new Map(rows.map((r) => [Number(r.id), String(r.free)]));
      if (target === 'postgresql') {
        // numeric without precision holds every value exactly.
        assert.equal(stored.get(1), '0.00000000000000000001');
        assert.equal(stored.get(2), '0.0000000000000000000000000000000000000001');
        assert.equal(stored.get(3), '12345678901234567890.123456789');
        assert.equal(context.badRecords.length, 0);
      } else {
        // decimal(65,30): 1e-20 and the 20.9-digit value fit; 1e-40 would become 0.
        assert.equal(stored.get(1)?.replace(/0+$/, ''), '0.00000000000000000001');
        assert.equal(stored.get(3)?.replace(/0+$/, ''), '12345678901234567890.123456789');
        assert.equal(stored.has(2), false);
        assert.equal(context.badRecords.length, 1);
        assert.match(
          context.badRecords[0]?.error.message ?? '',
          new RegExp(
            `${tiny.topic}-0@${tiny.kafkaOffset}.*column "free" value 0\\.0{39}1 has 40 digits after the point, more than the scale 30`,
          ),
        );
      }
    });

    it('±infinity and BC are exact in PostgreSQL, refused in MariaDB naming the column, clamped when asked', async () => {
      const rowSchema = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['day', optional(logical(LogicalName.Date))],
        ['ts', optional(logical(LogicalName.MicroTimestamp))],
        ['tz', optional(logical(LogicalName.ZonedTimestamp))],
      ]);
      const events = new EventFactory(uniqueName('srv.public.docs'), keySchema, rowSchema);
      const rows = [
        { id: 1, day: 2147483647, ts: 9223372036854775807n, tz: 'infinity' },
        { id: 2, day: -2147483648, ts: -9223372036854775808n, tz: '-infinity' },
        // 0044-03-15 BC, 0001-01-01, 9999-12-31
        { id: 3, day: -735160, ts: -735160n * 86_400_000_000n + 1n, tz: '-0043-03-15T10:00:00.5Z' },
        { id: 4, day: -719162, ts: -62135596800000000n, tz: '0001-01-01T00:00:00Z' },
        { id: 5, day: 2932896, ts: 253402300799999999n, tz: '9999-12-31T23:59:59.999999Z' },
      ];
      const select = (name: string) =>
        db.query(
          target === 'postgresql'
            ? `SELECT id, day::text AS day, ts::text AS ts, (tz AT TIME ZONE 'UTC')::text AS tz FROM ${q(name)} ORDER BY id`
            : `SELECT id, CAST(day AS CHAR) AS day, CAST(ts AS CHAR) AS ts, CAST(tz AS CHAR) AS tz FROM ${q(name)} ORDER BY id`,
        );
      const name = table('temporal');
      const { task, context } = await start({ 'table.name.format': name });
      const records = rows.map((row) => events.event('r', { id: row.id }, null, row));
      await task.put(records);
      const stored = (await select(name)).map((r) => [Number(r.id), r.day, r.ts, r.tz]);
      if (target === 'postgresql') {
        assert.deepEqual(stored, [
          [1, 'infinity', 'infinity', 'infinity'],
          [2, '-infinity', '-infinity', '-infinity'],
          [3, '0044-03-15 BC', '0044-03-15 00:00:00.000001 BC', '0044-03-15 10:00:00.5 BC'],
          [4, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00'],
          [5, '9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999'],
        ]);
        return;
      }
      assert.deepEqual(
        stored.map((r) => r[0]),
        [4, 5],
      );
      assert.deepEqual(
        context.badRecords.map((bad) => bad.record.kafkaOffset),
        records.slice(0, 3).map((r) => r.kafkaOffset),
      );
      assert.match(
        context.badRecords[0]?.error.message ?? '',
        /column "day": infinity has no MySQL\/MariaDB DATE/,
      );
      assert.match(
        context.badRecords[2]?.error.message ?? '',
        /column "day": date 0044-03-15 BC is outside the years 1 to 9999/,
      );
      const clamped = table('clamped');
      const clamping = await start({ 'table.name.format': clamped, 'temporal.out.of.range.mode': 'clamp' });
      await clamping.task.put(rows.slice(0, 3).map((row) => events.event('r', { id: row.id }, null, row)));
      assert.deepEqual(
        (await select(clamped)).map((r) => [Number(r.id), r.day, r.ts, r.tz]),
        [
          [1, '9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999'],
          [2, '0001-01-01', '0001-01-01 00:00:00.000000', '0001-01-01 00:00:00.000000'],
          [3, '0001-01-01', '0001-01-01 00:00:00.000000', '0001-01-01 00:00:00.000000'],
        ],
      );
    });

    it('MySQL TIME durations are exact in MariaDB and refused by a PostgreSQL time column', async () => {
      const rowSchema = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['t', optional(logical(LogicalName.MicroTime))],
      ]);
      const events = new EventFactory(uniqueName('srv.public.docs'), keySchema, rowSchema);
      const name = table('times');
      const { task, context } = await start({ 'table.name.format': name });
      const negative = events.event('r', { id: 1 }, null, { id: 1, t: -45_296_123_456n });
      const long = events.event('r', { id: 2 }, null, { id: 2, t: 3_020_399_000_000n });
      await task.put([negative, long, events.event('r', { id: 3 }, null, { id: 3, t: 45_296_123_456n })]);
      const stored = (await db.query(`SELECT id, ${text('t')} AS t FROM ${q(name)} ORDER BY id`)).map((r) => [
        Number(r.id),
        r.t,
      ]);
      if (target === 'mariadb') {
        assert.deepEqual(stored, [
          [1, '-12:34:56.123456'],
          [2, '838:59:59.000000'],
          [3, '12:34:56.123456'],
        ]);
        assert.equal(context.badRecords.length, 0);
        return;
      }
      assert.deepEqual(stored, [[3, '12:34:56.123456']]);
      assert.match(
        context.badRecords[0]?.error.message ?? '',
        /column "t": time -12:34:56.123456 is outside 00:00:00 to 24:00:00/,
      );
      assert.match(
        context.badRecords[1]?.error.message ?? '',
        /column "t": time 838:59:59.000000 is outside/,
      );
    });

    it('schema.evolution=basic widens int→bigint and numeric(10,2)→numeric(20,2), never narrows', async () => {
      const name = table('widen');
      const narrow = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['n', optional(int32())],
        ['amount', optional(decimal(2, 10))],
      ]);
      const wide = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['n', optional(int64())],
        ['amount', optional(decimal(2, 20))],
      ]);
      const first = new EventFactory(uniqueName('srv.public.docs'), keySchema, narrow);
      const { task, context } = await start({ 'table.name.format': name, 'schema.evolution': 'basic' });
      await task.put([first.event('r', { id: 1 }, null, { id: 1, n: 5, amount: '12345678.12' })]);
      const second: Schema = wide;
      const later = new EventFactory(first.topic, keySchema, second);
      await task.put([
        later.event('u', { id: 1 }, null, { id: 1, n: 6_000_000_000n, amount: '123456789012345678.12' }),
      ]);
      // Back to the narrow schema: nothing is narrowed, the values still fit.
      await task.put([first.event('u', { id: 2 }, null, { id: 2, n: 7, amount: '1.50' })]);
      const rows = await db.query(
        `SELECT id, ${text('n')} AS n, ${text('amount')} AS amount FROM ${q(name)} ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.id), r.n, r.amount]),
        [
          [1, '6000000000', '123456789012345678.12'],
          [2, '7', '1.50'],
        ],
      );
      assert.equal(context.badRecords.length, 0);
    });

    it('a column schema.evolution cannot widen is named in the task status, with the reason', async () => {
      const name = table('keep');
      await db.query(`CREATE TABLE ${q(name)} (${q('code')} varchar(5) PRIMARY KEY, ${q('n')} integer)`);
      const codeKey = struct('srv.public.codes.Key', [['code', string()]]);
      const row = struct('srv.public.codes.Value', [
        ['code', string()],
        ['n', optional(int32())],
      ]);
      const events = new EventFactory(uniqueName('srv.public.codes'), codeKey, row);
      const { task, context } = await start({ 'table.name.format': name, 'schema.evolution': 'basic' });
      await task.put([events.event('c', { code: 'ab' }, null, { code: 'ab', n: 1 })]);
      assert.deepEqual(context.progress, {}, 'nothing to say while every column fits');
      await task.put([events.event('c', { code: 'toolong' }, null, { code: 'toolong', n: 2 })]);
      assert.equal(context.progress.columns_not_evolved, 1);
      assert.match(
        String(context.progress.not_evolved),
        new RegExp(
          `${name}: key column "code" (varchar|character varying)\\(5\\) is shorter than a value \\(7 characters\\); widen it by hand`,
        ),
      );
      assert.equal(context.badRecords.length, 1, 'the value that does not fit is a bad record');
    });

    it('ADD COLUMN with a default upstream gives existing target rows that default', async () => {
      const name = table('added');
      const v1 = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['n', optional(int32())],
      ]);
      const v2 = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['n', optional(int32())],
        ['score', { ...optional(int32()), defaultValue: 42 }],
      ]);
      const first = new EventFactory(uniqueName('srv.public.docs'), keySchema, v1);
      const { task, context } = await start({ 'table.name.format': name, 'schema.evolution': 'basic' });
      await task.put([
        first.event('r', { id: 1 }, null, { id: 1, n: 1 }),
        first.event('r', { id: 2 }, null, { id: 2, n: 2 }),
      ]);
      const later = new EventFactory(first.topic, keySchema, v2);
      await task.put([later.event('c', { id: 3 }, null, { id: 3, n: 3, score: 7 })]);
      const rows = await db.query(`SELECT id, score FROM ${q(name)} ORDER BY id`);
      assert.deepEqual(
        rows.map((r) => [Number(r.id), Number(r.score)]),
        [
          [1, 42],
          [2, 42],
          [3, 7],
        ],
      );
      assert.equal(context.badRecords.length, 0);
    });

    it('columns named like JavaScript properties are ordinary columns; two fields onto one column are refused', async () => {
      const name = table('proto');
      const rowSchema = struct('srv.public.docs.Value', [
        ['id', int32()],
        ['__proto__', optional(string())],
        ['constructor', optional(string())],
        ['toString', optional(int64())],
      ]);
      const events = new EventFactory(uniqueName('srv.public.docs'), keySchema, rowSchema);
      const { task, context } = await start({
        'table.name.format': name,
        mappings: JSON.stringify([
          { name: 'odd', match: { topic: events.topic }, filter: 'constructor is not null' },
        ]),
      });
      const row = Object.create(null) as Record<string, unknown>;
      Object.assign(row, { id: 1, constructor: 'c', toString: 7n });
      Object.defineProperty(row, '__proto__', { value: 'p', enumerable: true });
      await task.put([events.event('r', { id: 1 }, null, row)]);
      const rows = await db.query(
        `SELECT ${q('__proto__')} AS p, ${q('constructor')} AS c, ${text('toString')} AS t FROM ${q(name)}`,
      );
      assert.deepEqual(
        rows.map((r) => [r.p, r.c, r.t]),
        [['p', 'c', '7']],
      );
      assert.equal(context.badRecords.length, 0);

      const clash = await start({
        'table.name.format': table('clash'),
        mappings: JSON.stringify([
          { name: 'clash', match: { topic: events.topic }, rename: { constructor: 'id2', toString: 'id2' } },
        ]),
      }).catch((error: Error) => error);
      assert.ok(clash instanceof Error, 'two renames onto one name are refused at validation');
      const onto = await start({
        'table.name.format': table('onto'),
        mappings: JSON.stringify([
          { name: 'onto', match: { topic: events.topic }, rename: { constructor: '__proto__' } },
        ]),
      });
      await onto.task.put([events.event('r', { id: 2 }, null, row)]);
      assert.match(
        onto.context.badRecords[0]?.error.message ?? '',
        /mappings\[0\] \("onto"\) maps both "__proto__" and "constructor" onto column "__proto__"/,
      );
    });
  });
}
