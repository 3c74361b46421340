/**
 * What the task runners call on Kafka and the worker's stores, as narrow interfaces: the
 * worker passes kafkajs clients and its stores (which fit them as they are), and unit
 * tests pass small fakes.
 */
import type {
  ConsumerConfig,
  ConsumerCrashEvent,
  ConsumerEvents,
  ConsumerGroupJoinEvent,
  ConsumerSubscribeTopics,
  KafkaMessage,
  ProducerBatch,
  RecordMetadata,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
import type { DurableLog, TaskLogger } from '../plugin/index.js';
import type { SourceOffset, SourcePartition } from '../record/index.js';
import type { CompactedTopicSpec, StoreMessage } from '../stores/compacted-topic.js';
import type { OffsetEntry } from '../stores/offset-store.js';
import type { FailedRecord } from './dead-letter-queue.js';

/** Sends produce requests: the worker's idempotent producer, or one open transaction. */
export interface BatchSender {
  /** `stop`: the sending task stopped, so waiting on the broker to accept it is over. */
  sendBatch(batch: ProducerBatch, stop?: AbortSignal): Promise<RecordMetadata[]>;
}

export interface ProducerTransaction extends BatchSender {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** An exactly-once source task's own producer. */
export interface TransactionalProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<ProducerTransaction>;
}

/** What a source task runner opens on the worker's Kafka cluster (see sourceTaskKafka). */
export interface SourceTaskKafka {
  transactionalProducer(transactionalId: string): TransactionalProducer;
  /** SourceTaskContext.durableLog. */
  durableLog(topic: string, logger: TaskLogger): DurableLog;
}

/** The worker's OffsetStore, as a source task runner uses it. */
export interface SourceOffsetStore {
  /** Where the offsets go, for writing them inside an exactly-once transaction. */
  readonly topic: { readonly spec: Pick<CompactedTopicSpec, 'topic'> };
  get(connector: string, partition: SourcePartition): SourceOffset | null;
  /** Durably stores the entries, then applies them. */
  write(connector: string, entries: readonly OffsetEntry[]): Promise<void>;
  /** The store records for the entries, for a transaction. */
  messages(connector: string, entries: readonly OffsetEntry[]): StoreMessage[];
  /** Takes entries a committed transaction stored into the in-memory view. */
  apply(connector: string, entries: readonly OffsetEntry[]): void;
}

/** One fetched batch of a partition, as the sink runner handles it (kafkajs' EachBatchPayload). */
export interface SinkBatchPayload {
  readonly batch: {
    readonly topic: string;
    readonly partition: number;
    readonly highWatermark: string;
    readonly messages: KafkaMessage[];
  };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface SinkConsumerRunConfig {
  readonly autoCommit: boolean;
  readonly eachBatchAutoResolve: boolean;
  eachBatch(payload: SinkBatchPayload): Promise<void>;
}

/** A sink task's group member (a kafkajs Consumer). */
export interface SinkConsumer {
  readonly events: Pick<ConsumerEvents, 'GROUP_JOIN' | 'CRASH'>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopics): Promise<void>;
  run(config: SinkConsumerRunConfig): Promise<void>;
  stop(): Promise<void>;
  seek(offset: TopicPartitionOffset): void;
  commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void>;
  on(event: ConsumerEvents['GROUP_JOIN'], listener: (event: ConsumerGroupJoinEvent) => void): unknown;
  on(event: ConsumerEvents['CRASH'], listener: (event: ConsumerCrashEvent) => void): unknown;
}

/** Lists the cluster's topics (a kafkajs Admin). */
export interface TopicLister {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
}

/** What a sink task runner opens on the worker's Kafka cluster (a kafkajs Kafka fits). */
export interface SinkTaskKafka {
  consumer(config: ConsumerConfig): SinkConsumer;
  admin(): TopicLister;
}

/** Where a sink's bad records go with errors.tolerance=all (the worker's DeadLetterQueue). */
export interface DeadLetterSender {
  send(failed: FailedRecord): Promise<void>;
}
