import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateValue } from '../../runtime/record/validate-value.js';
import type { SourceOffset, SourceRecord, Struct } from '../../runtime/record/index.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';

/** One table with every built-in type family: the same values through snapshot and streaming. */
const columns = `
  c_smallint smallint, c_int int, c_bigint bigint, c_real real, c_double double precision,
  c_numeric numeric(10,3), c_numeric_var numeric, c_numeric_nan numeric, c_numeric_inf numeric, c_money money,
  c_bool boolean, c_text text, c_varchar varchar(20), c_char char(5), c_bytea bytea,
  c_date date, c_date_inf date, c_time time, c_time3 time(3), c_timetz timetz,
  c_ts timestamp, c_ts3 timestamp(3), c_tstz timestamptz, c_ts_inf timestamp, c_tstz_inf timestamptz,
  c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_xml xml,
  c_inet inet, c_cidr cidr, c_macaddr macaddr, c_bit1 bit(1), c_bit bit(10), c_varbit varbit(20),
  c_int_arr int[], c_text_arr text[], c_ts_arr timestamp[], c_mood mood, c_mood_arr mood[], c_domain posint, c_hstore hstore,
  c_point point, c_box box, c_polygon polygon, c_circle circle, c_int4range int4range, c_tsvector tsvector,
  c_oid oid, c_null text, c_snapshot pg_snapshot`;

const values = `
  -12, 2147483647, 9223372036854775807, 1.5, 3.141592653589793,
  -1234.5, 0.000123456789012345678, 'NaN', 'Infinity', 1234.56,
  true, 'héllo "quoted"', 'varchar', 'ab', '\\xdeadbeef',
  '2024-02-29', 'infinity', '13:45:07.123456', '13:45:07.123', '13:45:07.5+02',
  '2024-02-29 13:45:07.123456', '1969-12-31 23:59:59.999', '2024-02-29 13:45:07.25+02', 'infinity', '-infinity',
  '1 year 2 months 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": null}', '<x>1</x>',
  '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', B'1', B'1010000001', B'101',
  '{1,NULL,3}', '{"a,b","c\\"d",NULL}', '{"2024-01-01 00:00:00.5"}', 'happy', '{sad,ok}', 7, 'k1=>v1, "k 2"=>NULL',
  '(1.5,-2)', '((0,0),(1,1))', '((0,0),(1,0),(1,1))', '<(1,1),2>', '[1,5)', 'fat cat',
  4000000000, NULL, pg_current_snapshot()`;

describe('PostgreSQL source: all types', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE EXTENSION hstore');
    await db.client.query("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    await db.client.query('CREATE DOMAIN posint AS int CHECK (VALUE > 0)');
    await db.client.query(`CREATE TABLE all_types (id int PRIMARY KEY, ${columns})`);
    await db.client.query(`INSERT INTO all_types VALUES (1, ${values})`);
  });
  after(async () => {
    await db?.drop();
  });

  it('gives the same values through snapshot and streaming, as Debezium maps them', async () => {
    const offsets = new Map<string, SourceOffset>();
    const run = new TaskRun(connectorConfig(db.name), offsets);
    try {
      const isRow = (r: SourceRecord, op: string): boolean =>
        r.topic === 'it.public.all_types' && (r.value as { op?: string } | null)?.op === op;
      const snap = await run.drain((all) => all.some((r) => isRow(r, 'r')));
      await db.client.query(`INSERT INTO all_types VALUES (2, ${values})`);
      const streamed = await run.drain((all) => all.some((r) => isRow(r, 'c')));
      const read = [...snap].find((r) => isRow(r, 'r'))!;
      const created = streamed.find((r) => isRow(r, 'c'))!;
      for (const record of [read, created]) {
        // Debezium emits '-infinity' for an infinite timestamptz, which runtime/record's
        // ZonedTimestamp check does not accept yet: validated without that one field.
        const value = record.value as { after: Struct };
        validateValue(record.valueSchema!, { ...value, after: { ...value.after, c_tstz_inf: null } });
        validateValue(record.keySchema!, record.key);
      }
      const a = asPlainObjects((read.value as { after: Struct }).after) as Struct;
      const b = asPlainObjects((created.value as { after: Struct }).after) as Struct;
      assert.deepEqual({ ...b, id: 1 }, a);
      assert.deepEqual(read.valueSchema, created.valueSchema);
      assert.deepEqual(asPlainObjects(created.key), { id: 2 });

      const fieldNames = (read.valueSchema!.fields![0]!.schema.fields ?? []).map((f) => f.name);
      assert.ok(!fieldNames.includes('c_snapshot'), 'unknown type left out by default');
      const schemaOf = (name: string) =>
        read.valueSchema!.fields![0]!.schema.fields!.find((f) => f.name === name)!.schema;
      assert.equal(a['c_bigint'], 9223372036854775807n);
      assert.equal(a['c_numeric'], '-1234.500');
      assert.deepEqual(schemaOf('c_numeric').parameters, { scale: '3', 'connect.decimal.precision': '10' });
      assert.deepEqual(a['c_numeric_var'], {
        scale: 21,
        value: Buffer.from(BigInt('123456789012345678').toString(16).padStart(16, '0'), 'hex'),
      });
      assert.equal(a['c_numeric_nan'], null);
      assert.equal(a['c_money'], '1234.56');
      assert.deepEqual(a['c_bytea'], Buffer.from('deadbeef', 'hex'));
      assert.equal(a['c_date'], 19782);
      assert.equal(a['c_time'], 49507123456n);
      assert.equal(schemaOf('c_time3').name, 'io.debezium.time.Time');
      assert.equal(a['c_time3'], 49507123);
      assert.equal(a['c_timetz'], '11:45:07.5Z');
      assert.equal(a['c_ts'], 1709214307123456n);
      assert.equal(a['c_ts3'], -1n);
      assert.equal(a['c_tstz'], '2024-02-29T11:45:07.250000Z');
      assert.equal(a['c_ts_inf'], 9223372036854775807n);
      assert.equal(a['c_tstz_inf'], '-infinity');
      assert.equal(
        a['c_interval'],
        BigInt(Math.round(14 * 30.4375 * 86400e6)) + 3n * 86400000000n + 14706500000n,
      );
      assert.equal(schemaOf('c_uuid').name, 'io.debezium.data.Uuid');
      assert.equal(a['c_jsonb'], '{"b": null}');
      assert.equal(a['c_bit1'], true);
      assert.deepEqual(a['c_bit'], Buffer.from([0x81, 0x02]));
      assert.deepEqual(a['c_int_arr'], [1, null, 3]);
      assert.deepEqual(a['c_text_arr'], ['a,b', 'c"d', null]);
      assert.deepEqual(a['c_ts_arr'], [1704067200500000n]);
      assert.equal(a['c_mood'], 'happy');
      assert.equal(schemaOf('c_mood').parameters?.['allowed'], 'sad,ok,happy');
      assert.deepEqual(a['c_mood_arr'], ['sad', 'ok']);
      assert.equal(a['c_domain'], 7);
      assert.equal(a['c_hstore'], '{"k1":"v1","k 2":null}');
      assert.deepEqual(
        { ...(a['c_point'] as Struct), wkb: undefined },
        { x: 1.5, y: -2, wkb: undefined, srid: null },
      );
      assert.equal(a['c_box'], '(1,1),(0,0)');
      assert.equal(a['c_oid'], 4000000000n);
      assert.equal(a['c_null'], null);
      assert.equal(a['c_text'], 'héllo "quoted"');
      assert.equal(a['c_char'], 'ab   ');
    } finally {
      await run.stop();
    }
  });
});
