import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { bigintLongHook } from '../../runtime/converters/avro-long.js';
import { fromAvroSchema, toAvroSchema } from '../../runtime/converters/avro-schema.js';
import { fromAvroValue, toAvroValue } from '../../runtime/converters/avro-value.js';
import {
  LogicalName,
  decimal,
  int32,
  int64,
  logical,
  optional,
  string,
  struct,
} from '../../runtime/record/index.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';

const row = struct('dbserver1.inventory.customers.Value', [
  ['id', int32()],
  ['email', optional(string())],
  ['balance', decimal(2, 10)],
  ['created', logical(LogicalName.MicroTimestamp)],
]);
const envelope = struct('dbserver1.inventory.customers.Envelope', [
  ['before', optional(row)],
  ['after', optional(row)],
  ['op', string()],
  ['ts_ms', optional(int64())],
]);

describe('record model to Avro schema', () => {
  it('follows Confluent AvroData naming and writes a repeated record once', () => {
    const avroSchema = toAvroSchema(envelope) as Record<string, unknown>;
    assert.equal(avroSchema.type, 'record');
    assert.equal(avroSchema.name, 'Envelope');
    assert.equal(avroSchema.namespace, 'dbserver1.inventory.customers');
    assert.equal(avroSchema['connect.name'], 'dbserver1.inventory.customers.Envelope');
    const fields = avroSchema.fields as Record<string, unknown>[];
    const before = fields[0]!;
    assert.equal(before.default, null);
    const [nullBranch, valueRecord] = before.type as [string, Record<string, unknown>];
    assert.equal(nullBranch, 'null');
    assert.equal(valueRecord.name, 'Value');
    assert.equal(valueRecord['connect.name'], 'dbserver1.inventory.customers.Value');
    assert.deepEqual(fields[1]!.type, ['null', 'dbserver1.inventory.customers.Value']);
    const valueFields = valueRecord.fields as Record<string, unknown>[];
    assert.deepEqual(valueFields[2]!.type, {
      type: 'bytes',
      scale: 2,
      precision: 10,
      'connect.version': 1,
      'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
      'connect.name': 'org.apache.kafka.connect.data.Decimal',
      logicalType: 'decimal',
    });
    assert.deepEqual(valueFields[3]!.type, {
      type: 'long',
      'connect.version': 1,
      'connect.name': 'io.debezium.time.MicroTimestamp',
    });
    assert.deepEqual(fields[3], { name: 'ts_ms', type: ['null', 'long'], default: null });
    // avsc accepts it as a valid Avro schema.
    avro.Type.forSchema(avroSchema as avro.Schema);
  });

  it('refuses two different records under one name', () => {
    const other = struct('dbserver1.inventory.customers.Value', [['id', string()]]);
    const bad = struct('x.Envelope', [
      ['before', optional(row)],
      ['after', optional(other)],
    ]);
    assert.throws(() => toAvroSchema(bad), /record dbserver1\.inventory\.customers\.Value appears twice/);
  });

  it('adjusts names Avro does not allow, keeping the original in connect.name', () => {
    const odd = struct('my-prefix.public.2024-orders.Value', [['order-id', int32()]]);
    const avroSchema = toAvroSchema(odd) as Record<string, unknown>;
    assert.equal(avroSchema.namespace, 'my_prefix.public._2024_orders');
    assert.equal((avroSchema.fields as { name: string }[])[0]!.name, 'order_id');
    assert.equal(fromAvroSchema(avroSchema).name, 'my-prefix.public.2024-orders.Value');
  });

  it('round-trips every logical type through avsc binary with bigint longs', () => {
    const avroSchema = toAvroSchema(everyTypeEnvelope);
    const type = avro.Type.forSchema(avroSchema as avro.Schema, { typeHook: bigintLongHook as never });
    const bytes = type.toBuffer(toAvroValue(everyTypeEnvelope, everyTypeEvent));
    const schemaBack = fromAvroSchema(JSON.parse(JSON.stringify(avroSchema)));
    assert.deepEqual(fromAvroValue(schemaBack, type.fromBuffer(bytes)), everyTypeEvent);
    assert.deepEqual(JSON.parse(JSON.stringify(schemaBack)), JSON.parse(JSON.stringify(everyTypeEnvelope)));
  });
});
