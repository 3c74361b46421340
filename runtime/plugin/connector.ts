import type { SinkRecord, SourceOffset, SourcePartition, SourceRecord } from '../record/index.js';
import type { ConfigDef, ParsedConfig } from './config-def.js';
import type { DurableLog } from './durable-log.js';
import type { MetricDefinition, MetricFactory } from './metrics.js';
import type { RetentionMeasurable } from './retention.js';
import type { SignalInbox } from './signals.js';
import type { SinkVerification, SourceVerification } from './verification.js';

/** The connector's raw config as stored, secrets already resolved for the task. */
export type ConnectorConfig = Readonly<Record<string, string>>;

export interface ConfigIssue {
  readonly name: string;
  readonly message: string;
}

export interface TaskLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Things every task context has. */
export interface TaskContext {
  readonly connectorName: string;
  readonly taskId: number;
  /** The connector config merged with this task's config, validated and typed. */
  readonly config: ParsedConfig;
  readonly logger: TaskLogger;
  /**
   * The task's metrics, registered in the runtime's registry (served at `/metrics`);
   * metric names are given in full (see `runtime/plugin/metrics.ts`).
   */
  readonly metrics: MetricFactory;
  /** Aborted when the runtime stops the task; long waits should listen to it. */
  readonly signal: AbortSignal;
  /** Reported in the task's status (e.g. snapshot progress). */
  reportProgress(progress: Readonly<Record<string, string | number>>): void;
  /**
   * The task retries a transient failure by itself (e.g. a reconnect): the status shows
   * the error and the attempt until the task makes progress again. Optional for runtimes.
   */
  reportRetrying?(error: unknown, attempt: number): void;
}

export interface SourceTaskContext extends TaskContext {
  /** The last offset committed to Kafka for a source partition, or null. */
  committedOffset(partition: SourcePartition): Promise<SourceOffset | null>;
  /**
   * Hands records to the runtime's bounded queue; resolves once they are queued.
   * The promise waits while the queue is full: that is the backpressure.
   */
  emit(records: readonly SourceRecord[]): Promise<void>;
  /**
   * A durable log in `topic` of the worker's Kafka cluster, reached with the worker's
   * security settings (connectors never open Kafka clients of their own).
   */
  durableLog(topic: string): DurableLog;
  /** Signals sent to the task through the runtime (REST); the connector reads its own channels. */
  readonly signals: SignalInbox;
}

export interface CommittedSourceOffset {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset;
}

export interface SourceTask {
  /**
   * Reads the source until the context's signal aborts, emitting records through the
   * context. Resolves after a clean stop; rejects when the task fails (the runtime
   * marks it FAILED with the error, and retries when it is a RetriableError).
   */
  run(context: SourceTaskContext): Promise<void>;
  /**
   * The runtime produced every record up to these offsets and stored the offsets in
   * Kafka; only now may the task acknowledge them to its source (e.g. flush an LSN).
   */
  offsetsCommitted(committed: readonly CommittedSourceOffset[]): Promise<void>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface SinkTaskContext extends TaskContext {
  /** The runtime's dead-letter queue (or failure) path for one bad record. */
  reportBadRecord(record: SinkRecord, error: Error): Promise<void>;
  /**
   * The partition's end offset (high watermark) as the consumer last saw it, for
   * consumer-lag metrics; undefined when not known yet. Optional for runtimes.
   */
  endOffset?(partition: TopicPartition): bigint | undefined;
}

export interface SinkTask {
  start(context: SinkTaskContext): Promise<void>;
  /**
   * Exactly-once sinks keep consumed offsets in the target. Return the next offset to
   * read per assigned partition (absent: the consumer group's committed offset).
   */
  open?(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>>;
  /** Applies a batch; resolves once it is durable in the target. */
  put(records: readonly SinkRecord[]): Promise<void>;
  close?(partitions: readonly TopicPartition[]): Promise<void>;
  stop(): Promise<void>;
}

interface PluginBase {
  /** Short name, e.g. `postgres`. */
  readonly name: string;
  /** The canonical class name shown in the REST API, and the class names accepted as aliases. */
  readonly className: string;
  readonly aliases: readonly string[];
  readonly version: string;
  readonly configDef: ConfigDef;
  /**
   * Every metric the plugin's tasks (and retention probe) create: the runtime registers
   * them when it loads the plugin, so `/metrics` and the reference list them before any task runs.
   */
  readonly metrics?: readonly MetricDefinition[];
  /** Checks across keys, or against the live system, after each key passed its own validator. */
  validate?(config: ParsedConfig): Promise<readonly ConfigIssue[]>;
  /** Splits the work into at most `maxTasks` task configs (merged over the connector config). */
  taskConfigs(config: ParsedConfig, maxTasks: number): readonly ConnectorConfig[];
  /**
   * What deleting the connector leaves behind in the external system (a replication
   * slot retaining WAL …), one sentence each with how to remove it; the worker logs it
   * and says it in the DELETE response.
   */
  leftBehindOnDelete?(config: ParsedConfig): readonly string[];
}

export interface SourceConnectorPlugin extends PluginBase, Partial<RetentionMeasurable> {
  readonly type: 'source';
  createTask(): SourceTask;
  /** Row reads for verifications (runtime/verify); absent: its sinks cannot be verified. */
  readonly verification?: SourceVerification;
  /**
   * The Kafka topic whose messages with this key are signals for the task (Debezium's kafka
   * signal channel); the runtime follows it and delivers them to `context.signals`.
   */
  signalTopic?(config: ParsedConfig): { readonly topic: string; readonly key: string } | null;
}

export interface SinkConnectorPlugin extends PluginBase {
  readonly type: 'sink';
  createTask(): SinkTask;
  /** Target reads and repairs for verifications (runtime/verify); absent: not verifiable. */
  readonly verification?: SinkVerification;
}

export type ConnectorPlugin = SourceConnectorPlugin | SinkConnectorPlugin;

/** Stable key for a topic partition in maps. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}
