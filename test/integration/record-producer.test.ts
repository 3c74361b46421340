import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, type Admin, type KafkaMessage } from 'kafkajs';
import { isConnectionLost, isRetriable } from '../../runtime/plugin/errors.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';
import { murmur2 } from '../../runtime/worker/murmur2-partitioner.js';
import { RecordProducer } from '../../runtime/worker/record-producer.js';
import { isRecordTooLarge } from '../../runtime/worker/unproducible-record.js';
import { localKafka, localStack } from '../support/local-stack.js';
import { uniqueName } from '../support/plugin-test-kit.js';

const kafka = localKafka();
const connection = { clientId: 'record-producer-test', bootstrapBrokers: [...localStack.kafkaBrokers] };
const topics: string[] = [];
let admin: Admin;

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

async function newTopic(partitions: number, config: { name: string; value: string }[] = []): Promise<string> {
  const topic = uniqueName('record_producer');
  topics.push(topic);
  await createTopicAndWait(admin, { topic, numPartitions: partitions, configEntries: config });
  return topic;
}

/** Every message of the topic, read_committed, once `count` have arrived. */
async function readAll(topic: string, count: number): Promise<(KafkaMessage & { partition: number })[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('record_producer_reader'), readUncommitted: false });
  const seen: (KafkaMessage & { partition: number })[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${seen.length} of ${count} messages arrived`)),
        30_000,
      );
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          seen.push({ ...message, partition });
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('record producer (the source tasks’ producer) against the real broker', () => {
  it('writes every acknowledged record when many sends to one partition overlap', async () => {
    // The client advances a partition's idempotent sequence only on a response: two
    // requests in flight for one partition would share sequences and the broker would
    // drop one as a duplicate while acknowledging it. The producer serializes sends.
    const topic = await newTopic(1);
    const producer = new RecordProducer(connection);
    await producer.connect();
    try {
      const sends = [];
      for (let batch = 0; batch < 20; batch++) {
        const messages = Array.from({ length: 50 }, (_, i) => ({
          key: `k${batch * 50 + i}`,
          value: Buffer.alloc(2000, batch),
        }));
        sends.push(producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 }));
      }
      await Promise.all(sends);
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.equal(offsets[0]?.high, '1000');
    } finally {
      await producer.disconnect();
    }
  });

  it('puts keys where the Java client would, and keeps headers, timestamps, tombstones and gzip', async () => {
    const topic = await newTopic(7);
    const producer = new RecordProducer(connection);
    await producer.connect();
    try {
      const keyed = Array.from({ length: 40 }, (_, i) => ({ key: `{"id":${i}}`, value: `v${i}` }));
      await producer.sendBatch({
        topicMessages: [
          {
            topic,
            messages: [
              ...keyed,
              {
                key: 'with-headers',
                value: null,
                timestamp: '1700000000123',
                headers: { a: ['1', '2'], b: Buffer.from([0, 255]) },
              },
              { key: 'pinned', value: 'p', partition: 5 },
            ],
          },
        ],
        acks: -1,
        compression: CompressionTypes.GZIP,
      });
      const seen = await readAll(topic, 42);
      for (const m of seen.filter((m) => String(m.key).startsWith('{'))) {
        assert.equal(m.partition, (murmur2(m.key!) & 0x7fffffff) % 7, `partition of ${String(m.key)}`);
      }
      const special = seen.find((m) => String(m.key) === 'with-headers')!;
      assert.equal(special.value, null);
      assert.equal(special.timestamp, '1700000000123');
      assert.deepEqual(
        (special.headers?.['a'] as Buffer[]).map(String),
        ['1', '2'],
        'a header repeated under one name stays repeated',
      );
      assert.deepEqual(special.headers?.['b'], Buffer.from([0, 255]));
      assert.equal(seen.find((m) => String(m.key) === 'pinned')?.partition, 5);
    } finally {
      await producer.disconnect();
    }
  });

  it('reports a record over max.message.bytes as too large, and an unreachable broker as a lost connection', async () => {
    const topic = await newTopic(1, [{ name: 'max.message.bytes', value: '10000' }]);
    const producer = new RecordProducer(connection);
    await producer.connect();
    try {
      const error = await producer
        .sendBatch({
          topicMessages: [{ topic, messages: [{ key: 'big', value: Buffer.alloc(50_000) }] }],
          acks: -1,
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      assert.ok(isRecordTooLarge(error), `too large: ${String(error)}`);
      assert.equal(isRetriable(error), false);
    } finally {
      await producer.disconnect();
    }
    const nowhere = new RecordProducer({ clientId: 'nowhere', bootstrapBrokers: ['127.0.0.1:1'] });
    const refused = await nowhere.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await nowhere.disconnect().catch(() => undefined);
    assert.ok(isConnectionLost(refused), `connection lost: ${String(refused)}`);
  });

  it('commits a transaction for read_committed readers and hides an aborted one', async () => {
    const topic = await newTopic(2);
    const producer = new RecordProducer(connection, { transactionalId: uniqueName('record_producer_tx') });
    await producer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'a', value: 'aborted' }] }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.sendBatch({
        topicMessages: [
          { topic, messages: [1, 2, 3].map((i) => ({ key: `c${i}`, value: `committed ${i}` })) },
        ],
      });
      await committed.commit();
      const seen = await readAll(topic, 3);
      assert.deepEqual(seen.map((m) => String(m.value)).sort(), [
        'committed 1',
        'committed 2',
        'committed 3',
      ]);
    } finally {
      await producer.disconnect();
    }
  });

  it('fences the producer of a transactional id a newer producer took over', async () => {
    const topic = await newTopic(1);
    const transactionalId = uniqueName('record_producer_fence');
    const old = new RecordProducer(connection, { transactionalId });
    await old.connect();
    const newer = new RecordProducer(connection, { transactionalId });
    try {
      await newer.connect();
      const error = await (async () => {
        const t = await old.transaction();
        await t.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'x', value: 'stale' }] }] });
        await t.commit();
      })().then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof Error, 'the fenced producer fails');
      const offsets = await admin.fetchTopicOffsets(topic);
      const t = await newer.transaction();
      await t.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'y', value: 'current' }] }] });
      await t.commit();
      const seen = await readAll(topic, 1);
      assert.deepEqual(
        seen.map((m) => String(m.value)),
        ['current'],
        `nothing of the fenced producer is visible (offsets before: ${JSON.stringify(offsets)})`,
      );
    } finally {
      await old.disconnect().catch(() => undefined);
      await newer.disconnect();
    }
  });
});
