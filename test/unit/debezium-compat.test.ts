import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envelopeSchema, envelopeValue } from '../../runtime/cdc/change-event.js';
import { adjustedFieldName, fieldNamesOf } from '../../runtime/cdc/field-names.js';
import { snapshotMarkerFor } from '../../runtime/cdc/source-block.js';
import { dataCollectionTopic, sanitizedTopicName, topicNameProblem } from '../../runtime/cdc/topic-names.js';
import { toAvroSchema } from '../../runtime/converters/avro-schema.js';
import type { TaskLogger } from '../../runtime/plugin/index.js';
import {
  LogicalName,
  logical,
  sourceColumnNameParameter,
  struct,
  int32,
} from '../../runtime/record/index.js';
import { canonicalSchema } from '../../runtime/registry/canonical-schema.js';
import { TopicCreation } from '../../runtime/worker/topic-creation.js';
import { describeRecord, isRecordTooLarge } from '../../runtime/worker/unproducible-record.js';

describe('Debezium 3.x compatibility pieces', () => {
  it('snapshot markers follow Debezium: last wins over first, table edges marked', () => {
    const place = (firstTable: boolean, lastTable: boolean, firstInTable: boolean, lastInTable: boolean) =>
      snapshotMarkerFor({ firstTable, lastTable, firstInTable, lastInTable });
    assert.equal(place(true, false, true, false), 'first');
    assert.equal(place(true, true, true, true), 'last');
    assert.equal(place(false, false, true, false), 'first_in_data_collection');
    assert.equal(place(true, false, false, true), 'last_in_data_collection');
    assert.equal(place(false, true, false, true), 'last');
    assert.equal(place(false, false, false, false), 'true');
  });

  it('the envelope has Debezium 3.x field order and ts_us/ts_ns from one clock reading', () => {
    const row = struct('p.s.t.Value', [['id', int32()]]);
    const schema = envelopeSchema('p.s.t.Envelope', row, struct('src', [['x', int32()]]));
    assert.equal(schema.version, 2);
    assert.deepEqual(
      schema.fields!.map((f) => f.name),
      ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns'],
    );
    const value = envelopeValue({
      op: 'c',
      before: null,
      after: { id: 1 },
      source: { x: 1 },
      tsUs: 1_700_000_000_123_456n,
    });
    assert.deepEqual(Object.keys(value), [
      'before',
      'after',
      'source',
      'transaction',
      'op',
      'ts_ms',
      'ts_us',
      'ts_ns',
    ]);
    assert.equal(value.ts_ms, 1_700_000_000_123n);
    assert.equal(value.ts_ns, 1_700_000_000_123_456_000n);
  });

  it('topic names are sanitised as Debezium does and logged once per table', () => {
    assert.equal(sanitizedTopicName('p.public.we"ird;tab le'), 'p.public.we_ird_tab_le');
    assert.equal(sanitizedTopicName('p.public.ünïcode_表'), 'p.public._n_code__');
    assert.equal(topicNameProblem('ok.topic'), undefined);
    assert.match(topicNameProblem('x'.repeat(250)) ?? '', /250 characters.*249/);
    const warnings: unknown[] = [];
    const logger: TaskLogger = { info() {}, debug() {}, error() {}, warn: (m, f) => warnings.push([m, f]) };
    dataCollectionTopic('p.s.a b', logger);
    dataCollectionTopic('p.s.a b', logger);
    dataCollectionTopic('p.s.fine', logger);
    assert.equal(warnings.length, 1);
  });

  it('field.name.adjustment.mode avro and avro_unicode; collisions name table and both columns', () => {
    assert.equal(adjustedFieldName('col"quote', 'none'), 'col"quote');
    assert.equal(adjustedFieldName('col"quote', 'avro'), 'col_quote');
    assert.equal(adjustedFieldName('1st', 'avro'), '_st');
    assert.equal(adjustedFieldName('名前', 'avro'), '__');
    assert.equal(adjustedFieldName('名前', 'avro_unicode'), '_u540d_u524d');
    assert.throws(
      () => fieldNamesOf('public.t', ['a-b', 'a_b'], 'avro'),
      /columns "a-b" and "a_b" of public\.t both become field "a_b"/,
    );
  });

  it('the Avro converter keeps a column name Avro cannot hold in __debezium.source.column.name', () => {
    const avro = toAvroSchema(struct('p.s.t.Value', [['col"quote', int32()]])) as {
      fields: { name: string; type: Record<string, unknown> }[];
    };
    assert.equal(avro.fields[0]!.name, 'col_quote');
    assert.deepEqual(avro.fields[0]!.type['connect.parameters'], {
      [sourceColumnNameParameter]: 'col"quote',
    });
  });

  it('Debezium semantic types get no Avro logicalType; Connect logical types do', () => {
    const avro = toAvroSchema(
      struct('r', [
        ['t', logical(LogicalName.MicroTime)],
        ['d', logical(LogicalName.Date)],
      ]),
    ) as { fields: { type: Record<string, unknown> }[] };
    assert.equal(avro.fields[0]!.type['logicalType'], undefined);
    assert.equal(avro.fields[1]!.type['logicalType'], 'date');
  });

  it('canonical schema form: nested namespaces, key order, primitive objects; properties count', () => {
    const a = canonicalSchema(
      '{"type":"record","name":"E","namespace":"n","fields":[{"name":"v","type":{"type":"record","name":"V","namespace":"n","fields":[{"name":"i","type":{"type":"int"}}]}}]}',
    );
    const b = canonicalSchema(
      '{"namespace":"n","name":"E","type":"record","fields":[{"type":{"fields":[{"type":"int","name":"i"}],"name":"V","type":"record"},"name":"v"}]}',
    );
    assert.equal(a, b);
    assert.notEqual(canonicalSchema('{"type":"string","connect.name":"x"}'), canonicalSchema('"string"'));
    assert.notEqual(
      canonicalSchema('{"type":"record","name":"V","namespace":"m","fields":[]}'),
      canonicalSchema('{"type":"record","name":"V","namespace":"n","fields":[]}'),
    );
  });

  it('KIP-158 topic creation: off without the default group, groups by include/exclude', () => {
    assert.equal(TopicCreation.of({}, true), null);
    const config = {
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '3',
      'topic.creation.default.max.message.bytes': '8388608',
      'topic.creation.groups': 'big',
      'topic.creation.big.include': 'srv\\.public\\.blobs.*',
      'topic.creation.big.exclude': '.*_old',
      'topic.creation.big.partitions': '1',
      'topic.creation.big.compression.type': 'gzip',
    };
    assert.equal(TopicCreation.of(config, false), null, 'topic.creation.enable=false on the worker');
    const creation = TopicCreation.of(config, true)!;
    assert.deepEqual(creation.settingsFor('srv.public.orders'), {
      numPartitions: 3,
      replicationFactor: 1,
      configEntries: [{ name: 'max.message.bytes', value: '8388608' }],
    });
    assert.deepEqual(creation.settingsFor('srv.public.blobs'), {
      numPartitions: 1,
      replicationFactor: 1,
      configEntries: [
        { name: 'max.message.bytes', value: '8388608' },
        { name: 'compression.type', value: 'gzip' },
      ],
    });
    assert.equal(creation.settingsFor('srv.public.blobs_old').numPartitions, 3);
  });

  it('an unproducible record is described by topic, table, key and source position', () => {
    const text = describeRecord(
      {
        topic: 'srv.public.blobs',
        keySchema: null,
        key: { id: 7n },
        valueSchema: null,
        value: { source: { db: 'shop', schema: 'public', table: 'blobs' } },
        sourcePartition: { server: 'srv' },
        sourceOffset: { lsn: 42 },
      },
      5_000_000,
    );
    assert.match(
      text,
      /5000000 bytes for topic srv\.public\.blobs, table shop\.public\.blobs, key \{"id":"7"\}, source position \{"lsn":42\}/,
    );
    assert.equal(isRecordTooLarge({ type: 'MESSAGE_TOO_LARGE' }), true);
    assert.equal(isRecordTooLarge({ cause: { type: 'MESSAGE_TOO_LARGE' } }), true);
    assert.equal(isRecordTooLarge(new Error('other')), false);
  });
});
