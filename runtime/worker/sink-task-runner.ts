import type { KafkaMessage } from 'kafkajs';
import type { Converter } from '../converters/converter.js';
import {
  offsetCommits,
  offsetCommitSeconds,
  recordsSkipped,
  sinkRecordsConsumed,
  taskErrors,
} from '../metrics/runtime-metrics.js';
import { pluginMetrics } from '../metrics/metric-factory.js';
import {
  backoff,
  isRetriable,
  sleep,
  topicPartitionKey,
  type SinkConnectorPlugin,
  type SinkTask,
  type SinkTaskContext,
  type TopicPartition,
} from '../plugin/index.js';
import { sinkRuntimeConfig, sinkTopicsOf } from './connector-config.js';
import type { RecordHeader, SchemaAndValue, SinkRecord } from '../record/index.js';
import { retryStage, StageError, type ErrorStage } from './error-policy.js';
import { recordFailure } from './record-failure.js';
import type { DeadLetterSender, SinkBatchPayload, SinkConsumer, SinkTaskKafka } from './task-ports.js';
import { TaskRunner, type TaskRunnerOptions } from './task-runner.js';

export interface SinkTaskRunnerOptions extends TaskRunnerOptions {
  readonly plugin: SinkConnectorPlugin;
  readonly deadLetterQueue: DeadLetterSender | null;
  readonly kafka: SinkTaskKafka;
}

/** How often a sink looks for topics that appeared (missing ones, new `topics.regex` matches). */
const TOPIC_PATTERN_REFRESH_MS = 5000;
const SESSION_TIMEOUT_MS = 10000;
const HEARTBEAT_INTERVAL_MS = 2500;
const MIB = 1024 * 1024;
/** Records decoded between turns of the event loop, so the put in flight is not held up. */
const DECODE_SLICE = 64;

/** kafkajs errors after which the member must rejoin its group (kafkajs does so when eachBatch throws them). */
const membershipErrorTypes = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP',
]);

function isMembershipError(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && membershipErrorTypes.has(type);
}

export function sinkGroupId(connector: string): string {
  return `connect-${connector}`;
}

/**
 * Runs one sink task: a consumer in group `connect-<connector>` reads batches, the runtime
 * decodes (converters) and transforms them, hands them to `put`, and commits the consumer
 * offsets only once `put` resolved (the records are durable in the target). Bad records go
 * to the dead-letter queue with `errors.tolerance=all`, or fail the task.
 */
export class SinkTaskRunner extends TaskRunner<SinkTaskRunnerOptions> {
  private readonly task: SinkTask;
  private readonly knownTopics = new Set<string>();
  private consumer: SinkConsumer | null = null;
  private assigned: TopicPartition[] = [];
  /** Next offset per partition that an exactly-once sink asked for in open(). */
  private readonly seekTargets = new Map<string, bigint>();
  /** End offset per partition as of the last fetch, for the task's consumer-lag metric. */
  private readonly highWatermarks = new Map<string, bigint>();
  private opening: Promise<void> = Promise.resolve();
  /** Raw messages of the chunk in put(), for the dead-letter queue. */
  private putting: { topic: string; partition: number; messages: readonly KafkaMessage[] } | null = null;
  /** Why the consumer session ended by itself (kafkajs gave up): retried with a new session if transient. */
  private sessionFailure: unknown = null;
  /** A transient failure is shown in the status until the next put succeeds. */
  private settle: (() => void) | null = null;

  constructor(options: SinkTaskRunnerOptions) {
    super(options);
    this.task = options.plugin.createTask();
  }

  protected override wake(): void {
    this.settle?.();
  }

  protected async runAll(): Promise<void> {
    const { errors, logger } = this.options;
    await this.task.start(this.context());
    const retries = backoff({ maxDelayMs: errors.retryMaxDelayMs }, this.stopping.signal);
    try {
      // A consumer session that ends on a transient failure (broker or coordinator away
      // longer than kafkajs retries) is replaced by a new one, which rejoins the group and
      // resumes from the committed offsets.
      while (!this.stopping.signal.aborted) {
        this.sessionFailure = null;
        try {
          await this.runSession();
        } catch (error) {
          this.sessionFailure ??= error;
        }
        const error = this.sessionFailure;
        if (error === null || this.stopping.signal.aborted) break;
        if (!isRetriable(error)) {
          this.fail(error);
          break;
        }
        await retries.failed((attempt, delayMs) => {
          logger.warn('sink consumer failed with a transient error; starting it again', {
            error,
            attempt,
            delayMs,
          });
          this.reportRetrying(error, attempt);
        });
      }
    } finally {
      await this.task.close?.(this.assigned).catch(() => undefined);
      this.assigned = [];
      try {
        await this.task.stop();
      } catch (error) {
        this.fail(error);
      }
    }
    if (this.failure) throw this.failure;
  }

  /** Resolves when the task stops, or when the consumer session ended with `sessionFailure` set. */
  private async runSession(): Promise<void> {
    const { connector, config, kafka } = this.options;
    const ended = new Promise<void>((resolve) => (this.settle = resolve));
    const consumer = kafka.consumer({
      groupId: sinkGroupId(connector),
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      // stop() waits for the fetch in flight; keep that short.
      maxWaitTimeInMs: 1000,
      ...fetchLimits(sinkRuntimeConfig.read(config)['consumer.max.poll.records']),
      retry: { retries: 5 },
    });
    this.consumer = consumer;
    try {
      await consumer.connect();
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const partitions = Object.entries(payload.memberAssignment).flatMap(([topic, ids]) =>
          ids.map((partition) => ({ topic, partition })),
        );
        this.opening = this.opening.then(() => this.reassign(partitions)).catch((error) => this.fail(error));
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart) return;
        this.sessionFailure ??= payload.error;
        this.settle?.();
      });
      const { topics, regex, pattern, matches: wanted } = sinkTopicsOf(config);
      // Like Kafka's consumer, a sink waits for topics that do not exist yet, and picks up
      // topics created later that match topics.regex (kafkajs resolves a pattern only when
      // it subscribes): the runner subscribes again when the set of present topics grows.
      let present = await this.topicsPresent(wanted);
      for (;;) {
        if (present.size > 0) {
          await consumer.subscribe({ topics: pattern ? [pattern] : [...present], fromBeginning: true });
          await consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            eachBatch: (payload) => this.onBatch(payload),
          });
        } else {
          this.options.logger.info('waiting for the topics to exist', { topics: pattern ? regex : topics });
        }
        if (!pattern && present.size === topics.length) break;
        const grown = await this.newTopicsPresent(wanted, present);
        if (!grown) break;
        this.options.logger.info('new topics to consume; subscribing again', {
          topics: [...grown].filter((t) => !present.has(t)),
        });
        // Offsets of everything put so far are committed after each batch; stop() lets
        // the batch in flight finish first.
        if (present.size > 0) await consumer.stop();
        present = grown;
      }
      if (!this.stopping.signal.aborted && this.sessionFailure === null) await ended;
    } finally {
      this.consumer = null;
      await consumer.disconnect().catch(() => undefined);
    }
  }

  private async topicsPresent(wanted: (topic: string) => boolean): Promise<Set<string>> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      return new Set((await admin.listTopics()).filter(wanted));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Resolves with the grown set once a wanted topic appears that is not in `known`, or
   * with null when the task stops first.
   */
  private async newTopicsPresent(
    wanted: (topic: string) => boolean,
    known: ReadonlySet<string>,
  ): Promise<Set<string> | null> {
    // stop() and fail() both abort this signal.
    while (!this.stopping.signal.aborted && this.sessionFailure === null) {
      await sleep(TOPIC_PATTERN_REFRESH_MS, this.stopping.signal);
      if (this.stopping.signal.aborted || this.sessionFailure !== null) break;
      const now = await this.topicsPresent(wanted).catch(() => known);
      if ([...now].some((topic) => !known.has(topic))) return new Set(now);
    }
    return null;
  }

  private async reassign(partitions: TopicPartition[]): Promise<void> {
    const next = new Set(partitions.map(topicPartitionKey));
    const revoked = this.assigned.filter((tp) => !next.has(topicPartitionKey(tp)));
    if (revoked.length > 0) await this.task.close?.(revoked);
    this.assigned = partitions;
    if (!this.task.open || partitions.length === 0) return;
    const offsets = await this.task.open(partitions);
    for (const tp of partitions) {
      const offset = offsets.get(topicPartitionKey(tp));
      if (offset === undefined) continue;
      this.seekTargets.set(topicPartitionKey(tp), offset);
      this.consumer?.seek({ topic: tp.topic, partition: tp.partition, offset: offset.toString() });
    }
  }

  private context(): SinkTaskContext {
    const { connector, taskId, config, logger, onProgress } = this.options;
    return {
      connectorName: connector,
      taskId,
      config,
      logger,
      metrics: pluginMetrics,
      signal: this.stopping.signal,
      reportProgress: onProgress,
      reportRetrying: (error, attempt) => this.reportRetrying(error, attempt),
      reportBadRecord: async (record, error) => {
        const failure = await this.badRecord(
          'TASK_PUT',
          record.topic,
          record.kafkaPartition,
          this.messageOf(record),
          error,
        );
        if (failure) {
          this.fail(failure);
          throw failure;
        }
      },
      endOffset: (tp) => this.highWatermarks.get(topicPartitionKey(tp)),
    };
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: SinkBatchPayload): Promise<void> {
    await this.opening;
    const { topic, partition } = batch;
    const key = topicPartitionKey({ topic, partition });
    this.highWatermarks.set(key, BigInt(batch.highWatermark));
    const target = this.seekTargets.get(key);
    const messages =
      target === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= target);
    if (messages.length > 0) this.seekTargets.delete(key);
    if (!this.knownTopics.has(topic)) {
      await this.options.onTopic(topic);
      this.knownTopics.add(topic);
    }
    const chunkSize = sinkRuntimeConfig.read(this.options.config)['consumer.max.poll.records'];
    const chunks: KafkaMessage[][] = [];
    for (let start = 0; start < messages.length; start += chunkSize)
      chunks.push(messages.slice(start, start + chunkSize));
    // While one chunk is put, the next is decoded: the main thread works while the target
    // does. Chunks are put in order, each committed only once its put resolved.
    let decoding = chunks[0] ? this.decodeChunk(topic, partition, chunks[0]) : null;
    // A chunk's offset commit runs while the next chunk is put; the next commit, a failure
    // and the end of the batch wait for it.
    let committing: Promise<void> = Promise.resolve();
    try {
      for (let index = 0; decoding !== null; index++) {
        const { records, failure } = await decoding;
        decoding = null;
        if (failure) {
          // A record the runtime refused (errors.tolerance=none) fails the task once the chunks before it are committed.
          await committing;
          this.fail(failure);
        }
        if (this.failure || !isRunning() || isStale()) return;
        const chunk = chunks[index] ?? [];
        const next = chunks[index + 1];
        if (next) decoding = this.decodeChunk(topic, partition, next);
        if (!(await this.process(topic, partition, chunk, records, heartbeat))) return;
        await committing;
        const last = chunk[chunk.length - 1];
        if (last) {
          committing = this.commit(topic, partition, last, resolveOffset, heartbeat);
          // Handled where it is awaited; this only keeps a failure from counting as unhandled meanwhile.
          committing.catch(() => undefined);
        }
      }
    } finally {
      // A chunk decoded ahead of a failure or a stop is dropped (it was not put); its
      // dead-letter writes, if any, finish first.
      await decoding;
      await committing;
    }
  }

  private async commit(
    topic: string,
    partition: number,
    last: KafkaMessage,
    resolveOffset: (offset: string) => void,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const timer = offsetCommitSeconds.startTimer(this.labels);
    const next = (BigInt(last.offset) + 1n).toString();
    try {
      await this.consumer?.commitOffsets([{ topic, partition, offset: next }]);
      offsetCommits.inc({ ...this.labels, outcome: 'success' });
    } catch (error) {
      offsetCommits.inc({ ...this.labels, outcome: 'failure' });
      throw error;
    } finally {
      timer();
    }
    resolveOffset(last.offset);
    await heartbeat();
  }

  /** Puts one decoded chunk; false when the task failed. */
  private async process(
    topic: string,
    partition: number,
    chunk: readonly KafkaMessage[],
    records: SinkRecord[],
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    this.putting = { topic, partition, messages: chunk };
    try {
      if (records.length > 0) await this.put(records, heartbeat);
      sinkRecordsConsumed.inc(this.labels, chunk.length);
      return !this.failure;
    } catch (error) {
      // kafkajs rejoins the group and fetches again from the committed offsets.
      if (isMembershipError(error)) throw error;
      this.fail(error);
      return false;
    } finally {
      this.putting = null;
    }
  }

  /** The raw message of a record in put(), for the dead-letter queue (a rare path: a search). */
  private messageOf(record: SinkRecord): KafkaMessage | undefined {
    const putting = this.putting;
    if (putting?.topic !== record.topic || putting.partition !== record.kafkaPartition) return undefined;
    const offset = String(record.kafkaOffset);
    return putting.messages.find((message) => message.offset === offset);
  }

  /**
   * Decodes and transforms a chunk in order, letting the event loop turn now and then so a
   * put in flight proceeds meanwhile. Stops at the first record the runtime refuses
   * (errors.tolerance=none) and returns its failure, to fail the task once the chunks
   * before it are committed.
   */
  private async decodeChunk(
    topic: string,
    partition: number,
    chunk: readonly KafkaMessage[],
  ): Promise<{ records: SinkRecord[]; failure: unknown }> {
    const records: SinkRecord[] = [];
    try {
      for (let index = 0; index < chunk.length; index++) {
        if (index % DECODE_SLICE === DECODE_SLICE - 1) await nextTurnOfEventLoop();
        const message = chunk[index];
        if (message === undefined) continue;
        const record = await this.decode(topic, partition, message);
        if (record !== null) records.push(record);
      }
      return { records, failure: null };
    } catch (failure) {
      return { records, failure };
    }
  }

  /**
   * A record, or null when it is skipped (a transform dropped it, or errors.tolerance=all
   * sent it to the dead-letter queue); throws the failure of a record the runtime refuses.
   */
  private async decode(topic: string, partition: number, message: KafkaMessage): Promise<SinkRecord | null> {
    const { keyConverter, valueConverter, transform } = this.options;
    let stage: ErrorStage = 'KEY_CONVERTER';
    try {
      const key = await this.converted(stage, keyConverter, topic, message.key);
      stage = 'VALUE_CONVERTER';
      const value = await this.converted(stage, valueConverter, topic, message.value);
      const record: SinkRecord = {
        topic,
        kafkaPartition: partition,
        kafkaOffset: BigInt(message.offset),
        keySchema: key.schema,
        key: key.value,
        valueSchema: value.schema,
        value: value.value,
        timestamp: Number(message.timestamp),
        headers: recordHeaders(message.headers),
      };
      if (!transform) return record;
      stage = 'TRANSFORMATION';
      try {
        return transform.apply(record);
      } catch (error) {
        return await this.retried(stage, error, async () => transform.apply(record));
      }
    } catch (error) {
      const failure = await this.badRecord(stage, topic, partition, message, error);
      if (failure) throw failure;
      return null;
    }
  }

  /** One conversion; only a failure pays for the retry policy (nearly every record converts at once). */
  private async converted(
    stage: ErrorStage,
    converter: Converter,
    topic: string,
    bytes: Buffer | null,
  ): Promise<SchemaAndValue> {
    try {
      return await converter.toConnectData(topic, bytes);
    } catch (error) {
      return this.retried(stage, error, () => converter.toConnectData(topic, bytes));
    }
  }

  /**
   * Retries a stage that failed once under the connector's retry policy, that failure
   * counting as the policy's first attempt (errors.retry.timeout runs from it, as if the
   * policy had run the operation from the start).
   */
  private retried<T>(stage: ErrorStage, failure: unknown, operation: () => Promise<T>): Promise<T> {
    let replayed = false;
    return this.retrying(stage, () => {
      if (replayed) return operation();
      replayed = true;
      return Promise.reject(failure);
    });
  }

  /**
   * Puts a chunk, retrying transient failures for as long as they last (like Kafka
   * Connect retries RetriableException from put). kafkajs heartbeats only between batches,
   * so this heartbeats itself meanwhile: the member stays in its group however long the
   * target is away. If the group rebalances or forgets the member anyway, the batch is
   * left to kafkajs, which rejoins and fetches again from the committed offsets.
   */
  private async put(records: SinkRecord[], heartbeat: () => Promise<void>): Promise<void> {
    const retries = backoff({ maxDelayMs: this.options.errors.retryMaxDelayMs }, this.stopping.signal);
    let membershipLost: unknown = null;
    const beat = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        // A broker that is away is kafkajs's to ride out; only the group's verdict matters here.
        if (isMembershipError(error)) membershipLost ??= error;
      });
    }, HEARTBEAT_INTERVAL_MS);
    try {
      for (;;) {
        try {
          await this.task.put(records);
          this.recovered();
          return;
        } catch (error) {
          const retriable = isRetriable(error);
          taskErrors.inc({ ...this.labels, retriable: String(retriable) });
          if (!retriable || this.stopping.signal.aborted) throw error;
          if (membershipLost) throw membershipLost;
          await retries.failed((attempt, delayMs) => {
            this.options.logger.warn('put failed with a transient error; retrying the batch', {
              error,
              attempt,
              delayMs,
            });
            this.reportRetrying(error, attempt);
          });
          if (membershipLost) throw membershipLost;
        }
      }
    } finally {
      clearInterval(beat);
    }
  }

  /** errors.tolerance=all: dead-letter queue (if set) and skip; none: the task fails. */
  private async badRecord(
    stage: ErrorStage,
    topic: string,
    partition: number,
    message: KafkaMessage | undefined,
    cause: unknown,
  ): Promise<Error | null> {
    const error =
      cause instanceof StageError && cause.cause instanceof Error ? cause.cause : (cause as Error);
    const { errors, deadLetterQueue, logger } = this.options;
    if (!errors.tolerateAll) {
      const where = `topic ${topic}, partition ${partition}, offset ${message?.offset ?? 'unknown'}`;
      return recordFailure(stage, where, error);
    }
    recordsSkipped.inc({ ...this.labels, stage });
    if (errors.logErrors) {
      logger.warn('skipping sink record after an error (errors.tolerance=all)', {
        stage,
        ...(errors.logIncludeMessages ? { topic, partition, offset: message?.offset } : {}),
        error,
      });
    }
    if (deadLetterQueue && message) {
      const executingClass = stage === 'TASK_PUT' ? this.options.plugin.className : 'siphon.runtime';
      await deadLetterQueue.send({ topic, partition, message, stage, executingClass, error });
    }
    return null;
  }

  private retrying<T>(stage: ErrorStage, operation: () => Promise<T>): Promise<T> {
    const { errors, logger } = this.options;
    return retryStage(stage, operation, { errors, logger, signal: this.stopping.signal });
  }
}

/**
 * Fetch sizes that hold a whole chunk (consumer.max.poll.records) of records up to 16 KiB,
 * and a few chunks of smaller ones, so decoding the next chunk can overlap putting this
 * one; bounded, so memory is too. A record larger than the limit is still fetched alone.
 */
function fetchLimits(maxPollRecords: number): { maxBytesPerPartition: number; maxBytes: number } {
  const perPartition = Math.min(16 * MIB, Math.max(MIB, maxPollRecords * 16 * 1024));
  return {
    maxBytesPerPartition: perPartition,
    maxBytes: Math.min(64 * MIB, Math.max(10 * MIB, 2 * perPartition)),
  };
}

function nextTurnOfEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function recordHeaders(headers: KafkaMessage['headers']): RecordHeader[] {
  const out: RecordHeader[] = [];
  for (const [key, value] of Object.entries(headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push({ key, value: v ?? null });
  }
  return out;
}
