import { ConfigError } from '../plugin/errors.js';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../logging/logger.js';
import { createTopicAndWait } from '../plugin/index.js';
import { readToEnd } from './read-to-end.js';

export interface CompactedTopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** -1: the broker's default. */
  readonly replicationFactor: number;
}

export interface StoreMessage {
  readonly key: string;
  /** null writes a tombstone. */
  readonly value: string | null;
}

/**
 * A compacted Kafka topic used as a key-value log (Kafka Connect's KafkaBasedLog):
 * created if missing, read to its end once at startup, then written through. Only one
 * live worker owns a group's store topics (WorkerGroupLock), so no tailing is needed.
 */
export class CompactedTopic {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly spec: CompactedTopicSpec,
    private readonly logger: Logger,
  ) {}

  async ensure(): Promise<void> {
    const { topic, partitions, replicationFactor } = this.spec;
    const existing = await this.admin.listTopics();
    if (!existing.includes(topic)) {
      const created = await createTopicAndWait(this.admin, {
        topic,
        numPartitions: partitions,
        replicationFactor,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      });
      if (created) this.logger.info('created store topic', { topic, partitions });
      return;
    }
    const described = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['cleanup.policy'] }],
    });
    const policy = described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy');
    if (policy && !policy.configValue.split(',').includes('compact')) {
      throw new ConfigError(
        'cleanup.policy',
        `Store topic "${topic}" has cleanup.policy=${policy.configValue}; it must be compact ` +
          `(kafka-configs --alter --entity-type topics --entity-name ${topic} --add-config cleanup.policy=compact)`,
      );
    }
  }

  /** Reads every record up to the end offsets seen at the start, in partition order. */
  async readAll(onRecord: (key: string, value: Buffer | null) => void): Promise<void> {
    await readToEnd(this.kafka, this.admin, this.spec.topic, (message) => {
      if (message.key) onRecord(message.key.toString('utf8'), message.value);
    });
  }

  async write(messages: readonly StoreMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send({
      topic: this.spec.topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value })),
    });
  }
}
