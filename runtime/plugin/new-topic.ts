import type { Admin, ITopicConfig } from 'kafkajs';
import { sleep } from './backoff.js';
import { isRetriable, SiphonError } from './errors.js';

/**
 * Creating a topic that is used right away: the runtime's (store topics, `_schemas`,
 * dead-letter queues) and connectors' own (the MySQL source's schema history). kafkajs's `createTopics({ waitForLeaders: true })` polls the topic's metadata
 * but tolerates only LEADER_NOT_AVAILABLE; a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION
 * ("This server does not host this topic-partition") for a moment after it created a
 * topic, and kafkajs then rejects although the topic exists. That rejection is what made
 * workers exit at start on brand-new topics. Here the wait tolerates every such answer
 * until each partition serves offsets (its replica is ready), within a deadline.
 */
const usableTimeoutMs = 30_000;
const pollMs = 200;

/** Creates `topic` unless it exists, then waits until it is usable. True when this call created it. */
export async function createTopicAndWait(admin: Admin, topic: ITopicConfig): Promise<boolean> {
  // Another process may create it at the same moment: createTopics then resolves false.
  const created = await admin.createTopics({ waitForLeaders: false, topics: [topic] });
  await waitUntilUsable(admin, topic.topic, topic.numPartitions);
  return created;
}

/** Resolves once every partition of `topic` answers a ListOffsets (`partitions`: how many; absent or -1: any). */
export async function waitUntilUsable(admin: Admin, topic: string, partitions?: number): Promise<void> {
  const deadline = Date.now() + usableTimeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      if (partitions === undefined || partitions < 0 || offsets.length === partitions) return;
      last = new Error(`${offsets.length} of ${partitions} partitions known`);
    } catch (error) {
      last = error;
    }
    await sleep(pollMs);
  }
  const reason = last instanceof Error ? last.message : String(last);
  // Retriable as the last failure was: a broker that cannot be reached may be reached later.
  throw new SiphonError(
    `topic ${topic} was created but is not usable after ${usableTimeoutMs / 1000} s: ${reason}`,
    isRetriable(last),
    { cause: last },
  );
}
