import { randomUUID } from 'node:crypto';
import { ConfigError } from '../plugin/errors.js';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../logging/logger.js';
import { createTopicAndWait, sleep } from '../plugin/index.js';

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

export type StoreRecordHandler = (key: string, value: Buffer | null) => void;

/**
 * A compacted Kafka topic used as a key-value log (Kafka Connect's KafkaBasedLog):
 * created if missing, read from the beginning and then followed for as long as the worker
 * runs, because every worker of a group writes to it. `readToEnd()` waits until what was
 * in the topic when it was called has been handed to the handler (a leader reads the
 * configs before it assigns, a task's new owner the offsets before it starts).
 */
export class CompactedTopic {
  private consumer: { readonly consumer: Consumer; readonly groupId: string } | null = null;
  /** Per partition: the offset after the last record handed over. */
  private readonly positions = new Map<number, bigint>();
  private readonly progress = new Set<() => void>();
  private failure: Error | null = null;

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

  /**
   * Starts following the topic from its beginning; resolves once every record it held
   * has been handed to `onRecord`, in offset order per partition. Later records (this
   * worker's own writes included) keep coming until `close()`.
   */
  async follow(onRecord: StoreRecordHandler): Promise<void> {
    // A private group that commits nothing: each worker reads the whole topic.
    const groupId = `siphon-store-${this.spec.topic}-${randomUUID()}`;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: 30000,
      // A short fetch wait keeps readToEnd() and shutdown quick.
      maxWaitTimeInMs: 100,
    });
    this.consumer = { consumer, groupId };
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.advance(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.failure = payload.error;
      this.logger.error('stopped following a store topic', { topic: this.spec.topic, error: payload.error });
      for (const wake of this.progress) wake();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.spec.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        if (message.key) onRecord(message.key.toString('utf8'), message.value);
        this.advance(partition, BigInt(message.offset) + 1n);
      },
    });
    await this.readToEnd();
  }

  /** The offset after the last record of `partition` handed over (0 before any). */
  position(partition: number): number {
    return Number(this.positions.get(partition) ?? 0n);
  }

  /** Waits until every record written before this call has been handed over. */
  async readToEnd(timeoutMs = 60_000): Promise<void> {
    const ends = await this.admin.fetchTopicOffsets(this.spec.topic);
    const deadline = Date.now() + timeoutMs;
    const behind = () =>
      ends.some(
        (p) => BigInt(p.high) > BigInt(p.low) && (this.positions.get(p.partition) ?? 0n) < BigInt(p.high),
      );
    while (behind()) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) {
        throw new Error(`store topic ${this.spec.topic} was not read to its end within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.progress.delete(wake);
          resolve();
        };
        this.progress.add(wake);
        void sleep(200).then(wake);
      });
    }
  }

  async close(): Promise<void> {
    const following = this.consumer;
    this.consumer = null;
    if (!following) return;
    await following.consumer.disconnect();
    // Best effort: the private group committed nothing and is of no further use.
    await this.admin.deleteGroups([following.groupId]).catch(() => undefined);
  }

  private advance(partition: number, next: bigint): void {
    if (next <= (this.positions.get(partition) ?? 0n)) return;
    this.positions.set(partition, next);
    for (const wake of this.progress) wake();
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
