import { isRetriable, SiphonError } from '../plugin/errors.js';
import { CompressionTypes, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import { maskSecrets } from '../logging/logger.js';
import { deadLetterRecords } from '../metrics/runtime-metrics.js';
import type { ErrorStage } from './error-policy.js';

export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly stage: ErrorStage;
  readonly executingClass: string;
  readonly error: Error;
}

/**
 * The dead-letter topic's `max.message.bytes` when the worker creates it. A sink consumes
 * records as large as its source topics allow (fetches return at least one record, however
 * large), and the broker's 1 MiB default would refuse them here; 64 MiB plus gzip covers
 * what Kafka clients commonly allow, and a record that still does not fit fails the task
 * naming it (send below).
 */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * A sink connector's dead-letter queue (`errors.deadletterqueue.topic.name`): the
 * original key, value and headers of a record that failed, plus, with
 * `errors.deadletterqueue.context.headers.enable`, Kafka Connect's `__connect.errors.*`
 * headers saying where and why.
 */
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
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [{ key: failed.message.key, value: failed.message.value, headers }],
      });
    } catch (error) {
      // Never skip a record unrecorded: the task fails, naming the record and why it was dead-lettered.
      throw new SiphonError(
        `cannot write record ${failed.topic}-${failed.partition}@${failed.message.offset} (${failed.message.value?.length ?? 0} bytes) to the dead-letter queue ${this.topic}: ${(error as Error).message}; it failed with: ${maskSecrets(failed.error.message)}`,
        isRetriable(error),
        { cause: error },
      );
    }
    deadLetterRecords.inc({ connector: this.connector, task: String(this.taskId) });
  }
}
