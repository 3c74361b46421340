import { CompressionTypes, type Admin, type Kafka, type Producer } from 'kafkajs';
import type { WorkerConfig } from '../config/worker-config.js';
import type { Logger } from '../logging/logger.js';
import type { ConnectorPlugin, ParsedConfig, SourceSignal } from '../plugin/index.js';
import { createTopicAndWait, sleep } from '../plugin/index.js';
import { taskUnit, type WorkUnit } from '../herder/assignment.js';
import type { OffsetStore } from '../stores/offset-store.js';
import { buildTransformChain } from '../transforms/index.js';
import { sinkRuntimeConfig } from './connector-config.js';
import { chooseConverter, type ConverterFactory } from './converter-setup.js';
import { DEAD_LETTER_MAX_MESSAGE_BYTES, DeadLetterQueue } from './dead-letter-queue.js';
import { errorPolicy } from './error-policy.js';
import { SinkTaskRunner } from './sink-task-runner.js';
import { SourceTaskRunner } from './source-task-runner.js';
import { KafkaSignalChannel } from './kafka-signal-channel.js';
import { sourceTaskKafka } from './source-task-kafka.js';
import { recordProducerConnection } from './kafka-client.js';
import type { RecordProducer } from './record-producer.js';
import { TopicCreation, type NewTopicSettings } from './topic-creation.js';

export interface WorkerDependencies {
  readonly config: WorkerConfig;
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** The worker's idempotent kafkajs producer: dead letters. */
  readonly dataProducer: Producer;
  /** The worker's idempotent record producer: source records without exactly-once. */
  readonly recordProducer: RecordProducer;
  readonly offsetStore: OffsetStore;
  /** Converters, already pointed at the worker's schema registry. */
  readonly createConverter: ConverterFactory;
  readonly logger: Logger;
}

/** One task to start: its connector's plugin and its config, resolved and parsed. */
export interface TaskSpec {
  readonly connector: string;
  readonly id: number;
  readonly plugin: ConnectorPlugin;
  readonly config: Record<string, string>;
  readonly parsed: ParsedConfig;
  /** The connector config version it runs: a newer one restarts it. */
  readonly version: number;
}

/** How a running task reports back to the herder. */
export interface TaskReports {
  onTopic(topic: string): Promise<void>;
  onProgress(progress: Readonly<Record<string, string | number>>): void;
  onRetrying(error: unknown, attempt: number): void;
  onRecovered(): void;
  onFailed(error: unknown): void;
}

interface RunningTask {
  readonly runner: SourceTaskRunner | SinkTaskRunner;
  /** The kafka signal channel the worker reads for a source task, if the connector has one. */
  readonly signals: KafkaSignalChannel | null;
  readonly done: Promise<void>;
  readonly version: number;
  stopping: boolean;
  progress: Readonly<Record<string, string | number>>;
}

/**
 * The worker (Kafka Connect's Worker): builds, starts and stops the task runners the
 * herder gives it, with their converters, transforms, error policy, topics and dead
 * letter queue. It decides nothing about which tasks run here; the herder does.
 */
export class Worker {
  private readonly tasks = new Map<WorkUnit, RunningTask>();

  constructor(private readonly deps: WorkerDependencies) {}

  /** The tasks this worker runs, stopping ones included. */
  running(): WorkUnit[] {
    return [...this.tasks.keys()];
  }

  isRunning(connector: string, id: number, version?: number): boolean {
    const task = this.tasks.get(taskUnit(connector, id));
    return task !== undefined && !task.stopping && (version === undefined || task.version === version);
  }

  progress(connector: string, id: number): Readonly<Record<string, string | number>> | undefined {
    return this.tasks.get(taskUnit(connector, id))?.progress;
  }

  /** Hands a signal to a running source task; false when this worker does not run it. */
  deliverSignal(connector: string, id: number, signal: SourceSignal): boolean {
    const task = this.tasks.get(taskUnit(connector, id));
    if (!task || task.stopping || !(task.runner instanceof SourceTaskRunner)) return false;
    task.runner.signals.deliver(signal);
    return true;
  }

  /** Builds and starts a task; throws when it cannot start (the herder marks it FAILED). */
  async startTask(spec: TaskSpec, reports: TaskReports): Promise<void> {
    const { connector, id, plugin, config: merged, parsed } = spec;
    const unit = taskUnit(connector, id);
    const logger = this.deps.logger.child({ connector, task: id });
    const keyConverter = await this.converter(true, merged);
    const valueConverter = await this.converter(false, merged);
    const transform = (parsed.transforms as string[] | null)?.length ? buildTransformChain(merged) : null;
    const errors = errorPolicy(parsed);
    // The callbacks below run once the task exists; until then they do nothing.
    const started: { handle?: RunningTask } = {};
    const onProgress = (progress: Readonly<Record<string, string | number>>) => {
      if (started.handle) started.handle.progress = progress;
      reports.onProgress(progress);
    };
    // The status says what the task is doing: RUNNING with the error and attempt while it retries.
    const isCurrent = () =>
      started.handle !== undefined && this.tasks.get(unit) === started.handle && !started.handle.stopping;
    const onRetrying = (error: unknown, attempt: number) => {
      if (isCurrent()) reports.onRetrying(error, attempt);
    };
    const onRecovered = () => {
      if (isCurrent()) reports.onRecovered();
    };
    const common = {
      connector,
      taskId: id,
      config: parsed,
      keyConverter,
      valueConverter,
      transform,
      errors,
      logger,
      onProgress,
      onRetrying,
      onRecovered,
    };
    let runner: SourceTaskRunner | SinkTaskRunner;
    let signals: KafkaSignalChannel | null = null;
    if (plugin.type === 'source') {
      const topicCreation = TopicCreation.of(merged, this.deps.config.options['topic.creation.enable']);
      // A task that moved here resumes from what its last owner committed.
      await this.deps.offsetStore.topic.readToEnd();
      runner = new SourceTaskRunner({
        ...common,
        plugin,
        offsetStore: this.deps.offsetStore,
        flushIntervalMs: this.deps.config.number('offset.flush.interval.ms'),
        producer: this.deps.recordProducer,
        // The same id wherever the task runs: a new owner's producer fences the old one (KIP-618).
        transactionalId: this.exactlyOnceEnabled()
          ? `${this.deps.config.string('group.id')}-${connector}-${id}`
          : null,
        kafka: sourceTaskKafka(this.deps.kafka, recordProducerConnection(this.deps.config)),
        compression:
          this.deps.config.string('producer.compression.type') === 'gzip'
            ? CompressionTypes.GZIP
            : CompressionTypes.None,
        onTopic: async (topic) => {
          if (topicCreation) await this.ensureTopic(topic, topicCreation.settingsFor(topic));
          await reports.onTopic(topic);
        },
      });
      const signalSource = plugin.signalTopic?.(parsed) ?? null;
      const sourceRunner = runner;
      if (signalSource) {
        signals = new KafkaSignalChannel(
          this.deps.kafka,
          connector,
          signalSource,
          (signal) => sourceRunner.signals.deliver(signal),
          logger,
        );
      }
    } else {
      const sinkOptions = sinkRuntimeConfig.read(parsed);
      const dlqTopic = sinkOptions['errors.deadletterqueue.topic.name'];
      if (dlqTopic)
        await this.ensureDeadLetterTopic(
          dlqTopic,
          sinkOptions['errors.deadletterqueue.topic.replication.factor'],
        );
      runner = new SinkTaskRunner({
        ...common,
        plugin,
        deadLetterQueue: dlqTopic
          ? new DeadLetterQueue(
              this.deps.dataProducer,
              dlqTopic,
              sinkOptions['errors.deadletterqueue.context.headers.enable'],
              connector,
              id,
            )
          : null,
        kafka: this.deps.kafka,
        onTopic: (topic) => reports.onTopic(topic),
      });
    }
    const current: RunningTask = {
      runner,
      signals,
      done: runner.start(),
      version: spec.version,
      stopping: false,
      progress: {},
    };
    started.handle = current;
    this.tasks.set(unit, current);
    if (signals) {
      await signals
        .start()
        .catch((error: unknown) => logger.error('could not read the kafka signal channel', { error }));
      const stop = () => signals.stop();
      void current.done.then(stop, stop);
    }
    void current.done.then(
      () => {
        if (!current.stopping) logger.info('task finished on its own');
      },
      (error: unknown) => {
        logger.error('task failed', { error });
        if (this.tasks.get(unit) === current) this.tasks.delete(unit);
        if (!current.stopping) reports.onFailed(error);
      },
    );
  }

  /** Stops a task (draining and committing), waiting at most task.shutdown.graceful.timeout.ms. */
  async stopTask(connector: string, id: number): Promise<void> {
    const unit = taskUnit(connector, id);
    const handle = this.tasks.get(unit);
    if (!handle) return;
    handle.stopping = true;
    const timeout = this.deps.config.number('task.shutdown.graceful.timeout.ms');
    const stopped = handle.runner.stop().then(() => true);
    const finished = await Promise.race([stopped, sleep(timeout).then(() => false)]);
    if (this.tasks.get(unit) === handle) this.tasks.delete(unit);
    if (!finished)
      this.deps.logger.warn('task did not stop within task.shutdown.graceful.timeout.ms', {
        connector,
        task: id,
      });
  }

  /** With exactly.once.source.support=enabled every source task writes in transactions (as in Kafka Connect). */
  exactlyOnceEnabled(): boolean {
    return this.deps.config.string('exactly.once.source.support') === 'enabled';
  }

  /** Creates a source topic with its topic.creation settings; an existing topic stays as it is. */
  private async ensureTopic(topic: string, settings: NewTopicSettings): Promise<void> {
    const { admin } = this.deps;
    if ((await admin.listTopics()).includes(topic)) return;
    await admin
      .createTopics({ waitForLeaders: true, topics: [{ topic, ...settings }] })
      .catch(async (error: unknown) => {
        if (!(await admin.listTopics()).includes(topic)) throw error;
      });
  }

  private async ensureDeadLetterTopic(topic: string, replicationFactor: number): Promise<void> {
    const topics = await this.deps.admin.listTopics();
    if (topics.includes(topic)) return;
    await createTopicAndWait(this.deps.admin, {
      topic,
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'max.message.bytes', value: String(DEAD_LETTER_MAX_MESSAGE_BYTES) }],
    });
  }

  private converter(isKey: boolean, config: Record<string, string>) {
    const worker = this.deps.config;
    const choice = chooseConverter(
      isKey,
      config,
      worker.raw,
      worker.string(isKey ? 'key.converter' : 'value.converter'),
    );
    return this.deps.createConverter(choice.name, choice.config, isKey);
  }
}
