import type { Admin, Kafka, Producer } from 'kafkajs';
import type { DurableLog } from '../plugin/durable-log.js';
import type { TaskLogger } from '../plugin/index.js';
import { createTopicAndWait } from '../plugin/index.js';
import { createProducer } from '../worker/kafka-client.js';
import { readToEnd } from './read-to-end.js';

/** A task's DurableLog in a one-partition topic of the worker's cluster, kept forever. */
export class TopicLog implements DurableLog {
  private admin: Admin | null = null;
  private producer: Producer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly logger: TaskLogger,
  ) {}

  async open(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    // One in flight keeps entries in append order across retries.
    this.producer = createProducer(this.kafka, { idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    if ((await this.admin.listTopics()).includes(this.topic)) return;
    const created = await createTopicAndWait(this.admin, {
      topic: this.topic,
      numPartitions: 1,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: '-1' },
        { name: 'retention.bytes', value: '-1' },
      ],
    });
    if (created) this.logger.info('created a durable log topic', { topic: this.topic });
  }

  async readAll(): Promise<string[]> {
    const entries: string[] = [];
    await readToEnd(this.kafka, this.required(this.admin), this.topic, (message) => {
      if (message.value) entries.push(message.value.toString('utf8'));
    });
    return entries;
  }

  async append(entries: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.required(this.producer).send({
      topic: this.topic,
      acks: -1,
      messages: entries.map((value) => ({ value })),
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    await this.admin?.disconnect();
    this.producer = null;
    this.admin = null;
  }

  private required<T>(client: T | null): T {
    if (client === null) throw new Error(`the log on topic ${this.topic} is not open`);
    return client;
  }
}
