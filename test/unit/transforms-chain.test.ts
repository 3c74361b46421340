import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SinkRecord } from '../../runtime/record/index.js';
import { int32, int64, optional, string, struct } from '../../runtime/record/index.js';
import {
  buildTransformChain,
  TransformConfigError,
  validateTransformConfig,
} from '../../runtime/transforms/index.js';
import { asPlainObjects } from '../support/plain-objects.js';

const rowSchema = struct('srv.public.orders.Value', [
  ['id', int32()],
  ['name', optional(string())],
  ['amount', optional(string())],
]);

function record(value: unknown, overrides: Partial<SinkRecord> = {}): SinkRecord {
  return {
    topic: 'srv.public.orders',
    kafkaPartition: 2,
    kafkaOffset: 41n,
    keySchema: struct('srv.public.orders.Key', [['id', int32()]]),
    key: { id: 1 },
    valueSchema: rowSchema,
    value,
    timestamp: 1_700_000_000_000,
    ...overrides,
  };
}

describe('ReplaceField', () => {
  it('drops, keeps and renames fields in value and schema', () => {
    const chain = buildTransformChain({
      transforms: 'rf',
      'transforms.rf.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
      'transforms.rf.exclude': 'amount',
      'transforms.rf.renames': 'name:title',
    });
    const out = chain.apply(record({ id: 1, name: 'a', amount: '3.50' }));
    assert.deepEqual(asPlainObjects(out?.value), { id: 1, title: 'a' });
    assert.deepEqual(
      out?.valueSchema?.fields?.map((f) => [f.name, f.index]),
      [
        ['id', 0],
        ['title', 1],
      ],
    );
  });

  it('include keeps only the listed fields, on the key too', () => {
    const chain = buildTransformChain({
      transforms: 'rf',
      'transforms.rf.type': 'org.apache.kafka.connect.transforms.ReplaceField$Key',
      'transforms.rf.include': 'nothing',
    });
    const out = chain.apply(record({ id: 1, name: 'a', amount: null }));
    assert.deepEqual(asPlainObjects(out?.key), {});
    assert.deepEqual(asPlainObjects(out?.value), { id: 1, name: 'a', amount: null });
  });

  it('rejects a malformed rename naming the key', () => {
    const issues = validateTransformConfig({
      transforms: 'rf',
      'transforms.rf.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
      'transforms.rf.renames': 'a-b',
    });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.name, 'transforms.rf.renames');
    assert.match(issues[0]?.message ?? '', /"a-b" is not old:new/);
  });
});

describe('RegexRouter', () => {
  it('rewrites a fully matching topic with Java group references', () => {
    const chain = buildTransformChain({
      transforms: 'route',
      'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.route.regex': '([^.]+)\\.([^.]+)\\.([^.]+)',
      'transforms.route.replacement': '$3_copy',
    });
    assert.equal(chain.apply(record({ id: 1 }))?.topic, 'orders_copy');
    assert.equal(chain.apply(record({ id: 1 }, { topic: 'nodots' }))?.topic, 'nodots');
  });

  it('reports a bad regex', () => {
    const issues = validateTransformConfig({
      transforms: 'route',
      'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.route.regex': '(unclosed',
      'transforms.route.replacement': 'x',
    });
    assert.equal(issues[0]?.name, 'transforms.route.regex');
  });
});

describe('InsertField', () => {
  it('adds topic, partition, offset, timestamp and a static field', () => {
    const chain = buildTransformChain({
      transforms: 'ins',
      'transforms.ins.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
      'transforms.ins.topic.field': 'src_topic!',
      'transforms.ins.partition.field': 'src_partition',
      'transforms.ins.offset.field': 'src_offset',
      'transforms.ins.timestamp.field': 'src_ts?',
      'transforms.ins.static.field': 'origin',
      'transforms.ins.static.value': 'eu-1',
    });
    const out = chain.apply(record({ id: 1, name: null, amount: null }));
    assert.deepEqual(asPlainObjects(out?.value), {
      id: 1,
      name: null,
      amount: null,
      src_topic: 'srv.public.orders',
      src_partition: 2,
      src_offset: 41n,
      src_ts: 1_700_000_000_000n,
      origin: 'eu-1',
    });
    const fields = out?.valueSchema?.fields ?? [];
    assert.equal(fields.find((f) => f.name === 'src_topic')?.schema.optional, false);
    assert.equal(
      fields.find((f) => f.name === 'src_ts')?.schema.name,
      'org.apache.kafka.connect.data.Timestamp',
    );
    assert.equal(fields.length, 8);
  });

  it('passes tombstones through', () => {
    const chain = buildTransformChain({
      transforms: 'ins',
      'transforms.ins.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
      'transforms.ins.topic.field': 't',
    });
    assert.equal(chain.apply(record(null))?.value, null);
  });
});

describe('Cast', () => {
  it('casts fields and their schemas', () => {
    const chain = buildTransformChain({
      transforms: 'c',
      'transforms.c.type': 'org.apache.kafka.connect.transforms.Cast$Value',
      'transforms.c.spec': 'id:int64, amount:float64',
    });
    const out = chain.apply(record({ id: 7, name: 'x', amount: '12.25' }));
    assert.deepEqual(asPlainObjects(out?.value), { id: 7n, name: 'x', amount: 12.25 });
    assert.equal(out?.valueSchema?.fields?.[0]?.schema.type, 'int64');
    assert.equal(out?.valueSchema?.fields?.[2]?.schema.type, 'float64');
  });

  it('fails a value that does not fit, naming the field', () => {
    const chain = buildTransformChain({
      transforms: 'c',
      'transforms.c.type': 'org.apache.kafka.connect.transforms.Cast$Value',
      'transforms.c.spec': 'name:int8',
    });
    assert.throws(
      () => chain.apply(record({ id: 7, name: '300', amount: null })),
      /field "name".*out of range for int8/,
    );
  });

  it('rejects unknown types', () => {
    const issues = validateTransformConfig({
      transforms: 'c',
      'transforms.c.type': 'org.apache.kafka.connect.transforms.Cast$Value',
      'transforms.c.spec': 'id:flaot64',
    });
    assert.match(issues[0]?.message ?? '', /unknown type; use one of int8/);
  });
});

describe('Filter with predicates', () => {
  const base = {
    predicates: 'tomb,orders,hdr',
    'predicates.tomb.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
    'predicates.orders.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
    'predicates.orders.pattern': '.*\\.orders',
    'predicates.hdr.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
    'predicates.hdr.name': 'skip-me',
  };

  it('drops tombstones only', () => {
    const chain = buildTransformChain({
      ...base,
      transforms: 'f',
      'transforms.f.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.f.predicate': 'tomb',
    });
    assert.equal(chain.apply(record(null)), null);
    assert.notEqual(chain.apply(record({ id: 1 })), null);
  });

  it('negate keeps only matching topics', () => {
    const chain = buildTransformChain({
      ...base,
      transforms: 'f',
      'transforms.f.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.f.predicate': 'orders',
      'transforms.f.negate': 'true',
    });
    assert.notEqual(chain.apply(record({ id: 1 })), null);
    assert.equal(chain.apply(record({ id: 1 }, { topic: 'srv.public.users' })), null);
  });

  it('HasHeaderKey matches on header presence', () => {
    const chain = buildTransformChain({
      ...base,
      transforms: 'f',
      'transforms.f.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.f.predicate': 'hdr',
    });
    assert.equal(chain.apply(record({ id: 1 }, { headers: [{ key: 'skip-me', value: null }] })), null);
    assert.notEqual(chain.apply(record({ id: 1 })), null);
  });

  it('reports an undefined predicate and an unknown class, all at once', () => {
    const issues = validateTransformConfig({
      transforms: 'f,g',
      'transforms.f.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.f.predicate': 'nope',
      'transforms.g.type': 'com.example.Nope',
    });
    assert.deepEqual(
      issues.map((issue) => issue.name),
      ['transforms.f.predicate', 'transforms.g.type'],
    );
    assert.throws(
      () => buildTransformChain({ transforms: 'g', 'transforms.g.type': 'x' }),
      TransformConfigError,
    );
  });
});

describe('ExtractNewRecordState', () => {
  const sourceSchema = struct('io.debezium.connector.postgresql.Source', [
    ['table', string()],
    ['ts_ms', int64()],
  ]);
  const envelopeSchema = struct('srv.public.orders.Envelope', [
    ['before', optional(rowSchema)],
    ['after', optional(rowSchema)],
    ['source', sourceSchema],
    ['op', string()],
    ['ts_ms', optional(int64())],
  ]);
  const event = (op: string, before: unknown, after: unknown): SinkRecord =>
    record(
      { before, after, source: { table: 'orders', ts_ms: 5n }, op, ts_ms: 6n },
      { valueSchema: envelopeSchema },
    );
  const unwrap = (settings: Record<string, string>) =>
    buildTransformChain({
      transforms: 'unwrap',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [`transforms.unwrap.${k}`, v])),
    });

  it('replaces the envelope with after and adds fields and headers', () => {
    const chain = unwrap({ 'add.fields': 'op,table,source.ts_ms', 'add.headers': 'op' });
    const out = chain.apply(event('u', null, { id: 1, name: 'n', amount: null }));
    assert.deepEqual(asPlainObjects(out?.value), {
      id: 1,
      name: 'n',
      amount: null,
      __op: 'u',
      __table: 'orders',
      __source_ts_ms: 5n,
    });
    assert.equal(out?.valueSchema?.name, 'srv.public.orders.Value');
    assert.deepEqual(
      out?.valueSchema?.fields?.map((f) => `${f.name}:${f.schema.type}`),
      ['id:int32', 'name:string', 'amount:string', '__op:string', '__table:string', '__source_ts_ms:int64'],
    );
    assert.deepEqual(out?.headers, [{ key: '__op', value: 'u' }]);
  });

  it('drops deletes and tombstones by default', () => {
    const chain = unwrap({});
    assert.equal(chain.apply(event('d', { id: 1, name: null, amount: null }, null)), null);
    assert.equal(chain.apply(record(null)), null);
  });

  it('rewrite keeps the before row marked __deleted, and tombstones when asked', () => {
    const chain = unwrap({ 'delete.tombstone.handling.mode': 'rewrite-with-tombstone' });
    const deleted = chain.apply(event('d', { id: 1, name: 'n', amount: null }, null));
    assert.deepEqual(asPlainObjects(deleted?.value), { id: 1, name: 'n', amount: null, __deleted: 'true' });
    const created = chain.apply(event('c', null, { id: 2, name: 'm', amount: null }));
    assert.equal((created?.value as Record<string, unknown>).__deleted, 'false');
    assert.equal(chain.apply(record(null))?.value, null);
  });

  it('legacy none turns a delete into a tombstone', () => {
    const chain = unwrap({ 'delete.handling.mode': 'none' });
    const out = chain.apply(event('d', { id: 1, name: 'n', amount: null }, null));
    assert.notEqual(out, null);
    assert.equal(out?.value, null);
  });

  it('passes non-envelope records and truncates unchanged', () => {
    const chain = unwrap({});
    const flat = record({ id: 1, name: null, amount: null });
    assert.equal(chain.apply(flat), flat);
    const truncate = event('t', null, null);
    assert.equal(chain.apply(truncate), truncate);
  });

  it('rejects an unknown mode', () => {
    const issues = validateTransformConfig({
      transforms: 'unwrap',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      'transforms.unwrap.delete.handling.mode': 'explode',
    });
    assert.equal(issues[0]?.name, 'transforms.unwrap.delete.handling.mode');
  });
});
