import type { Admin, Consumer, Kafka } from 'kafkajs';
import { sleep } from './bench-worker.js';

/** Records a topic holds (end minus start offsets over its partitions); 0 before it exists. */
export async function topicRecords(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

export async function topicPartitions(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length ?? 1;
}

/**
 * Polls until `count()` reaches `target`; returns performance.now() of the poll that saw it.
 * `check` runs every second so a failed connector ends the wait with its reason.
 */
export async function waitUntil(
  what: string,
  count: () => Promise<number>,
  target: number,
  timeoutMs: number,
  check: () => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let lastCheck = performance.now();
  for (;;) {
    const seen = await count();
    if (seen >= target) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`${what}: ${seen} of ${target} after ${timeoutMs / 1000} s`);
    if (performance.now() - lastCheck > 1000) {
      await check();
      lastCheck = performance.now();
    }
    await sleep(100);
  }
}

export interface RecordSizes {
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly sampled: number;
}

/** Average key and value size of the first `limit` records of a topic. */
export async function sampleRecordSizes(
  { kafka, consumers }: { readonly kafka: Kafka; readonly consumers: Set<Consumer> },
  topic: string,
  groupId: string,
  limit: number,
): Promise<RecordSizes> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  consumers.add(consumer);
  let keyBytes = 0;
  let valueBytes = 0;
  let sampled = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const enough = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (sampled >= limit) break;
            keyBytes += message.key?.length ?? 0;
            valueBytes += message.value?.length ?? 0;
            sampled++;
          }
          if (sampled >= limit) resolve();
          await Promise.resolve();
        },
      });
    });
    await Promise.race([enough, sleep(60_000)]);
  } finally {
    await consumer.disconnect();
    consumers.delete(consumer);
  }
  if (sampled === 0) throw new Error(`no records to measure in ${topic}`);
  return {
    keyBytes: Math.round(keyBytes / sampled),
    valueBytes: Math.round(valueBytes / sampled),
    sampled,
  };
}
