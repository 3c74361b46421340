// The plugin contract as the tests drive it: unique names, a quiet task logger, and the
// source and sink task contexts the runtime would give a task, without a worker. The
// contexts hold real parts (a bounded queue, a durable log on the local Kafka, a metrics
// registry of their own); the tests control what the runtime would decide (committed
// offsets, end offsets, the error tolerance).
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { RegistryMetricFactory } from '../../runtime/metrics/metric-factory.js';
import type {
  DurableLog,
  SinkTaskContext,
  SourceTaskContext,
  TaskLogger,
  TopicPartition,
} from '../../runtime/plugin/index.js';
import { topicPartitionKey } from '../../runtime/plugin/index.js';
import type { SinkRecord, SourceOffset, SourcePartition, SourceRecord } from '../../runtime/record/index.js';
import { TopicLog } from '../../runtime/stores/topic-log.js';
import { BoundedQueue } from '../../runtime/worker/bounded-queue.js';
import { localKafka } from './local-stack.js';
import { BoundedSignalInbox } from '../../runtime/worker/signal-inbox.js';

/** A name no other test run uses (topics, slots, databases): lower-case, SQL-safe. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Errors always printed; warnings with SIPHON_TEST_VERBOSE set; info and debug never. */
export const quietLogger: TaskLogger = {
  info: () => undefined,
  debug: () => undefined,
  warn: (message, fields) => {
    if (process.env.SIPHON_TEST_VERBOSE) console.warn(message, fields);
  },
  error: (message, fields) => console.error(message, fields),
};

/** The runtime's metric factory over a registry of the test's own, so values can be read. */
export class TestMetrics extends RegistryMetricFactory {
  constructor() {
    super(new Registry());
  }

  /** The metric's value for exactly these labels, or undefined when it has none. */
  async value(name: string, labels: Readonly<Record<string, string>>): Promise<number | undefined> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return undefined;
    const wanted = Object.entries(labels);
    const found = (await metric.get()).values.find(
      (v) =>
        Object.keys(v.labels).length === wanted.length &&
        wanted.every(([key, value]) => String(v.labels[key]) === value),
    );
    return found?.value;
  }
}

interface TaskContextOptions {
  readonly connectorName: string;
  readonly config: SourceTaskContext['config'];
  readonly logger?: TaskLogger;
  readonly metrics?: TestMetrics;
}

/** What the task context has in common: identity, logger, metrics, stop signal, reports. */
abstract class FakeTaskContext {
  readonly connectorName: string;
  readonly taskId = 0;
  readonly config: SourceTaskContext['config'];
  readonly logger: TaskLogger;
  readonly metrics: TestMetrics;
  /** Every progress report, oldest first, as the runtime would show them in the task's status. */
  readonly progressReports: Readonly<Record<string, string | number>>[] = [];
  /** The in-task retries the task reported. */
  readonly retries: { error: unknown; attempt: number }[] = [];
  private readonly abort = new AbortController();

  constructor(options: TaskContextOptions) {
    this.connectorName = options.connectorName;
    this.config = options.config;
    this.logger = options.logger ?? quietLogger;
    this.metrics = options.metrics ?? new TestMetrics();
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The last progress reported ({} before any). */
  get progress(): Readonly<Record<string, string | number>> {
    return this.progressReports.at(-1) ?? {};
  }

  reportProgress(progress: Readonly<Record<string, string | number>>): void {
    this.progressReports.push({ ...progress });
  }

  reportRetrying(error: unknown, attempt: number): void {
    this.retries.push({ error, attempt });
  }

  /** What the runtime does to stop the task: aborts its signal. */
  stop(): void {
    this.abort.abort();
  }
}

/**
 * A source task's context: emitted records go to a real bounded queue the test drains;
 * committed offsets come from a map the test fills (as the runtime does after Kafka
 * acknowledged); durable logs are topics of the local Kafka.
 */
export class FakeSourceTaskContext extends FakeTaskContext implements SourceTaskContext {
  readonly queue: BoundedQueue<SourceRecord>;
  /** Committed offsets by JSON of the source partition; may be shared across runs to model a restart. */
  readonly committed: Map<string, SourceOffset>;
  /** Signals as the runtime would deliver them (REST): the test calls `signals.deliver`. */
  readonly signals = new BoundedSignalInbox('the test task');

  constructor(
    options: TaskContextOptions & {
      readonly queueCapacity?: number;
      readonly committed?: Map<string, SourceOffset>;
    },
  ) {
    super(options);
    this.queue = new BoundedQueue<SourceRecord>(options.queueCapacity ?? 8192);
    this.committed = options.committed ?? new Map();
  }

  async committedOffset(partition: SourcePartition): Promise<SourceOffset | null> {
    return this.committed.get(JSON.stringify(partition)) ?? null;
  }

  async emit(records: readonly SourceRecord[]): Promise<void> {
    await this.queue.push(records);
  }

  durableLog(topic: string): DurableLog {
    return new TopicLog(localKafka(), topic, this.logger);
  }

  /** Marks `record`'s offset as committed, as the runtime does after producing it. */
  commit(record: SourceRecord): void {
    this.committed.set(JSON.stringify(record.sourcePartition), record.sourceOffset);
  }

  override stop(): void {
    super.stop();
    this.queue.close();
  }
}

/**
 * A sink task's context: bad records are kept (errors.tolerance=all) or fail the put
 * (none), end offsets come from a map the test sets as the consumer would report them.
 */
export class FakeSinkTaskContext extends FakeTaskContext implements SinkTaskContext {
  readonly badRecords: { record: SinkRecord; error: Error }[] = [];
  /** End offsets per partition (topicPartitionKey) as the runtime's consumer would report them. */
  readonly endOffsets = new Map<string, bigint>();
  private readonly tolerance: 'all' | 'none';

  constructor(options: TaskContextOptions & { readonly tolerance?: 'all' | 'none' }) {
    super(options);
    this.tolerance = options.tolerance ?? 'none';
  }

  endOffset(partition: TopicPartition): bigint | undefined {
    return this.endOffsets.get(topicPartitionKey(partition));
  }

  async reportBadRecord(record: SinkRecord, error: Error): Promise<void> {
    if (this.tolerance === 'none') throw error;
    this.badRecords.push({ record, error });
  }
}
