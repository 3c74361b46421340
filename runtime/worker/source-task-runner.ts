import type { CompressionTypes, IHeaders, Message } from 'kafkajs';
import {
  offsetCommits,
  offsetCommitSeconds,
  recordsSkipped,
  sourceQueueCapacity,
  sourceQueueFill,
  sourceRecordsProduced,
  taskErrors,
} from '../metrics/runtime-metrics.js';
import { pluginMetrics } from '../metrics/metric-factory.js';
import {
  backoff,
  DataError,
  isConnectionLost,
  isRetriable,
  SiphonError,
  type Backoff,
  type CommittedSourceOffset,
  type SourceConnectorPlugin,
  type SourceTask,
  type SourceTaskContext,
} from '../plugin/index.js';
import { sourceQueueConfig } from '../plugin/source-queue-config.js';
import type { RecordHeader, SourcePartition, SourceRecord } from '../record/index.js';
import { offsetKey } from '../stores/offset-store.js';
import type { BatchSender, SourceOffsetStore, SourceTaskKafka, TransactionalProducer } from './task-ports.js';
import { BoundedQueue, QueueClosedError } from './bounded-queue.js';
import { approximateRecordBytes } from './record-size.js';
import { retryStage, StageError, taskRetryPolicy, type ErrorStage } from './error-policy.js';
import { recordFailure } from './record-failure.js';
import { produceRequests } from './produce-requests.js';
import { describeRecord, isRecordTooLarge } from './unproducible-record.js';
import { TaskRunner, type TaskRunnerOptions } from './task-runner.js';
import { BoundedSignalInbox } from './signal-inbox.js';

export interface SourceTaskRunnerOptions extends TaskRunnerOptions {
  readonly plugin: SourceConnectorPlugin;
  readonly offsetStore: SourceOffsetStore;
  readonly flushIntervalMs: number;
  /** Idempotent producer shared by the worker's at-least-once tasks. */
  readonly producer: BatchSender;
  /** Set for exactly-once: the task gets its own transactional producer with this id. */
  readonly transactionalId: string | null;
  readonly kafka: SourceTaskKafka;
  /** producer.compression.type of the worker. */
  readonly compression: CompressionTypes;
}

type PendingOffset = CommittedSourceOffset;

/**
 * Runs one source task: the task emits into a bounded queue; this loop takes batches,
 * transforms and converts them, produces them (idempotent producer, acks=all) and, every
 * `offset.flush.interval.ms` and on stop, writes the acknowledged offsets to the offsets
 * topic before telling the task they are committed. With exactly-once, each batch and
 * its offsets go to Kafka in one transaction instead.
 */
export class SourceTaskRunner extends TaskRunner<SourceTaskRunnerOptions> {
  private readonly taskDone = new AbortController();
  private readonly queue: BoundedQueue<SourceRecord>;
  private readonly task: SourceTask;
  private readonly pending = new Map<string, PendingOffset>();
  private readonly knownTopics = new Set<string>();
  /** Signals sent to this task through the runtime. */
  readonly signals: BoundedSignalInbox;
  private commitChain: Promise<void> = Promise.resolve();
  private transactional: TransactionalProducer | null = null;

  constructor(options: SourceTaskRunnerOptions) {
    super(options);
    const queueOptions = sourceQueueConfig.read(options.config);
    this.queue = new BoundedQueue(queueOptions['max.queue.size'], {
      maxBytes: queueOptions['max.queue.size.in.bytes'],
      sizeOf: approximateRecordBytes,
    });
    this.task = options.plugin.createTask();
    this.signals = new BoundedSignalInbox(`task ${options.connector}-${options.taskId}`);
    sourceQueueCapacity.set(this.labels, this.queue.capacity);
  }

  protected async runAll(): Promise<void> {
    const { logger, transactionalId } = this.options;
    if (transactionalId) {
      this.transactional = this.options.kafka.transactionalProducer(transactionalId);
      await this.transactional.connect();
    }
    const flushTimer = transactionalId
      ? null
      : setInterval(() => void this.commitOffsets().catch(() => undefined), this.options.flushIntervalMs);
    const taskRun = this.runTask().finally(() => this.taskDone.abort());
    try {
      await Promise.all([taskRun, this.produceLoop()]);
    } catch (error) {
      this.fail(error);
    } finally {
      if (flushTimer) clearInterval(flushTimer);
      this.queue.close();
      await taskRun.catch(() => undefined);
      try {
        await this.commitOffsets();
      } catch (error) {
        logger.error('final offset commit failed', { error });
        this.fail(error);
      }
      await this.transactional?.disconnect().catch(() => undefined);
      sourceQueueFill.set(this.labels, 0);
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Runs the task, restarting it with capped backoff after transient errors, at most
   * `errors.max.retries` times in a row (the count starts again once the task emits).
   */
  private async runTask(): Promise<void> {
    const { logger, errors, config } = this.options;
    const policy = taskRetryPolicy(config, errors);
    this.restarts = backoff(policy, this.stopping.signal);
    for (;;) {
      try {
        await this.task.run(this.context());
        return;
      } catch (error) {
        const stoppedCleanly = error instanceof QueueClosedError || (error as Error)?.name === 'AbortError';
        if (stoppedCleanly && this.stopping.signal.aborted) return;
        const retriable = isRetriable(error);
        taskErrors.inc({ ...this.labels, retriable: String(retriable) });
        if (!retriable || this.stopping.signal.aborted) {
          if (!this.stopping.signal.aborted || !this.failure) this.fail(error);
          return;
        }
        const again = await this.restarts.failed((attempt, delayMs) => {
          logger.warn('source task failed with a transient error; restarting it', {
            error,
            attempt,
            delayMs,
          });
          this.reportRetrying(error, attempt);
        });
        if (this.stopping.signal.aborted) return;
        if (!again) {
          this.fail(
            new SiphonError(
              `gave up after ${this.restarts.attempts} attempts (errors.max.retries=${policy.maxRetries}): ${
                (error as Error)?.message ?? String(error)
              }`,
              false,
              { cause: error },
            ),
          );
          return;
        }
      }
    }
  }

  private restarts: Backoff | null = null;
  /** The phase the task reported last (`phase`, or `snapshot` for MySQL's). */
  private phase = '';
  /** Commit offsets once what the task emitted so far is produced. */
  private commitWhenDelivered = false;

  /** The task made progress: a retry shown in the status is over, and the retry count starts again. */
  private progressed(): void {
    this.restarts?.reset();
    this.recovered();
  }

  private context(): SourceTaskContext {
    const { connector, taskId, config, logger, offsetStore, onProgress } = this.options;
    return {
      connectorName: connector,
      taskId,
      config,
      logger,
      metrics: pluginMetrics,
      signal: this.stopping.signal,
      reportProgress: (progress) => {
        // A phase change (snapshot completed, streaming begun) is committed as soon as its
        // records are produced, not at the next flush: a restart in between (a broker
        // outage, a crash) must not take a finished snapshot again.
        const phase = String(progress['phase'] ?? progress['snapshot'] ?? '');
        if (phase !== '' && phase !== this.phase) {
          this.phase = phase;
          this.commitWhenDelivered = true;
        }
        onProgress(progress);
      },
      reportRetrying: (error, attempt) => this.reportRetrying(error, attempt),
      committedOffset: async (partition) => offsetStore.get(connector, partition),
      durableLog: (topic) => this.options.kafka.durableLog(topic, logger),
      signals: this.signals,
      emit: async (records) => {
        await this.queue.push(records);
        sourceQueueFill.set(this.labels, this.queue.size);
        if (records.length > 0) this.progressed();
      },
    };
  }

  private async produceLoop(): Promise<void> {
    const maxBatch = sourceQueueConfig.read(this.options.config)['max.batch.size'];
    for (;;) {
      if (this.failure) return;
      if (this.taskDone.signal.aborted && this.queue.size === 0) return;
      const batch = await this.queue.take(maxBatch, this.taskDone.signal);
      sourceQueueFill.set(this.labels, this.queue.size);
      if (batch.length > 0) {
        const abandoned = await this.deliver(batch).then(
          () => false,
          (error: unknown) => {
            // Stopped while the broker is out of reach: the task stops, it has not failed, and
            // nothing of the batch counts as produced (its offsets are not committed).
            if (this.stopping.signal.aborted && isConnectionLost(error)) return true;
            throw error;
          },
        );
        if (abandoned) return;
      }
      if (this.commitWhenDelivered && this.queue.size === 0) {
        this.commitWhenDelivered = false;
        void this.commitOffsets().catch(() => undefined);
      }
    }
  }

  private async deliver(batch: readonly SourceRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const origins = new Map<Message, SourceRecord>();
    for (const record of batch) {
      const message = await this.toMessage(record);
      if (!message) continue;
      const [topic, kafkaMessage] = message;
      origins.set(kafkaMessage, record);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(kafkaMessage);
    }
    for (const topic of byTopic.keys()) {
      if (!this.knownTopics.has(topic)) {
        await this.options.onTopic(topic);
        this.knownTopics.add(topic);
      }
    }
    const topicMessages = [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages }));
    const produced = topicMessages.reduce((n, t) => n + t.messages.length, 0);
    const offsets = this.latestOffsets(batch);
    if (this.transactional) {
      await this.sendTransaction(this.transactional, topicMessages, offsets).catch((error: unknown) => {
        throw this.tooLarge(error, topicMessages, origins) ?? error;
      });
    } else {
      const { compression } = this.options;
      for (const request of produceRequests(topicMessages)) {
        await this.produce(() =>
          this.retrying('KAFKA_PRODUCE', () =>
            this.options.producer.sendBatch(
              { topicMessages: request, acks: -1, compression },
              this.stopping.signal,
            ),
          ),
        ).catch((error: unknown) => this.produceOneByOne(error, request, origins));
      }
      for (const [key, o] of offsets) this.pending.set(key, o);
    }
    sourceRecordsProduced.inc(this.labels, produced);
  }

  /**
   * The last offset of each source partition in the batch, by offset key. Records of one
   * partition mostly share its object, so the key is computed once per run of them.
   */
  private latestOffsets(batch: readonly SourceRecord[]): Map<string, PendingOffset> {
    const latest = new Map<string, PendingOffset>();
    let partition: SourcePartition | null = null;
    let key = '';
    for (const record of batch) {
      if (record.sourcePartition !== partition) {
        partition = record.sourcePartition;
        key = offsetKey(this.options.connector, partition);
      }
      latest.set(key, { partition, offset: record.sourceOffset });
    }
    return latest;
  }

  private async sendTransaction(
    producer: TransactionalProducer,
    topicMessages: { topic: string; messages: Message[] }[],
    offsets: ReadonlyMap<string, PendingOffset>,
  ): Promise<void> {
    const { connector, offsetStore } = this.options;
    const entries = [...offsets.values()];
    const timer = offsetCommitSeconds.startTimer(this.labels);
    const transaction = await producer.transaction();
    try {
      const offsetMessages = offsetStore.messages(connector, entries);
      const requests = produceRequests([
        ...topicMessages,
        { topic: offsetStore.topic.spec.topic, messages: offsetMessages },
      ]);
      for (const request of requests) {
        await transaction.sendBatch({
          acks: -1,
          topicMessages: request,
          compression: this.options.compression,
        });
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      offsetCommits.inc({ ...this.labels, outcome: 'failure' });
      throw error;
    }
    timer();
    offsetCommits.inc({ ...this.labels, outcome: 'success' });
    offsetStore.apply(connector, entries);
    await this.task.offsetsCommitted(entries);
  }

  /**
   * A request the broker refused as too large: its messages go one by one, in order, so
   * the one(s) too large are known; each is reported naming topic, table, key and source
   * position, and skipped (errors.tolerance=all) or fails the task.
   */
  private async produceOneByOne(
    error: unknown,
    request: readonly { topic: string; messages: Message[] }[],
    origins: ReadonlyMap<Message, SourceRecord>,
  ): Promise<void> {
    if (!isRecordTooLarge(error)) throw error;
    const { compression, producer, errors, logger } = this.options;
    for (const { topic, messages } of request) {
      for (const message of messages) {
        try {
          await this.retrying('KAFKA_PRODUCE', () =>
            producer.sendBatch(
              { topicMessages: [{ topic, messages: [message] }], acks: -1, compression },
              this.stopping.signal,
            ),
          );
        } catch (single) {
          if (!isRecordTooLarge(single)) throw single;
          const description = describeRecord(origins.get(message)!, messageSize(message));
          if (!errors.tolerateAll) throw new DataError(description, { cause: single });
          recordsSkipped.inc({ ...this.labels, stage: 'KAFKA_PRODUCE' });
          logger.warn('skipping a source record the broker refuses (errors.tolerance=all)', {
            record: description,
          });
        }
      }
    }
  }

  /** In a transaction nothing can be skipped: the failure names the record too large, when one is. */
  private tooLarge(
    error: unknown,
    topicMessages: readonly { topic: string; messages: Message[] }[],
    origins: ReadonlyMap<Message, SourceRecord>,
  ): Error | undefined {
    if (!isRecordTooLarge(error)) return undefined;
    const largest = topicMessages
      .flatMap((t) => t.messages)
      .reduce<Message | undefined>(
        (a, m) => (a === undefined || messageSize(m) > messageSize(a) ? m : a),
        undefined,
      );
    const record = largest === undefined ? undefined : origins.get(largest);
    if (largest === undefined || record === undefined) return undefined;
    return new DataError(
      `${describeRecord(record, messageSize(largest))} (exactly-once: the transaction was aborted)`,
      {
        cause: error,
      },
    );
  }

  /** Transform and convert one record; null when it is dropped (filter) or skipped (tolerated error). */
  private async toMessage(record: SourceRecord): Promise<[string, Message] | null> {
    const { transform, keyConverter, valueConverter } = this.options;
    try {
      const transformed = transform
        ? await this.attempt('TRANSFORMATION', async () => transform.apply(record))
        : record;
      if (transformed === null) return null;
      const { topic } = transformed;
      const key = await this.attempt('KEY_CONVERTER', () =>
        keyConverter.fromConnectData(topic, transformed.keySchema, transformed.key),
      );
      const value = await this.attempt('VALUE_CONVERTER', () =>
        valueConverter.fromConnectData(topic, transformed.valueSchema, transformed.value),
      );
      const message: Message = { key, value, headers: kafkaHeaders(transformed.headers) };
      if (typeof transformed.kafkaPartition === 'number') message.partition = transformed.kafkaPartition;
      if (transformed.timestamp !== undefined) message.timestamp = String(transformed.timestamp);
      return [topic, message];
    } catch (error) {
      const stage = error instanceof StageError ? error.stage : 'TRANSFORMATION';
      if (!this.options.errors.tolerateAll) {
        // Not produced yet: the record is where the source says it is.
        const partition =
          typeof record.kafkaPartition === 'number' ? `, partition ${record.kafkaPartition}` : '';
        const where = `topic ${record.topic}${partition}, source partition ${JSON.stringify(record.sourcePartition)}, source offset ${JSON.stringify(record.sourceOffset)}`;
        throw recordFailure(stage, where, error);
      }
      recordsSkipped.inc({ ...this.labels, stage });
      if (this.options.errors.logErrors) {
        this.options.logger.warn('skipping source record after an error (errors.tolerance=all)', {
          stage,
          topic: this.options.errors.logIncludeMessages ? record.topic : undefined,
          error,
        });
      }
      return null;
    }
  }

  /**
   * Produces, riding out a broker that cannot be reached for as long as that lasts
   * (errors.retry.timeout governs the other failures). Memory stays bounded meanwhile:
   * this batch waits, the queue fills, and the task's emit waits on it. Once the broker
   * is back, offsets are committed at once, so a restart after a long outage does not
   * repeat what was produced before it.
   */
  private async produce(send: () => Promise<unknown>): Promise<void> {
    const outage = backoff({ maxDelayMs: this.options.errors.retryMaxDelayMs }, this.stopping.signal);
    for (;;) {
      try {
        await send();
        if (outage.attempts > 0) {
          this.progressed();
          void this.commitOffsets().catch(() => undefined);
        }
        return;
      } catch (error) {
        const cause = error instanceof StageError ? error.cause : error;
        if (!isConnectionLost(cause) || this.stopping.signal.aborted) throw error;
        const again = await outage.failed((attempt, delayMs) => {
          this.options.logger.warn('Kafka cannot be reached; retrying the produce', {
            attempt,
            delayMs,
            error: cause,
          });
          this.reportRetrying(cause, attempt);
        });
        if (!again) throw error;
      }
    }
  }

  /**
   * One record's stage: the first attempt runs bare, and only a failure goes on under the
   * retry policy, as that attempt's outcome (so retries, delays and logs are as if it had
   * run under it). The retry machinery's allocations and promise hops stay off the path
   * every record takes.
   */
  private async attempt<T>(stage: ErrorStage, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      let first = true;
      return this.retrying(stage, () => {
        if (!first) return operation();
        first = false;
        return Promise.reject(error);
      });
    }
  }

  private retrying<T>(stage: ErrorStage, operation: () => Promise<T>): Promise<T> {
    const { errors, logger } = this.options;
    return retryStage(stage, operation, { errors, logger, signal: this.stopping.signal });
  }

  /** Writes the offsets of every acknowledged record, then tells the task. Serialized. */
  commitOffsets(): Promise<void> {
    const run = async () => {
      if (this.pending.size === 0) return;
      const { connector, offsetStore } = this.options;
      const entries = [...this.pending.values()];
      this.pending.clear();
      const timer = offsetCommitSeconds.startTimer(this.labels);
      try {
        await offsetStore.write(connector, entries);
      } catch (error) {
        // Put them back unless newer offsets arrived meanwhile; the next flush retries.
        for (const e of entries) {
          const key = offsetKey(connector, e.partition);
          if (!this.pending.has(key)) this.pending.set(key, e);
        }
        offsetCommits.inc({ ...this.labels, outcome: 'failure' });
        this.options.logger.warn('offset commit failed; will retry at the next flush', { error });
        throw error;
      }
      timer();
      offsetCommits.inc({ ...this.labels, outcome: 'success' });
      await this.task.offsetsCommitted(entries);
    };
    this.commitChain = this.commitChain.catch(() => undefined).then(run);
    return this.commitChain;
  }
}

function kafkaHeaders(headers: readonly RecordHeader[] | undefined): IHeaders | undefined {
  if (!headers || headers.length === 0) return undefined;
  const out: IHeaders = {};
  for (const { key, value } of headers) {
    // kafkajs cannot write a null header value; an empty one is the closest it gets.
    const v = value ?? '';
    const existing = out[key];
    out[key] = existing === undefined ? v : [...(Array.isArray(existing) ? existing : [existing]), v];
  }
  return out;
}

function messageSize(message: Message): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0);
}
