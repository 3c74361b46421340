// The local broker does what Siphon relies on: topics, produce/consume, transactions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, EachMessagePayload } from 'kafkajs';
import { localStack } from '../support/local-stack.js';
import { uniqueName } from '../support/plugin-test-kit.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';

const kafka = new Kafka({
  clientId: 'stack-test',
  brokers: localStack.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const topic = uniqueName('stack_kafka');
const txTopic = uniqueName('stack_kafka_tx');
let admin: Admin;

before(async () => {
  admin = kafka.admin();
  await admin.connect();
  // Not createTopics({ waitForLeaders }): it rejects on KRaft's transient UNKNOWN_TOPIC_OR_PARTITION.
  await createTopicAndWait(admin, { topic, numPartitions: 2 });
  await createTopicAndWait(admin, { topic: txTopic, numPartitions: 1 });
});

after(async () => {
  await admin.deleteTopics({ topics: [topic, txTopic] });
  await admin.disconnect();
});

/** Reads `count` messages from the start of a topic with its own consumer group. */
async function consume(
  from: string,
  count: number,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<string[]> {
  const groupId = uniqueName('stack_group');
  const consumer = kafka.consumer({ groupId, readUncommitted: isolation === 'read_uncommitted' });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: from, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${values.length}/${count} messages in 30s`)),
        30_000,
      );
      void consumer.run({
        eachMessage: async ({ message }: EachMessagePayload) => {
          values.push(message.value?.toString() ?? 'null');
          if (values.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return values;
}

test('a produced message is consumed back, in order per key', async () => {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}` })),
  });
  await producer.disconnect();

  const values = await consume(topic, 20, 'read_committed');
  assert.equal(values.length, 20);
  for (const key of [0, 1, 2]) {
    const mine = values.filter((v) => Number(v.slice(1)) % 3 === key).map((v) => Number(v.slice(1)));
    assert.deepEqual(
      mine,
      [...mine].sort((a, b) => a - b),
      `key k${key} kept its order`,
    );
  }
});

test('a read_committed consumer sees committed transactions and never aborted ones', async () => {
  const producer = kafka.producer({
    transactionalId: uniqueName('stack_tx'),
    maxInFlightRequests: 1,
    idempotent: true,
  });
  await producer.connect();
  const aborted = await producer.transaction();
  await aborted.send({ topic: txTopic, messages: [{ value: 'aborted' }] });
  await aborted.abort();
  const committed = await producer.transaction();
  await committed.send({ topic: txTopic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
  await committed.commit();
  await producer.disconnect();

  assert.deepEqual(await consume(txTopic, 2, 'read_committed'), ['committed-1', 'committed-2']);
});
