import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { maskSecrets } from '../logging/logger.js';
import { deadLetterRecords } from '../metrics/runtime-metrics.js';
import type { ErrorStage } from './error-policy.js';

/**
 * A sink connector's dead-letter queue (`errors.deadletterqueue.topic.name`): the
 * original key, value and headers of a record that failed, plus, with
 * `errors.deadletterqueue.context.headers.enable`, Kafka Connect's `__connect.errors.*`
 * headers saying where and why.
 */
export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly stage: ErrorStage;
  readonly executingClass: string;
  readonly error: Error;
}

export class DeadLetterQueue {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly contextHeaders: boolean,
    private readonly connector: string,
    private readonly taskId: number,
  ) {}

  async send(failed: FailedRecord): Promise<void> {
    const headers: IHeaders = { ...(failed.message.headers ?? {}) };
    if (this.contextHeaders) {
      const prefix = '__connect.errors.';
      Object.assign(headers, {
        [`${prefix}topic`]: failed.topic,
        [`${prefix}partition`]: String(failed.partition),
        [`${prefix}offset`]: failed.message.offset,
        [`${prefix}connector.name`]: this.connector,
        [`${prefix}task.id`]: String(this.taskId),
        [`${prefix}stage`]: failed.stage,
        [`${prefix}class.name`]: failed.executingClass,
        [`${prefix}exception.class.name`]: failed.error.name,
        [`${prefix}exception.message`]: maskSecrets(failed.error.message),
        [`${prefix}exception.stacktrace`]: maskSecrets(failed.error.stack ?? failed.error.message),
      });
    }
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: failed.message.key, value: failed.message.value, headers }],
    });
    deadLetterRecords.inc({ connector: this.connector, task: String(this.taskId) });
  }
}
