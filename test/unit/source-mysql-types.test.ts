import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  alreadyEmitted,
  compareBinlogFiles,
  fromSourceOffset,
  toSourceOffset,
} from '../../connectors/source-mysql/binlog-offset.js';
import {
  columnConverter,
  dateTimeMicros,
  enumValues,
  timeMicros,
  zonedTimestamp,
} from '../../connectors/source-mysql/type-mapping.js';
import type { TypeOptions } from '../../connectors/source-mysql/type-mapping.js';
import { mysqlSourceSchema } from '../../connectors/source-mysql/source-info.js';
import { toAvroSchema } from '../../runtime/converters/avro-schema.js';
import type { TableColumn } from '../../connectors/source-mysql/table-structure.js';

const defaults: TypeOptions = {
  decimalMode: 'precise',
  timePrecisionMode: 'adaptive_time_microseconds',
  binaryMode: 'bytes',
  bigintUnsignedMode: 'long',
  tinyint1AsBoolean: false,
};

function column(columnType: string, nullable = true, extra: Partial<TableColumn> = {}): TableColumn {
  return { name: 'c', columnType, nullable, charset: null, json: false, ...extra };
}

function convert(
  columnType: string,
  raw: unknown,
  options: Partial<TypeOptions> = {},
  nullable = true,
): unknown {
  return columnConverter(column(columnType, nullable), { ...defaults, ...options }).convert(raw);
}

test('integers: widened when unsigned, TINYINT(1) as boolean only when asked', () => {
  assert.equal(columnConverter(column('tinyint(1)'), defaults).schema.type, 'int16');
  assert.equal(convert('tinyint(1)', 1, { tinyint1AsBoolean: true }), true);
  assert.equal(columnConverter(column('smallint(5) unsigned'), defaults).schema.type, 'int32');
  assert.equal(convert('int(10) unsigned', 4294967295), 4294967295n);
  assert.equal(convert('bigint(20) unsigned', '18446744073709551615'), -1n);
  assert.equal(
    convert('bigint(20) unsigned', '18446744073709551615', { bigintUnsignedMode: 'precise' }),
    '18446744073709551615',
  );
  assert.equal(convert('bigint(20)', '-9223372036854775808'), -9223372036854775808n);
});

test('DECIMAL in each decimal.handling.mode', () => {
  assert.equal(convert('decimal(10,3)', '-12.5'), '-12.500');
  assert.equal(convert('decimal(10,3)', '-12.5', { decimalMode: 'double' }), -12.5);
  assert.equal(convert('decimal(10,3)', '-12.500', { decimalMode: 'string' }), '-12.500');
  assert.deepEqual(columnConverter(column('decimal(10,3)'), defaults).schema.parameters, {
    scale: '3',
    'connect.decimal.precision': '10',
  });
});

test('temporal values, zero dates and time.precision.mode', () => {
  assert.equal(timeMicros('-838:59:59.000001'), -(838n * 3600n + 59n * 60n + 59n) * 1_000_000n - 1n);
  assert.equal(dateTimeMicros('1970-01-02 00:00:01.5'), 86_401_500_000n);
  assert.equal(dateTimeMicros('0000-00-00 00:00:00'), null);
  assert.equal(zonedTimestamp('2024-01-02 03:04:05.120'), '2024-01-02T03:04:05.120Z');
  assert.equal(convert('date', '0000-00-00'), null, 'zero date in a nullable column');
  assert.equal(convert('date', '2024-00-10', {}, false), 0, 'zero date in a NOT NULL column: the epoch');
  assert.equal(convert('datetime(3)', '1970-01-01 00:00:01.250'), 1250n);
  assert.equal(convert('datetime(6)', '1970-01-01 00:00:01.250001'), 1_250_001n);
  assert.equal(convert('time(3)', '00:00:01.5', { timePrecisionMode: 'adaptive' }), 1500);
  assert.equal(convert('time', '00:00:01', {}), 1_000_000n);
  assert.equal(
    columnConverter(column('datetime'), { ...defaults, timePrecisionMode: 'connect' }).schema.name,
    'org.apache.kafka.connect.data.Timestamp',
  );
  assert.equal(convert('timestamp', '0000-00-00 00:00:00', {}, false), '1970-01-01T00:00:00Z');
});

test('BIT, ENUM / SET, binary modes, JSON and GEOMETRY', () => {
  assert.equal(convert('bit(1)', Buffer.from([1])), true);
  assert.deepEqual(convert('bit(12)', Buffer.from([0x0a, 0xbc])), Buffer.from([0xbc, 0x0a]));
  assert.deepEqual(enumValues("enum('a','it''s','x,y')"), ['a', "it's", 'x,y']);
  assert.equal(columnConverter(column("set('r','w')"), defaults).schema.name, 'io.debezium.data.EnumSet');
  assert.equal(convert('varbinary(4)', Buffer.from([0xff, 0x01]), { binaryMode: 'hex' }), 'ff01');
  assert.equal(convert('blob', Buffer.from('hi'), { binaryMode: 'base64' }), 'aGk=');
  const json = columnConverter(column('longtext', true, { json: true }), defaults);
  assert.equal(json.schema.name, 'io.debezium.data.Json');
  const line = convert('linestring', [
    { x: 0, y: 0 },
    { x: 1, y: 1 },
  ]) as { wkb: Buffer };
  assert.equal(line.wkb.readUInt32LE(1), 2);
  assert.equal(line.wkb.readUInt32LE(5), 2);
});

test('binlog offsets round-trip and say which rows a restart skips', () => {
  const offset = {
    file: 'mysql-bin.000003',
    pos: 1234,
    event: 2,
    row: 4,
    gtids: '0-1-42',
    tsSec: 1700000000,
    snapshot: null,
    snapshotTable: null,
    snapshotKey: null,
  };
  assert.deepEqual(fromSourceOffset(toSourceOffset(offset)), offset);
  assert.equal(alreadyEmitted(offset, 1, 99), true);
  assert.equal(alreadyEmitted(offset, 2, 4), true);
  assert.equal(alreadyEmitted(offset, 2, 5), false);
  assert.equal(alreadyEmitted(offset, 3, 0), false);
  assert.ok(compareBinlogFiles('mysql-bin.000010', 'mysql-bin.000009') > 0);
  assert.throws(() => fromSourceOffset({ lsn: 5 }), /no valid binlog file\/pos/);
});

test('schemas/mysql-source.avsc is the Avro form of the source block schema', () => {
  const published = JSON.parse(
    readFileSync(new URL('../../schemas/mysql-source.avsc', import.meta.url), 'utf8'),
  ) as unknown;
  assert.deepEqual(published, toAvroSchema(mysqlSourceSchema));
});
