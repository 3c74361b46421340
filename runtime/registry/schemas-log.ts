import { randomUUID } from 'node:crypto';
import { Partitioners, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { ConfigError, createTopicAndWait, RetriableError, SiphonError, sleep } from '../plugin/index.js';
import { decodeRecord, encodeRecord, type RegistryRecord } from './registry-records.js';

export interface RegistryLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SchemasLogOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: RegistryLogger;
  /** Called for every record, in log order. */
  readonly apply: (record: RegistryRecord) => void;
}

/** What a write decided, after catching up with the log: records to append and the caller's answer. */
export interface WriteDecision<T> {
  readonly records: readonly RegistryRecord[];
  readonly result: T;
}

const waitTimeoutMs = 30_000;
const maxWriteAttempts = 8;

/**
 * The `_schemas` topic: one partition, compacted, read from the start by every registry.
 *
 * Id allocation cannot collide between registries because writes are single-writer by
 * Kafka transactional-id fencing. All registries on one topic share one transactional.id;
 * a registry that writes:
 *   1. holds a transactional producer (its InitProducerId fenced every earlier holder);
 *   2. appends a NOOP marker and waits until its own consumer has applied it, so its state
 *      holds every record committed before that point;
 *   3. decides (next id = highest id ever + 1, next version) and commits the records in a
 *      transaction.
 * If another registry initialised the same transactional.id after step 1, this registry's
 * commit fails (its epoch is fenced and any open transaction was aborted), so it starts
 * over from a fresh producer; the other one saw everything committed before its own
 * marker. Two registries therefore never commit decisions made on the same state, and
 * consumers read with read_committed, so an aborted write is never seen.
 */
export class SchemasLog {
  private consumer: Consumer | undefined;
  private markerProducer: Producer | undefined;
  private writer: Producer | undefined;
  private appliedOffset = -1n;
  private readonly waiters = new Set<{ offset: bigint; resolve: () => void }>();
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: SchemasLogOptions) {}

  private get transactionalId(): string {
    return `siphon-schema-registry-${this.options.topic}`;
  }

  async start(): Promise<void> {
    await this.ensureTopic();
    const { kafka, topic } = this.options;
    this.markerProducer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.markerProducer.connect();
    this.consumer = kafka.consumer({
      groupId: `siphon-schema-registry-${randomUUID()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer after retriable errors; otherwise reads stop here.
      this.options.logger.error('schema registry stopped reading its topic', {
        topic,
        error: payload.error.message,
        restarting: payload.restart,
      });
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const record = decodeRecord(message.key, message.value);
        if (record !== undefined) {
          try {
            this.options.apply(record);
          } catch (error) {
            this.options.logger.error('schema registry skipped a record it could not apply', {
              offset: message.offset,
              error: (error as Error).message,
            });
          }
        }
        this.advance(BigInt(message.offset));
      },
    });
    await this.ensureWriter();
    await this.catchUp();
  }

  private async ensureTopic(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const { topic } = this.options;
      const exists = (await admin.listTopics()).includes(topic);
      if (!exists) {
        await createTopicAndWait(admin, {
          topic,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        });
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = metadata.topics[0]?.partitions.length ?? 0;
      if (partitions !== 1) {
        throw new ConfigError(
          'schema.registry.topic',
          `schema registry topic ${topic} has ${partitions} partitions; it needs exactly 1 so every registry reads one order`,
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  private advance(offset: bigint): void {
    this.appliedOffset = offset;
    for (const waiter of this.waiters) {
      if (waiter.offset <= offset) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private waitApplied(offset: bigint): Promise<void> {
    if (this.appliedOffset >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new RetriableError(
            `timed out after ${waitTimeoutMs} ms reading ${this.options.topic} up to offset ${offset}`,
          ),
        );
      }, waitTimeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves once every record committed before this call has been applied. */
  async catchUp(): Promise<void> {
    const [sent] = await this.markerProducer!.send({
      topic: this.options.topic,
      messages: [encodeRecord({ keytype: 'NOOP', value: { marker: randomUUID() } })],
    });
    await this.waitApplied(BigInt(sent!.baseOffset!));
  }

  /**
   * Decides on the caught-up state and commits the decided records as the single writer
   * (see the class comment); resolves with the decision's result once they are applied.
   * Writes of this registry run one at a time.
   */
  write<T>(decide: () => WriteDecision<T>): Promise<T> {
    const run = this.writeQueue.then(() => this.writeWithRetry(decide));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private async writeWithRetry<T>(decide: () => WriteDecision<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new SiphonError('the schema registry is closed', false);
      try {
        return await this.writeOnce(decide);
      } catch (error) {
        // The caller refused (bad request, incompatible schema): the writer is still fine.
        if (error instanceof DecisionRefused) throw error.reason;
        await this.dropWriter();
        if (!isFencing(error) || attempt >= maxWriteAttempts) throw error;
        this.options.logger.warn('schema registry write was fenced by another registry; retrying', {
          attempt,
        });
        // Jitter, so two registries fencing each other do not stay in step.
        await sleep(20 + Math.random() * 100 * attempt);
      }
    }
  }

  /**
   * The transactional writer, created on first use. Its first transaction() call runs
   * InitProducerId, which fences other holders of the id and aborts a transaction a
   * killed registry left open (that open transaction would hold back every reader).
   */
  private async ensureWriter(): Promise<Producer> {
    if (this.writer === undefined) {
      const writer = this.options.kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 30_000,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await writer.connect();
      await (await writer.transaction()).abort();
      this.writer = writer;
    }
    return this.writer;
  }

  private async writeOnce<T>(decide: () => WriteDecision<T>): Promise<T> {
    const transaction = await (await this.ensureWriter()).transaction();
    try {
      await this.catchUp();
      let decision: WriteDecision<T>;
      try {
        decision = decide();
      } catch (reason) {
        throw new DecisionRefused(reason);
      }
      const { records, result } = decision;
      if (records.length === 0) {
        await transaction.abort();
        return result;
      }
      const sent = await transaction.send({
        topic: this.options.topic,
        messages: records.map(encodeRecord),
      });
      await transaction.commit();
      // One partition: the records got consecutive offsets from the batch's base offset.
      await this.waitApplied(BigInt(sent[0]!.baseOffset!) + BigInt(records.length - 1));
      return result;
    } catch (error) {
      if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      throw error;
    }
  }

  private async dropWriter(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writeQueue;
    await this.dropWriter();
    await this.consumer?.disconnect();
    await this.markerProducer?.disconnect();
  }
}

class DecisionRefused {
  constructor(readonly reason: unknown) {}
}

/** Errors that mean another registry took over the transactional id (or the transaction expired). */
function isFencing(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return (
    type === 'INVALID_PRODUCER_EPOCH' ||
    type === 'PRODUCER_FENCED' ||
    type === 'INVALID_TXN_STATE' ||
    type === 'CONCURRENT_TRANSACTIONS' ||
    type === 'UNKNOWN' ||
    /fenced|epoch/i.test((error as Error | null)?.message ?? '') ||
    (cause !== undefined && isFencing(cause))
  );
}
