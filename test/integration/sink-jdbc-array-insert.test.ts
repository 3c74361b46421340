// PostgreSQL inserts go as one array parameter per column (INSERT … SELECT * FROM unnest)
// when every column's type allows it. The values must land exactly as the row-by-row VALUES
// path lands them: the same records are written into a table that takes the array path and
// into one that cannot (it has an integer[] column, which unnest would flatten), and every
// column is compared as text, along with the values expected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SinkTask } from '../../runtime/plugin/index.js';
import type { Schema } from '../../runtime/record/index.js';
import {
  LogicalName,
  array,
  boolean,
  bytes,
  decimal,
  float64,
  int16,
  int32,
  int64,
  logical,
  optional,
  string,
  struct,
} from '../../runtime/record/index.js';
import { type FakeSinkTaskContext, uniqueName } from '../support/plugin-test-kit.js';
import { EventFactory, createDatabase, startTask, type TestDatabase } from './sink-jdbc-harness.js';

const keySchema = struct('srv.public.hard.Key', [['id', int32()]]);
const fields: [string, Schema][] = [
  ['id', int32()],
  ['small', optional(int16())],
  ['big', optional(int64())],
  ['real_value', optional(float64())],
  ['flag', optional(boolean())],
  ['words', optional(string())],
  ['raw', optional(bytes())],
  ['amount', optional(decimal(4, 30))],
  ['day', optional(logical(LogicalName.Date))],
  ['at', optional(logical(LogicalName.MicroTimestamp))],
  ['zoned', optional(logical(LogicalName.ZonedTimestamp))],
  ['doc', optional(logical(LogicalName.Json))],
  ['span', optional(logical(LogicalName.MicroDuration))],
  ['uid', optional(logical(LogicalName.Uuid))],
];
const withArray = struct('srv.public.hard.Value', [...fields, ['nums', optional(array(optional(int32())))]]);
const plain = struct('srv.public.hard.Value', fields);

const hardTexts = [
  '',
  'NULL',
  'null',
  'a"b',
  'back\\slash\\',
  '{braces}',
  'comma,sep',
  ' pad ',
  'line\nbreak',
  'é ✓ 😀',
  "it's",
];
const rows = hardTexts.map((words, index) => ({
  id: index + 1,
  small: index % 2 === 0 ? -32768 : 32767,
  big: index % 2 === 0 ? -9223372036854775808n : 9223372036854775807n,
  real_value: [0.1, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, 5e-324][
    index % 7
  ],
  flag: index % 3 === 0 ? null : index % 2 === 0,
  words,
  raw: [Buffer.from([0, 92, 34, 123, 125, 44, 255]), Buffer.alloc(0), Buffer.from('\\x41')][index % 3],
  amount: ['12345678901234567890123456.7891', '-0.0001', '0.0000'][index % 3],
  day: [2147483647, -735160, 0][index % 3],
  at: [9223372036854775807n, -735160n * 86_400_000_000n + 1n, 1n][index % 3],
  zoned: ['infinity', '-0043-03-15T10:00:00.5Z', '2026-01-01T00:00:01.123456Z'][index % 3],
  doc: ['{"a": "q\\"uote", "b": [1, {"c": null}]}', '"\\\\"', '[]'][index % 3],
  span: [1n, -86_400_000_001n, 0n][index % 3],
  uid: ['123e4567-e89b-12d3-a456-426614174000', null, '00000000-0000-0000-0000-000000000000'][index % 3],
}));
/** The last row holds nothing but its key. */
const nulls = Object.fromEntries(fields.map(([name]) => [name, null]));

describe('JDBC sink array inserts into PostgreSQL', { concurrency: false }, () => {
  let db: TestDatabase;
  const tasks: { task: SinkTask; context: FakeSinkTaskContext }[] = [];

  before(async () => {
    db = await createDatabase('postgresql');
  });
  after(async () => {
    for (const { task, context } of tasks) {
      context.stop();
      await task.stop();
    }
    await db.drop();
  });

  const write = async (table: string, rowSchema: Schema, extra: Record<string, unknown>) => {
    const started = await startTask(
      { 'connection.url': db.url, 'auto.create': 'true', 'table.name.format': table },
      { tolerance: 'none' },
    );
    tasks.push(started);
    const events = new EventFactory(uniqueName('srv.public.hard'), keySchema, rowSchema);
    const all = [...rows, { ...nulls, id: rows.length + 1 }].map((row) => ({ ...row, ...extra }));
    // Twice: first inserts, then the upsert's update path.
    for (let round = 0; round < 2; round++)
      await started.task.put(all.map((row) => events.event('r', { id: row.id }, null, row)));
  };
  const stored = async (table: string) => {
    const columns = fields.map(([name]) => `"${name}"::text AS "${name}"`).join(', ');
    return db.query(
      `SELECT ${columns}, encode(raw, 'hex') AS raw_hex FROM "${table}" ORDER BY "${table}".id`,
    );
  };

  it('stores every value as the VALUES path does, NULLs and hard texts included', async () => {
    const viaArrays = uniqueName('arrays').replaceAll('-', '_');
    const viaValues = uniqueName('values').replaceAll('-', '_');
    await write(viaArrays, plain, {});
    await write(viaValues, withArray, { nums: [1, null, 3] });
    const arrays = await stored(viaArrays);
    const values = await stored(viaValues);
    assert.equal(arrays.length, rows.length + 1);
    assert.deepEqual(arrays, values);
    assert.deepEqual(
      arrays.map((row) => row.words),
      [...hardTexts, null],
    );
    const first = arrays[0] ?? {};
    assert.equal(first.raw_hex, '005c227b7d2cff');
    assert.equal(first.amount, '12345678901234567890123456.7891');
    assert.equal(first.big, '-9223372036854775808');
    assert.equal(first.zoned, 'infinity');
    assert.deepEqual(
      arrays.slice(0, 7).map((row) => row.real_value),
      ['0.1', '-0', 'NaN', 'Infinity', '-Infinity', '1e+308', '5e-324'],
    );
    assert.ok(Object.values(arrays.at(-1) ?? {}).every((value, index) => index === 0 || value === null));
  });
});
