import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { bigintLongHook } from '../../runtime/converters/avro-long.js';
import { createConverter } from '../../runtime/converters/index.js';
import type { Converter } from '../../runtime/converters/index.js';
import type { RunningSchemaRegistry } from '../../runtime/registry/index.js';
import { int32, int64, optional, string, struct, type Schema } from '../../runtime/record/index.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { uniqueName } from '../support/plugin-test-kit.js';
import { call, registryFixture } from './registry-support.js';
import { asPlainObjects } from '../support/plain-objects.js';

const fixture = registryFixture('converter_kafka');
const topics: string[] = [];
let registry: RunningSchemaRegistry;

before(async () => {
  registry = await fixture.start();
});
after(async () => {
  const admin = fixture.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await fixture.cleanup();
});

function newTopic(name: string): string {
  return uniqueName(`converter_${name}`);
}

/** Produces key and value bytes to a real topic and reads them back, as a connector's records travel. */
async function throughKafka(
  topic: string,
  messages: { key: Buffer | null; value: Buffer | null }[],
): Promise<{ key: Buffer | null; value: Buffer | null }[]> {
  topics.push(topic);
  const producer = fixture.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
  const consumer = fixture.kafka.consumer({ groupId: uniqueName('converter_test') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: { key: Buffer | null; value: Buffer | null }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no messages on ${topic} within 20 s`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key, value: message.value });
        if (received.length === messages.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return received;
}

const keySchema: Schema = struct('siphon_test.public.every_type.Key', [['id', int64()]]);

async function roundTrip(keyConverter: Converter, valueConverter: Converter, topic: string) {
  const key = { id: 9223372036854775807n };
  const keyBytes = await keyConverter.fromConnectData(topic, keySchema, key);
  const valueBytes = await valueConverter.fromConnectData(topic, everyTypeEnvelope, everyTypeEvent);
  const tombstone = await valueConverter.fromConnectData(topic, null, null);
  const [record, deleted] = await throughKafka(topic, [
    { key: keyBytes, value: valueBytes },
    { key: keyBytes, value: tombstone },
  ]);
  return {
    key: await keyConverter.toConnectData(topic, record!.key),
    value: await valueConverter.toConnectData(topic, record!.value),
    tombstone: await valueConverter.toConnectData(topic, deleted!.value),
  };
}

/** Schemas compared as data (a decoded schema is a fresh object). */
function plain(schema: Schema | null): unknown {
  return JSON.parse(JSON.stringify(schema));
}

describe('converters through Kafka', () => {
  it('Avro: every logical type round-trips, in the Confluent wire format, with Debezium subjects', async () => {
    const topic = newTopic('avro');
    const deps = { defaultSchemaRegistryUrl: registry.url };
    const keyConverter = await createConverter('io.confluent.connect.avro.AvroConverter', {}, true, deps);
    const valueConverter = await createConverter('avro', {}, false, deps);
    const back = await roundTrip(keyConverter, valueConverter, topic);
    assert.deepEqual(asPlainObjects(back.key.value), { id: 9223372036854775807n });
    assert.deepEqual(asPlainObjects(back.value.value), everyTypeEvent);
    assert.deepEqual(plain(back.value.schema), plain(everyTypeEnvelope));
    assert.deepEqual(back.tombstone, { schema: null, value: null });

    const subjects = (await call(registry.url, 'GET', '/subjects')).body as string[];
    assert.ok(subjects.includes(`${topic}-key`) && subjects.includes(`${topic}-value`));
    const latest = (await call(registry.url, 'GET', `/subjects/${topic}-value/versions/latest`)).body as {
      schema: string;
    };
    const avroSchema = JSON.parse(latest.schema) as { name: string; namespace: string };
    assert.equal(`${avroSchema.namespace}.${avroSchema.name}`, 'siphon_test.public.every_type.Envelope');
    // `before` and `after` share the Value record: defined once, then referenced by name.
    assert.equal(latest.schema.split('"name":"Value"').length - 1, 1);
  });

  it('Avro: the official client reads what the converter wrote', async () => {
    const topic = newTopic('avro_interop');
    const converter = await createConverter('avro', { 'schema.registry.url': registry.url }, false, {});
    const schema = struct('interop.Value', [
      ['id', int64()],
      ['name', optional(string())],
    ]);
    const bytes = await converter.fromConnectData(topic, schema, { id: 2n ** 60n, name: 'x' });
    const client = new SchemaRegistry(
      { host: registry.url },
      { [SchemaType.AVRO]: { typeHook: bigintLongHook as never } },
    );
    assert.deepEqual({ ...(await client.decode(bytes!)) }, { id: 2n ** 60n, name: 'x' });
  });

  it('Avro: the hot path makes no registry call once a schema id is known', async () => {
    const topic = newTopic('avro_cache');
    const own = await fixture.start();
    const converter = await createConverter('avro', { 'schema.registry.url': own.url }, false, {});
    const schema = struct('cache.Value', [['n', int32()]]);
    const first = await converter.fromConnectData(topic, schema, { n: 1 });
    await own.close();
    // The registry is gone: encoding and decoding more records of the same schema still work.
    const second = await converter.fromConnectData(topic, schema, { n: 2 });
    assert.deepEqual(first!.subarray(0, 5), second!.subarray(0, 5));
    assert.deepEqual(asPlainObjects((await converter.toConnectData(topic, first)).value), { n: 1 });
    assert.deepEqual(asPlainObjects((await converter.toConnectData(topic, second)).value), { n: 2 });
  });

  it('Avro: RecordNameStrategy and TopicRecordNameStrategy name subjects after the record', async () => {
    const topic = newTopic('avro_strategy');
    const schema = struct('strategy.inventory.items.Value', [['n', int32()]]);
    const recordName = await createConverter(
      'avro',
      {
        'schema.registry.url': registry.url,
        'value.subject.name.strategy': 'io.confluent.kafka.serializers.subject.RecordNameStrategy',
      },
      false,
      {},
    );
    const topicRecordName = await createConverter(
      'avro',
      { 'schema.registry.url': registry.url, 'value.subject.name.strategy': 'TopicRecordNameStrategy' },
      false,
      {},
    );
    await recordName.fromConnectData(topic, schema, { n: 1 });
    await topicRecordName.fromConnectData(topic, schema, { n: 1 });
    const subjects = (await call(registry.url, 'GET', '/subjects')).body as string[];
    assert.ok(subjects.includes('strategy.inventory.items.Value'));
    assert.ok(subjects.includes(`${topic}-strategy.inventory.items.Value`));
    assert.ok(!subjects.includes(`${topic}-value`));
  });

  it('Avro: a rejected schema fails naming the topic, the subject and the first incompatibility', async () => {
    const topic = newTopic('avro_incompatible');
    const converter = await createConverter('avro', { 'schema.registry.url': registry.url }, false, {});
    await converter.fromConnectData(topic, struct('evolving.Value', [['id', int64()]]), { id: 1n });
    const breaking = struct('evolving.Value', [
      ['id', int64()],
      ['required_now', string()],
    ]);
    await assert.rejects(
      converter.fromConnectData(topic, breaking, { id: 2n, required_now: 'x' }),
      new RegExp(`topic ${topic} \\(subject ${topic}-value\\):.*409.*required_now`),
    );
    const lookupOnly = await createConverter(
      'avro',
      { 'schema.registry.url': registry.url, 'auto.register.schemas': 'false' },
      false,
      {},
    );
    await assert.rejects(
      lookupOnly.fromConnectData(topic, struct('evolving.Value', [['other', int32()]]), { other: 1 }),
      new RegExp(`topic ${topic} \\(subject ${topic}-value\\):.*40403`),
    );
  });

  it('Avro: a value that does not fit its schema fails naming the field', async () => {
    const converter = await createConverter('avro', { 'schema.registry.url': registry.url }, false, {});
    const schema = struct('misfit.Value', [['inner', struct('misfit.Inner', [['n', int32()]])]]);
    await assert.rejects(
      converter.fromConnectData('misfit', schema, { inner: { n: 'seven' } }),
      /topic misfit: inner\.n: expected an integer number for int32, got string "seven"/,
    );
  });

  it('Avro: reading a message not in the wire format says so', async () => {
    const converter = await createConverter('avro', { 'schema.registry.url': registry.url }, false, {});
    await assert.rejects(
      converter.toConnectData('plain', Buffer.from('{"a":1}')),
      /not in the Confluent wire format \(magic byte 123/,
    );
  });

  it('JSON with schemas: every logical type round-trips', async () => {
    const topic = newTopic('json');
    const keyConverter = await createConverter('org.apache.kafka.connect.json.JsonConverter', {}, true, {});
    const valueConverter = await createConverter('json', {}, false, {});
    const back = await roundTrip(keyConverter, valueConverter, topic);
    assert.deepEqual(asPlainObjects(back.key.value), { id: 9223372036854775807n });
    assert.deepEqual(asPlainObjects(back.value.value), everyTypeEvent);
    assert.deepEqual(plain(back.value.schema), plain(everyTypeEnvelope));
    assert.deepEqual(back.tombstone, { schema: null, value: null });
  });

  it('JSON without schemas: payloads keep int64 exact', async () => {
    const topic = newTopic('json_plain');
    const converter = await createConverter('json', { 'schemas.enable': 'false' }, false, {});
    const bytes = await converter.fromConnectData(topic, keySchema, { id: -9223372036854775808n });
    const [record] = await throughKafka(topic, [{ key: null, value: bytes }]);
    assert.equal(record!.value!.toString(), '{"id":-9223372036854775808}');
    assert.deepEqual((await converter.toConnectData(topic, record!.value)).value, {
      id: -9223372036854775808n,
    });
  });

  it('String: text round-trips', async () => {
    const topic = newTopic('string');
    const converter = await createConverter(
      'org.apache.kafka.connect.storage.StringConverter',
      {},
      false,
      {},
    );
    const text = 'ünïcode ✓ 9223372036854775807';
    const [record] = await throughKafka(topic, [
      { key: null, value: await converter.fromConnectData(topic, string(), text) },
    ]);
    assert.deepEqual(await converter.toConnectData(topic, record!.value), {
      schema: optional(string()),
      value: text,
    });
  });
});
