// Every MySQL/MariaDB column type, read once by the snapshot and once from the binlog:
// both paths must give the same Debezium values, and the values must be the expected ones.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import { epochDay } from '../../runtime/cdc/index.js';
import { bigintLongHook } from '../../runtime/converters/avro-long.js';
import { fromAvroSchema, toAvroSchema } from '../../runtime/converters/avro-schema.js';
import { fromAvroValue, toAvroValue } from '../../runtime/converters/avro-value.js';
import { validateValue } from '../../runtime/record/index.js';
import type { Schema, Struct } from '../../runtime/record/index.js';
import { asPlainObjects } from '../support/plain-objects.js';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

const db = new TestDatabase();

/** Encodes with the Avro form of `schema` and decodes again, as the Avro converter does. */
function avroRoundTrip(schema: Schema, value: unknown): unknown {
  const type = avro.Type.forSchema(toAvroSchema(schema) as avro.Schema, { typeHook: bigintLongHook });
  const bytes = type.toBuffer(toAvroValue(schema, value));
  return fromAvroValue(fromAvroSchema(toAvroSchema(schema)), type.fromBuffer(bytes));
}
const topics: string[] = [];

const columns = `
  id INT PRIMARY KEY,
  tiny TINYINT, flag TINYINT(1), utiny TINYINT UNSIGNED, small SMALLINT, usmall SMALLINT UNSIGNED,
  med MEDIUMINT, i INT, ui INT UNSIGNED, big BIGINT, ubig BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, amount DECIMAL(20,6),
  bit1 BIT(1), bits BIT(10),
  day DATE, zero_day DATE NULL, tm TIME(6), dtm DATETIME(3), dtm6 DATETIME(6), ts TIMESTAMP(6) NULL, yr YEAR,
  ch CHAR(5), vc VARCHAR(50), latin VARCHAR(20) CHARACTER SET latin1, txt TEXT,
  bin BINARY(4), vb VARBINARY(10), bl BLOB,
  size ENUM('small','large'), tags SET('a','b','c'), doc JSON, place POINT, uid UUID, nothing VARCHAR(5) NULL,
  gen BIGINT AS (i + 1) PERSISTENT`;
const columnNames = columns
  .split(',')
  .map((c) => c.trim().split(/\s+/)[0]!)
  .filter((name) => /^[a-z_0-9]+$/.test(name) && !['gen', 'PRIMARY'].includes(name) && !/^\d/.test(name));
const insert = (id: number, rowValues: string) =>
  `INSERT INTO ${db.name}.all_types (${['id', ...columnNames.slice(1)].join(', ')}) VALUES (${id}, ${rowValues})`;

const values = `
  -5, 1, 250, -300, 65000, -8000000, -2000000000, 4000000000, -9000000000000000000, 18446744073709551615,
  1.5, 2.25, 12345.6789,
  b'1', b'1010000001',
  '2024-02-29', '0000-00-00', '12:30:00.5', '2024-02-29 13:14:15.123', '2024-02-29 13:14:15.123456',
  '2024-02-29 13:14:15.123456', 2024,
  'abc', 'héllo ✓', 'café', 'long text',
  x'0102', x'deadbeef', x'00ff00',
  'large', 'c,a', '{"k": [1, 2]}', ST_GeomFromText('POINT(1 2)'), '123e4567-e89b-12d3-a456-426614174000', NULL`;

// The edges: YEAR 0000, TIME below zero and past 24 h, the first DATE/DATETIME, unsigned maxima.
const edges = values
  .replace("'12:30:00.5'", "'-838:59:59.000000'")
  .replace("'2024-02-29', '0000-00-00'", "'1000-01-01', '0000-00-00'")
  .replace("'2024-02-29 13:14:15.123',", "'1000-01-01 00:00:00.000',")
  .replace(', 2024,', ', 0,')
  .replace('250, -300, 65000', '255, -300, 65535');

before(async () => {
  await db.create();
  // The zero date needs a permissive sql_mode on the writing session.
  await db.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
  await db.query(`CREATE TABLE ${db.name}.all_types (${columns})`);
  await db.query(insert(1, values));
  await db.query(insert(3, edges));
});

after(async () => {
  await db.drop(topics);
});

test('all types: snapshot and binlog give the same, expected Debezium values', async () => {
  const raw = connectorConfig(db.name, { 'tinyint1.as.boolean': 'true' });
  topics.push(raw['schema.history.internal.kafka.topic']!);
  const topic = `${db.name}.${db.name}.all_types`;
  const task = startTask(raw);
  let read: Struct;
  let streamed: Struct;
  let schema: Schema;
  let readEdges: Struct;
  let streamedEdges: Struct;
  try {
    const snapshot = await task.collect((all) => changeRecords(all, topic).length >= 2);
    await db.query(insert(2, values));
    await db.query(insert(4, edges));
    const records = changeRecords(await task.collect((all) => changeRecords(all, topic).length >= 4), topic);
    assert.equal(snapshot.length > 0, true);
    const byId = (id: number) => envelope(records.find((r) => envelope(r).after?.id === id)!).after!;
    [read, streamed, readEdges, streamedEdges] = [byId(1), byId(2), byId(3), byId(4)];
    schema = records[1]!.valueSchema!;
    // Each record fits its schema and survives the Avro mapping of the converters unchanged.
    for (const record of records) {
      validateValue(record.valueSchema!, record.value);
      assert.deepEqual(
        asPlainObjects(avroRoundTrip(record.valueSchema!, record.value)),
        asPlainObjects(record.value),
      );
      assert.deepEqual(
        asPlainObjects(avroRoundTrip(record.keySchema!, record.key)),
        asPlainObjects(record.key),
      );
    }
  } finally {
    await task.stop();
  }
  for (const [snapshotRow, binlogRow] of [
    [read, streamed],
    [readEdges, streamedEdges],
  ] as const) {
    for (const name of Object.keys(snapshotRow)) {
      if (name === 'id') continue;
      assert.deepEqual(
        binlogRow[name],
        snapshotRow[name],
        `column ${name}: the binlog and the snapshot agree`,
      );
    }
    assert.deepEqual(Object.keys(binlogRow), Object.keys(snapshotRow));
  }
  assert.deepEqual(
    [
      readEdges.yr,
      readEdges.tm,
      readEdges.day,
      readEdges.dtm,
      readEdges.utiny,
      readEdges.usmall,
      readEdges.gen,
    ],
    [
      0,
      -(838n * 3600n + 59n * 60n + 59n) * 1_000_000n,
      epochDay(1000, 1, 1),
      BigInt(epochDay(1000, 1, 1)) * 86_400_000n,
      255,
      65535,
      -1999999999n,
    ],
  );
  const microsOfDay = (h: number, m: number, s: number) => BigInt(((h * 60 + m) * 60 + s) * 1_000_000);
  const dayMicros = BigInt(epochDay(2024, 2, 29)) * 86_400_000_000n;
  assert.deepEqual(read, {
    id: 1,
    tiny: -5,
    flag: true,
    utiny: 250,
    small: -300,
    usmall: 65000,
    med: -8000000,
    i: -2000000000,
    ui: 4000000000n,
    big: -9000000000000000000n,
    ubig: -1n, // bigint.unsigned.handling.mode=long wraps above 2^63-1, as Debezium does
    f: 1.5,
    d: 2.25,
    amount: '12345.678900',
    bit1: true,
    bits: Buffer.from([0x81, 0x02]),
    day: epochDay(2024, 2, 29),
    zero_day: null,
    tm: microsOfDay(12, 30, 0) + 500_000n,
    dtm: (dayMicros + microsOfDay(13, 14, 15)) / 1000n + 123n,
    dtm6: dayMicros + microsOfDay(13, 14, 15) + 123_456n,
    ts: '2024-02-29T13:14:15.123456Z',
    yr: 2024,
    ch: 'abc',
    vc: 'héllo ✓',
    latin: 'café',
    txt: 'long text',
    bin: Buffer.from([1, 2, 0, 0]),
    vb: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    bl: Buffer.from([0, 0xff, 0]),
    size: 'large',
    tags: 'a,c',
    doc: '{"k": [1, 2]}',
    place: { wkb: Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'), srid: null },
    uid: '123e4567-e89b-12d3-a456-426614174000',
    nothing: null,
    gen: -1999999999n,
  });
  const fields = new Map(
    schema.fields!.find((f) => f.name === 'after')!.schema.fields!.map((f) => [f.name, f.schema]),
  );
  assert.equal(
    fields.get('doc')?.name,
    'io.debezium.data.Json',
    "MariaDB's JSON (LONGTEXT + json_valid) is detected",
  );
  assert.equal(fields.get('tm')?.name, 'io.debezium.time.MicroTime');
  assert.equal(fields.get('dtm')?.name, 'io.debezium.time.Timestamp');
  assert.equal(fields.get('dtm6')?.name, 'io.debezium.time.MicroTimestamp');
  assert.equal(fields.get('ts')?.name, 'io.debezium.time.ZonedTimestamp');
  assert.equal(fields.get('day')?.name, 'io.debezium.time.Date');
  assert.equal(fields.get('size')?.parameters?.allowed, 'small,large');
  assert.equal(fields.get('bits')?.parameters?.length, '10');
  assert.equal(fields.get('amount')?.parameters?.scale, '6');
});
