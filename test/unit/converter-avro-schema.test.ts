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
  newStruct,
  optional,
  string,
  struct,
} from '../../runtime/record/index.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { asPlainObjects } from '../support/plain-objects.js';
import { avscTypeHook } from '../../runtime/converters/avsc-type-hook.js';

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
    assert.deepEqual(asPlainObjects(fromAvroValue(schemaBack, type.fromBuffer(bytes))), everyTypeEvent);
    assert.deepEqual(JSON.parse(JSON.stringify(schemaBack)), JSON.parse(JSON.stringify(everyTypeEnvelope)));
  });
});

describe('field names that are JavaScript property names', () => {
  it('__proto__, constructor and toString fields round-trip through avsc binary', () => {
    const schema = struct('srv.public.odd.Value', [
      ['id', int32()],
      ['__proto__', optional(string())],
      ['constructor', optional(string())],
      ['toString', optional(string())],
    ]);
    const value = newStruct();
    value.id = 1;
    value['__proto__'] = 'p';
    Object.assign(value, { constructor: 'c', toString: 't' });
    const avroSchema = toAvroSchema(schema);
    assert.deepEqual(
      (avroSchema as { fields: { name: string }[] }).fields.map((f) => f.name),
      ['id', '__proto__', 'constructor', 'toString'],
      'the registered schema keeps the names',
    );
    const type = avro.Type.forSchema(avroSchema as avro.Schema, { typeHook: avscTypeHook as never });
    const back = fromAvroValue(
      fromAvroSchema(avroSchema),
      type.fromBuffer(type.toBuffer(toAvroValue(schema, value))),
    );
    assert.deepEqual(Object.entries(back as object), [
      ['id', 1],
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['toString', 't'],
    ]);
  });
});

describe('field defaults', () => {
  it('int64 and timestamp defaults map to Avro and back', () => {
    const schema = struct('srv.public.defaults.Value', [
      ['id', int32()],
      ['n', { ...optional(int64()), defaultValue: 5n }],
      ['at', { ...optional(logical(LogicalName.MicroTimestamp)), defaultValue: 1_700_000_000_000_000n }],
    ]);
    const avroSchema = toAvroSchema(schema);
    avro.Type.forSchema(avroSchema as avro.Schema, { typeHook: avscTypeHook as never });
    const back = fromAvroSchema(avroSchema);
    assert.deepEqual(
      back.fields?.map((f) => f.schema.defaultValue),
      [undefined, 5n, 1_700_000_000_000_000n],
    );
  });
});
