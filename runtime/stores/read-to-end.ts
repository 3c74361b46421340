import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reads every record of `topic` up to the end offsets seen when called, partition by
 * partition in offset order, through a throwaway consumer group that commits nothing.
 */
export async function readToEnd(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  onMessage: (message: KafkaMessage, partition: number) => void,
): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map<number, bigint>();
  for (const p of ends) {
    if (BigInt(p.high) > BigInt(p.low)) remaining.set(p.partition, BigInt(p.high));
  }
  if (remaining.size === 0) return;
  const groupId = `siphon-store-reader-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10000,
    // Short fetch waits: disconnecting waits for the fetch in flight, and startup waits for this.
    maxWaitTimeInMs: 250,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const end = remaining.get(payload.partition);
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition);
        if (remaining.size === 0) resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message, partition }) => {
            // Records past the end seen at the start belong to a later read.
            const end = ends.find((p) => p.partition === partition);
            if (end && BigInt(message.offset) < BigInt(end.high)) onMessage(message, partition);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    // Best effort: the throwaway group committed nothing and is of no further use.
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
