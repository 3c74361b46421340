import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../logging/logger.js';
import type { SourceSignal } from '../plugin/index.js';
import { createTopicAndWait } from '../plugin/index.js';

/**
 * Debezium's kafka signal channel, read by the worker for a source task (connectors never
 * open Kafka clients): messages on the signal topic whose key is the connector's key
 * (its topic.prefix), value `{"type": …, "data": {…}}`, are delivered to the task with
 * channel `kafka`. The consumer group `connect-<connector>-signals` keeps the position, so
 * a signal is delivered once even across restarts and moves (a task that fails before
 * acting on it does not get it again; a signal table row does).
 */
export class KafkaSignalChannel {
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly connector: string,
    private readonly source: { readonly topic: string; readonly key: string },
    private readonly deliver: (signal: SourceSignal) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { topic, key } = this.source;
    const groupId = `connect-${this.connector}-signals`;
    const admin = this.kafka.admin();
    await admin.connect();
    let fresh: boolean;
    try {
      await createTopicAndWait(admin, { topic, numPartitions: 1 });
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      fresh = committed.every((t) => t.partitions.every((p) => BigInt(p.offset) < 0n));
    } finally {
      await admin.disconnect();
    }
    // A group with no position yet takes what is sent from now on: older signals were for
    // an earlier connector of that name. (Reading from the start and skipping by time does
    // not miss one sent while the consumer joins, as starting at the end would.)
    const startedAt = Date.now();
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (message.key?.toString('utf8') !== key) return;
        if (fresh && Number(message.timestamp) < startedAt) return;
        const id = `${topic}-${partition}-${message.offset}`;
        let value: { type?: unknown; data?: unknown };
        try {
          value = JSON.parse(message.value?.toString('utf8') ?? 'null') as { type?: unknown; data?: unknown };
        } catch {
          this.logger.error('signal ignored: the Kafka message is not JSON', {
            topic,
            offset: message.offset,
          });
          return;
        }
        if (typeof value?.type !== 'string') {
          this.logger.error('signal ignored: the Kafka message has no "type"', {
            topic,
            offset: message.offset,
          });
          return;
        }
        const data =
          value.data && typeof value.data === 'object' ? (value.data as Record<string, unknown>) : null;
        try {
          this.deliver({ id, type: value.type, data, channel: 'kafka' });
        } catch (error) {
          this.logger.error('the task refused a Kafka signal', { topic, offset: message.offset, error });
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}
