import { CompressionTypes, type Admin, type Kafka, type Producer } from 'kafkajs';
import { describeErrors, parseConfig, type RawConfig } from '../config/config-parser.js';
import { resolveConfigProviders } from '../config/config-providers.js';
import { withoutResolvedValues } from '../config/resolved-value-errors.js';
import { maskUrlCredentials, urlPasswords } from '../config/url-credentials.js';
import { providerPolicyOf, type WorkerConfig, type WorkerKeyOf } from '../config/worker-config.js';
import type { EventBus } from '../events/event-bus.js';
import { SnapshotProgressPublisher } from '../events/snapshot-progress.js';
import { RetentionGuardian, type RetentionView } from '../guardian/retention-guardian.js';
import { HIDDEN, maskSecrets, registerSecret, type Logger } from '../logging/logger.js';
import { recordConnectorState, recordTaskState } from '../metrics/runtime-metrics.js';
import type { ConnectorConfig, ConnectorPlugin, ParsedConfig } from '../plugin/index.js';
import type { SourceOffset, SourcePartition } from '../record/index.js';
import { BadRequestError } from '../rest/rest-errors.js';
import { CompactedTopic } from '../stores/compacted-topic.js';
import { ConfigStore, type StoredConfig, type TargetState } from '../stores/config-store.js';
import { OffsetStore } from '../stores/offset-store.js';
import { StatusStore, type ConnectorState, type Status } from '../stores/status-store.js';
import { buildTransformChain } from '../transforms/index.js';
import {
  commonConnectorConfig,
  connectorConfigDef,
  passwordKeys,
  sinkRuntimeConfig,
} from './connector-config.js';
import { maskConfig, validateConnector, type ConnectorValidation } from './connector-validation.js';
import { chooseConverter, type ConverterFactory } from './converter-setup.js';
import { createProducer } from './kafka-client.js';
import { DEAD_LETTER_MAX_MESSAGE_BYTES, DeadLetterQueue } from './dead-letter-queue.js';
import { errorPolicy } from './error-policy.js';
import type { PluginCatalog } from './plugin-catalog.js';
import {
  AlreadyExistsError,
  backoff,
  ConfigError,
  ConflictError,
  createTopicAndWait,
  NotFoundError,
  RetriableError,
  SiphonError,
  sleep,
} from '../plugin/index.js';
import { describeError } from '../plugin/errors.js';
import { SinkTaskRunner, sinkGroupId } from './sink-task-runner.js';
import { SourceTaskRunner } from './source-task-runner.js';
import { sourceTaskKafka } from './source-task-kafka.js';
import { WorkerGroupLock, WorkerGroupLockError } from './worker-group-lock.js';
import { TopicCreation, type NewTopicSettings } from './topic-creation.js';

export interface WorkerDependencies {
  readonly config: WorkerConfig;
  readonly kafka: Kafka;
  readonly catalog: PluginCatalog;
  /** Converters, already pointed at the worker's schema registry. */
  readonly createConverter: ConverterFactory;
  readonly logger: Logger;
  /** Where state, config, snapshot and retention events are published (GET /events). */
  readonly events: EventBus;
  /** Called when this worker lost its group to another worker and must exit. */
  readonly onFatal: (error: Error) => void;
}

interface TaskHandle {
  readonly runner: SourceTaskRunner | SinkTaskRunner;
  readonly done: Promise<void>;
  stopping: boolean;
  progress: Readonly<Record<string, string | number>>;
}

interface ConnectorRuntime {
  readonly plugin: ConnectorPlugin;
  /** Task configs as the plugin produced them from the resolved config. */
  readonly taskConfigs: readonly ConnectorConfig[];
  readonly tasks: Map<number, TaskHandle>;
}

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: { connector: string; task: number }[];
  type: 'source' | 'sink' | 'unknown';
}

export interface StatusView {
  state: ConnectorState;
  worker_id: string;
  trace?: string;
}

export interface ConnectorStatusView {
  name: string;
  connector: StatusView;
  tasks: (StatusView & { id: number; progress?: Readonly<Record<string, string | number>> })[];
  type: 'source' | 'sink' | 'unknown';
  /** What the source server retains for the connector, measured from the database. */
  retention?: RetentionView;
}

export interface OffsetView {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

/** A longer name could be created but not addressed: its URLs would pass Node's 16 KiB header limit. */
const maxEncodedNameLength = 8192;

/**
 * The worker: owns the stores, the connectors and their task runners, and implements
 * every operation the REST API exposes. Operations on one connector are serialized;
 * a failing connector only ever changes its own status.
 */
export class Worker {
  private admin!: Admin;
  private storeProducer!: Producer;
  private dataProducer!: Producer;
  private lock: WorkerGroupLock | null = null;
  private configStore!: ConfigStore;
  private offsetStore!: OffsetStore;
  private statusStore!: StatusStore;
  private readonly runtimes = new Map<string, ConnectorRuntime>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private generation = 0;
  /** The newest status generation per connector/task: an older write that failed is not retried over it. */
  private readonly latestStatus = new Map<string, number>();
  /** Ends status write retries once the worker stops. */
  private readonly statusRetries = new AbortController();
  private workerId = 'unassigned';
  private clusterId: string | null = null;
  private started = false;
  private stopping = false;

  readonly guardian: RetentionGuardian;
  private readonly snapshotProgress: SnapshotProgressPublisher;

  constructor(private readonly deps: WorkerDependencies) {
    this.guardian = new RetentionGuardian({
      events: deps.events,
      logger: deps.logger.child({ component: 'retention-guardian' }),
      intervalMs: deps.config.number('retention.check.interval.ms'),
      committedOffsets: (name) => this.offsetStore.list(name),
      connectorState: (name) => this.statusStore.connector(name)?.state ?? null,
      anyTaskRunning: (name) => this.statusStore.taskStatuses(name).some(([, s]) => s.state === 'RUNNING'),
    });
    this.snapshotProgress = new SnapshotProgressPublisher(deps.events);
  }

  get events(): EventBus {
    return this.deps.events;
  }

  get isReady(): boolean {
    return this.started && !this.stopping;
  }

  get id(): string {
    return this.workerId;
  }

  get kafkaClusterId(): string | null {
    return this.clusterId;
  }

  get catalog(): PluginCatalog {
    return this.deps.catalog;
  }

  async start(workerId: string): Promise<void> {
    const { kafka, config, logger } = this.deps;
    this.workerId = workerId;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.clusterId = (await this.admin.describeCluster()).clusterId;
    this.storeProducer = createProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
    this.dataProducer = createProducer(kafka, { idempotent: true, maxInFlightRequests: 5 });
    await Promise.all([this.storeProducer.connect(), this.dataProducer.connect()]);
    const topic = (name: WorkerKeyOf<string>, partitions: number, replicationFactor: WorkerKeyOf<number>) =>
      new CompactedTopic(
        kafka,
        this.admin,
        this.storeProducer,
        { topic: config.string(name), partitions, replicationFactor: config.number(replicationFactor) },
        logger,
      );
    const configsTopic = topic('config.storage.topic', 1, 'config.storage.replication.factor');
    const offsetsTopic = topic(
      'offset.storage.topic',
      config.number('offset.storage.partitions'),
      'offset.storage.replication.factor',
    );
    const statusTopic = topic(
      'status.storage.topic',
      config.number('status.storage.partitions'),
      'status.storage.replication.factor',
    );
    for (const t of [configsTopic, offsetsTopic, statusTopic]) await t.ensure();
    this.lock = await WorkerGroupLock.acquire({
      kafka,
      groupId: config.string('group.id'),
      topic: configsTopic.spec.topic,
      workerId,
      logger,
      onLost: () => this.deps.onFatal(new WorkerGroupLockError('another worker took over this worker group')),
    });
    this.configStore = new ConfigStore(configsTopic);
    this.offsetStore = new OffsetStore(offsetsTopic);
    this.statusStore = new StatusStore(statusTopic);
    await Promise.all([this.configStore.load(), this.offsetStore.load(), this.statusStore.load()]);
    this.started = true;
    this.guardian.start();
    logger.info('worker started', { workerId, connectors: this.configStore.names().length });
    for (const name of this.configStore.names()) {
      await this.serialized(name, () => this.startConnector(name));
    }
  }

  /** Stops every task (draining and committing), then the Kafka clients. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.statusRetries.abort();
    const names = [...this.runtimes.keys()];
    // Like a Kafka Connect worker leaving its group: what it ran is UNASSIGNED until a worker starts it.
    await Promise.all(names.map((name) => this.stopConnectorTasks(name, { markUnassigned: true })));
    await this.guardian.stop();
    await Promise.allSettled([
      this.dataProducer?.disconnect(),
      this.storeProducer?.disconnect(),
      this.admin?.disconnect(),
      this.lock?.release(),
    ]);
    this.deps.logger.info('worker stopped', { workerId: this.workerId });
  }

  // ---- queries ---------------------------------------------------------------

  connectorNames(): string[] {
    // REST and the verification schedule may ask while start() still reads the config topic.
    return (this.configStore as ConfigStore | undefined)?.names() ?? [];
  }

  connectorInfo(name: string): ConnectorInfo {
    const config = this.requireConfig(name);
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    const runtime = this.runtimes.get(name);
    return {
      name,
      config: this.masked(plugin, config),
      tasks: (runtime?.taskConfigs ?? []).map((_, task) => ({ connector: name, task })),
      type: plugin?.type ?? 'unknown',
    };
  }

  connectorStatus(name: string): ConnectorStatusView {
    const config = this.requireConfig(name);
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    const connector = this.statusStore.connector(name);
    const runtime = this.runtimes.get(name);
    const retention = this.guardian.latest(name);
    return {
      name,
      connector: this.view(connector),
      tasks: this.statusStore.taskStatuses(name).map(([id, status]) => {
        const progress = runtime?.tasks.get(id)?.progress;
        return {
          id,
          ...this.view(status),
          ...(progress && Object.keys(progress).length > 0 ? { progress } : {}),
        };
      }),
      type: plugin?.type ?? 'unknown',
      ...(retention ? { retention } : {}),
    };
  }

  connectorType(name: string): 'source' | 'sink' | 'unknown' {
    const config = this.configStore.get(name);
    return (config && this.catalog.resolve(config['connector.class'] ?? '')?.type) ?? 'unknown';
  }

  taskStatus(name: string, id: number): StatusView & { id: number } {
    this.requireConfig(name);
    const status = this.statusStore.task(name, id);
    if (!status) throw new NotFoundError(`Task ${name}-${id} not found`);
    return { id, ...this.view(status) };
  }

  taskConfigs(name: string): { id: { connector: string; task: number }; config: Record<string, string> }[] {
    const config = this.requireConfig(name);
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    return (this.runtimes.get(name)?.taskConfigs ?? []).map((taskConfig, task) => ({
      id: { connector: name, task },
      config: Object.fromEntries(
        Object.entries(this.masked(plugin, taskConfig)).map(([k, v]) => [k, maskSecrets(v)]),
      ),
    }));
  }

  /** A connector's plugin and its config with secrets resolved, for a verification (runtime/verify). */
  resolvedConnector(name: string): {
    plugin: ConnectorPlugin;
    config: ParsedConfig;
    raw: Record<string, string>;
  } {
    const plugin = this.requirePlugin(name);
    const written = this.requireConfig(name);
    const raw = this.resolveSecrets(plugin, written);
    return { plugin, config: this.parseOrThrow(plugin, raw, written), raw };
  }

  /** The worker's Kafka admin client (verifications read end and committed offsets). */
  get kafkaAdmin(): Admin {
    return this.admin;
  }

  activeTopics(name: string): string[] {
    this.requireConfig(name);
    return this.statusStore.activeTopics(name);
  }

  async resetTopics(name: string): Promise<void> {
    this.requireConfig(name);
    await this.statusStore.resetTopics(name);
  }

  async validate(raw: RawConfig): Promise<ConnectorValidation> {
    return validateConnector(this.catalog, raw, {
      providers: providerPolicyOf(this.deps.config),
      exactlyOnceSource: this.exactlyOnceEnabled(),
    });
  }

  // ---- config changes ----------------------------------------------------------

  async createConnector(raw: RawConfig, initialState: TargetState = 'STARTED'): Promise<ConnectorInfo> {
    const name = this.checkBasics(raw);
    return this.serialized(name, async () => {
      if (this.configStore.get(name)) throw new AlreadyExistsError(`Connector ${name} already exists`);
      await this.checkValid(raw);
      await this.configStore.put(name, raw, initialState);
      this.deps.logger.info('connector created', { connector: name });
      this.publishConfig(name, 'created');
      await this.startConnector(name);
      return this.connectorInfo(name);
    });
  }

  async putConnectorConfig(
    name: string,
    submitted: RawConfig,
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    if (submitted.name !== undefined && submitted.name !== name) {
      throw new BadRequestError(
        `Connector name configuration (${submitted.name}) doesn't match connector name in the URL (${name})`,
      );
    }
    const raw = { ...submitted, name };
    this.checkBasics(raw);
    return this.serialized(name, async () => {
      const previous = this.configStore.get(name);
      const merged = previous ? this.keepHiddenPasswords(raw, previous) : raw;
      await this.checkValid(merged);
      await this.configStore.put(name, merged, previous ? undefined : 'STARTED');
      this.publishConfig(name, previous ? 'updated' : 'created');
      await this.stopConnectorTasks(name);
      await this.startConnector(name);
      return { created: !previous, info: this.connectorInfo(name) };
    });
  }

  async patchConnectorConfig(
    name: string,
    patch: Readonly<Record<string, string | null>>,
  ): Promise<ConnectorInfo> {
    return this.serialized(name, async () => {
      const previous = this.requireConfig(name);
      const merged: Record<string, string> = { ...previous };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      if (merged.name !== name) {
        throw new BadRequestError(`Connector name configuration (${merged.name}) may not change (${name})`);
      }
      const next = this.keepHiddenPasswords(merged, previous);
      this.checkBasics(next);
      await this.checkValid(next);
      await this.configStore.put(name, next);
      this.publishConfig(name, 'updated');
      await this.stopConnectorTasks(name);
      await this.startConnector(name);
      return this.connectorInfo(name);
    });
  }

  /** Resolves with what the connector left behind in its external system (see the plugin). */
  async deleteConnector(name: string): Promise<readonly string[]> {
    return this.serialized(name, async () => {
      const raw = this.requireConfig(name);
      const plugin = this.catalog.resolve(raw['connector.class'] ?? '');
      await this.stopConnectorTasks(name);
      await this.configStore.remove(name);
      await this.statusStore.remove(name);
      recordConnectorState(name, null);
      this.guardian.connectorDeleted(name);
      this.deps.events.publish('connector.config', name, { action: 'deleted' });
      // Unresolved references parse as null; the plugin names what it can.
      const leftBehind =
        plugin?.leftBehindOnDelete?.(parseConfig(connectorConfigDef(plugin), raw).values) ?? [];
      if (leftBehind.length > 0) {
        this.deps.logger.warn('connector deleted; it left objects behind in its source', {
          connector: name,
          leftBehind,
        });
      } else {
        this.deps.logger.info('connector deleted', { connector: name });
      }
      return leftBehind;
    });
  }

  async setTargetState(name: string, state: TargetState): Promise<void> {
    await this.serialized(name, async () => {
      this.requireConfig(name);
      await this.configStore.putTargetState(name, state);
      await this.stopConnectorTasks(name);
      await this.startConnector(name);
    });
  }

  /** Kafka Connect's restart: plain restarts the connector; the flags pick tasks and failed ones. */
  async restartConnector(
    name: string,
    options: { includeTasks: boolean; onlyFailed: boolean },
  ): Promise<ConnectorStatusView | null> {
    this.requireConfig(name);
    const status = this.connectorStatus(name);
    const connectorFailed = status.connector.state === 'FAILED';
    const restartConnector = !options.onlyFailed || connectorFailed;
    const tasks = options.includeTasks
      ? status.tasks.filter((t) => !options.onlyFailed || t.state === 'FAILED').map((t) => t.id)
      : [];
    const plain = !options.includeTasks && !options.onlyFailed;
    const restartAll =
      restartConnector && (plain || (tasks.length > 0 && tasks.length === status.tasks.length));
    if (restartConnector) await this.putStatus(name, null, 'RESTARTING');
    for (const id of tasks) await this.putStatus(name, id, 'RESTARTING');
    const work = this.serialized(name, async () => {
      if (restartAll || (restartConnector && !this.runtimes.has(name))) {
        await this.stopConnectorTasks(name);
        await this.startConnector(name);
        return;
      }
      if (restartConnector)
        await this.putStatus(name, null, this.stateFor(this.configStore.targetState(name)));
      for (const id of tasks) await this.restartTaskNow(name, id);
    });
    if (plain) {
      await work;
      return null;
    }
    work.catch((error) => this.deps.logger.error('restart failed', { connector: name, error }));
    return this.connectorStatus(name);
  }

  async restartTask(name: string, id: number): Promise<void> {
    this.requireConfig(name);
    if (!this.statusStore.task(name, id)) throw new NotFoundError(`Task ${name}-${id} not found`);
    await this.serialized(name, () => this.restartTaskNow(name, id));
  }

  // ---- offsets (KIP-875) ---------------------------------------------------------

  async offsets(name: string): Promise<OffsetView[]> {
    const plugin = this.requirePlugin(name);
    if (plugin.type === 'source') {
      return this.offsetStore
        .list(name)
        .map((e) => ({ partition: { ...e.partition }, offset: { ...e.offset } }));
    }
    const topics = await this.groupTopics(name);
    if (topics.length === 0) return [];
    const fetched = await this.admin.fetchOffsets({ groupId: sinkGroupId(name), topics });
    return fetched.flatMap(({ topic, partitions }) =>
      partitions
        .filter((p) => BigInt(p.offset) >= 0n)
        .map((p) => ({
          partition: { kafka_topic: topic, kafka_partition: p.partition },
          offset: { kafka_offset: Number(p.offset) },
        })),
    );
  }

  async alterOffsets(name: string, offsets: readonly OffsetView[]): Promise<void> {
    await this.serialized(name, async () => {
      const plugin = this.requireStopped(name);
      if (plugin.type === 'source') {
        await this.offsetStore.write(
          name,
          offsets.map((o) => ({
            partition: o.partition as SourcePartition,
            offset: o.offset as SourceOffset | null,
          })),
        );
        return;
      }
      for (const o of offsets) {
        const topic = o.partition.kafka_topic;
        const partition = o.partition.kafka_partition;
        const offset = o.offset?.kafka_offset;
        if (typeof topic !== 'string' || typeof partition !== 'number') {
          throw new BadRequestError(
            'Sink connector offsets need partitions like {"kafka_topic": "orders", "kafka_partition": 0}',
          );
        }
        if (o.offset !== null && (typeof offset !== 'number' || offset < 0)) {
          throw new BadRequestError(`Invalid kafka_offset ${String(offset)}: must be a non-negative integer`);
        }
      }
      for (const o of offsets) {
        const topic = String(o.partition.kafka_topic);
        const partition = Number(o.partition.kafka_partition);
        if (o.offset === null) {
          const [earliest] = (await this.admin.fetchTopicOffsets(topic)).filter(
            (p) => p.partition === partition,
          );
          await this.admin.setOffsets({
            groupId: sinkGroupId(name),
            topic,
            partitions: [{ partition, offset: earliest?.low ?? '0' }],
          });
        } else {
          await this.admin.setOffsets({
            groupId: sinkGroupId(name),
            topic,
            partitions: [{ partition, offset: String(o.offset.kafka_offset) }],
          });
        }
      }
    });
  }

  async resetOffsets(name: string): Promise<void> {
    await this.serialized(name, async () => {
      const plugin = this.requireStopped(name);
      if (plugin.type === 'source') {
        const entries = this.offsetStore.list(name).map((e) => ({ partition: e.partition, offset: null }));
        await this.offsetStore.write(name, entries);
        return;
      }
      const groups = await this.admin.listGroups();
      if (groups.groups.some((g) => g.groupId === sinkGroupId(name))) {
        await this.admin.deleteGroups([sinkGroupId(name)]);
      }
    });
  }

  // ---- lifecycle internals ---------------------------------------------------------

  /** Runs `operation` after every earlier operation on the same connector. */
  private serialized<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.locks.set(name, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.locks.get(name) === next) this.locks.delete(name);
      });
    return next;
  }

  private async startConnector(name: string): Promise<void> {
    if (this.stopping) return;
    const raw = this.configStore.get(name);
    if (!raw) return;
    const target = this.configStore.targetState(name);
    const logger = this.deps.logger.child({ connector: name });
    this.watchRetention(name, raw);
    if (target === 'STOPPED') {
      this.runtimes.delete(name);
      await this.statusStore.removeTasks(name);
      await this.putStatus(name, null, 'STOPPED');
      return;
    }
    let plugin: ConnectorPlugin;
    let resolved: Record<string, string>;
    let taskConfigs: readonly ConnectorConfig[];
    try {
      const found = this.catalog.resolve(raw['connector.class'] ?? '');
      if (!found) {
        throw new ConfigError(
          'connector.class',
          `connector.class ${raw['connector.class']} is not installed on this worker; installed: ${this.catalog.describeInstalled()}`,
        );
      }
      plugin = found;
      resolved = this.resolveSecrets(plugin, raw);
      const parsed = this.parseOrThrow(plugin, resolved, raw);
      taskConfigs = plugin.taskConfigs(parsed, commonConnectorConfig.read(parsed)['tasks.max']);
    } catch (error) {
      logger.error('connector failed to start', { error });
      this.runtimes.delete(name);
      await this.putStatus(name, null, 'FAILED', error);
      return;
    }
    const runtime: ConnectorRuntime = { plugin, taskConfigs, tasks: new Map() };
    this.runtimes.set(name, runtime);
    await this.statusStore.removeTasks(name, taskConfigs.length);
    if (target === 'PAUSED') {
      await this.putStatus(name, null, 'PAUSED');
      for (let id = 0; id < taskConfigs.length; id++) await this.putStatus(name, id, 'PAUSED');
      return;
    }
    await this.putStatus(name, null, 'RUNNING');
    for (let id = 0; id < taskConfigs.length; id++) await this.startTask(name, runtime, id, resolved);
  }

  private async startTask(
    name: string,
    runtime: ConnectorRuntime,
    id: number,
    resolvedConnectorConfig: Record<string, string>,
  ): Promise<void> {
    const { plugin } = runtime;
    const logger = this.deps.logger.child({ connector: name, task: id });
    let handle: TaskHandle | undefined;
    try {
      const merged = { ...resolvedConnectorConfig, ...(runtime.taskConfigs[id] ?? {}) };
      const parsed = this.parseOrThrow(plugin, merged, {
        ...(this.configStore.get(name) ?? {}),
        ...(runtime.taskConfigs[id] ?? {}),
      });
      const keyConverter = await this.converter(true, merged);
      const valueConverter = await this.converter(false, merged);
      const transform = (parsed.transforms as string[] | null)?.length ? buildTransformChain(merged) : null;
      const errors = errorPolicy(parsed);
      const onTopic = (topic: string) => this.statusStore.addTopic(name, topic);
      const onProgress = (progress: Readonly<Record<string, string | number>>) => {
        if (handle) handle.progress = progress;
        this.snapshotProgress.report(name, id, progress);
      };
      // The status says what the task is doing: RUNNING with the error and attempt while it retries.
      const isCurrent = () => handle !== undefined && runtime.tasks.get(id) === handle && !handle.stopping;
      const onRetrying = (error: unknown, attempt: number) => {
        if (isCurrent()) void this.putStatus(name, id, 'RUNNING', retryingError(error, attempt));
      };
      const onRecovered = () => {
        if (isCurrent()) void this.putStatus(name, id, 'RUNNING');
      };
      let runner: SourceTaskRunner | SinkTaskRunner;
      if (plugin.type === 'source') {
        const topicCreation = TopicCreation.of(merged, this.deps.config.options['topic.creation.enable']);
        runner = new SourceTaskRunner({
          connector: name,
          taskId: id,
          plugin,
          config: parsed,
          keyConverter,
          valueConverter,
          transform,
          offsetStore: this.offsetStore,
          errors,
          flushIntervalMs: this.deps.config.number('offset.flush.interval.ms'),
          logger,
          producer: this.dataProducer,
          transactionalId: this.exactlyOnceEnabled()
            ? `${this.deps.config.string('group.id')}-${name}-${id}`
            : null,
          kafka: sourceTaskKafka(this.deps.kafka),
          compression:
            this.deps.config.string('producer.compression.type') === 'gzip'
              ? CompressionTypes.GZIP
              : CompressionTypes.None,
          onTopic: async (topic) => {
            if (topicCreation) await this.ensureTopic(topic, topicCreation.settingsFor(topic));
            await onTopic(topic);
          },
          onProgress,
          onRetrying,
          onRecovered,
        });
      } else {
        const sinkOptions = sinkRuntimeConfig.read(parsed);
        const dlqTopic = sinkOptions['errors.deadletterqueue.topic.name'];
        if (dlqTopic)
          await this.ensureDeadLetterTopic(
            dlqTopic,
            sinkOptions['errors.deadletterqueue.topic.replication.factor'],
          );
        runner = new SinkTaskRunner({
          connector: name,
          taskId: id,
          plugin,
          config: parsed,
          keyConverter,
          valueConverter,
          transform,
          errors,
          deadLetterQueue: dlqTopic
            ? new DeadLetterQueue(
                this.dataProducer,
                dlqTopic,
                sinkOptions['errors.deadletterqueue.context.headers.enable'],
                name,
                id,
              )
            : null,
          logger,
          kafka: this.deps.kafka,
          onTopic,
          onProgress,
          onRetrying,
          onRecovered,
        });
      }
      const current: TaskHandle = { runner, done: runner.start(), stopping: false, progress: {} };
      handle = current;
      runtime.tasks.set(id, current);
      const running = this.putStatus(name, id, 'RUNNING');
      // Handle the outcome right away (a task may fail at once), after RUNNING is written.
      void current.done.then(
        () => {
          if (!current.stopping) logger.info('task finished on its own');
        },
        async (error: unknown) => {
          logger.error('task failed', { error });
          if (runtime.tasks.get(id) === current) runtime.tasks.delete(id);
          await running;
          await this.putStatus(name, id, 'FAILED', error);
        },
      );
      await running;
    } catch (error) {
      logger.error('task failed to start', { error });
      await this.putStatus(name, id, 'FAILED', error);
    }
  }

  private async restartTaskNow(name: string, id: number): Promise<void> {
    const runtime = this.runtimes.get(name);
    const raw = this.configStore.get(name);
    if (!runtime || !raw) return;
    await this.stopTask(runtime, id);
    if (this.configStore.targetState(name) !== 'STARTED') {
      await this.putStatus(name, id, this.stateFor(this.configStore.targetState(name)));
      return;
    }
    let resolved: Record<string, string>;
    try {
      resolved = this.resolveSecrets(runtime.plugin, raw);
    } catch (error) {
      await this.putStatus(name, id, 'FAILED', error);
      return;
    }
    await this.startTask(name, runtime, id, resolved);
  }

  private async stopTask(runtime: ConnectorRuntime, id: number): Promise<void> {
    const handle = runtime.tasks.get(id);
    if (!handle) return;
    handle.stopping = true;
    runtime.tasks.delete(id);
    const timeout = this.deps.config.number('task.shutdown.graceful.timeout.ms');
    const stopped = handle.runner.stop().then(() => true);
    const finished = await Promise.race([stopped, sleep(timeout).then(() => false)]);
    if (!finished)
      this.deps.logger.warn('task did not stop within task.shutdown.graceful.timeout.ms', { task: id });
  }

  private async stopConnectorTasks(name: string, options: { markUnassigned?: boolean } = {}): Promise<void> {
    const runtime = this.runtimes.get(name);
    if (!runtime) return;
    const ids = [...runtime.tasks.keys()];
    await Promise.all(ids.map((id) => this.stopTask(runtime, id)));
    this.runtimes.delete(name);
    if (options.markUnassigned) {
      await this.putStatus(name, null, 'UNASSIGNED');
      for (const id of ids) await this.putStatus(name, id, 'UNASSIGNED');
    }
  }

  /** With exactly.once.source.support=enabled every source task writes in transactions (as in Kafka Connect). */
  private exactlyOnceEnabled(): boolean {
    return this.deps.config.string('exactly.once.source.support') === 'enabled';
  }

  /** Creates a source topic with its topic.creation settings; an existing topic stays as it is. */
  private async ensureTopic(topic: string, settings: NewTopicSettings): Promise<void> {
    if ((await this.admin.listTopics()).includes(topic)) return;
    await this.admin
      .createTopics({ waitForLeaders: true, topics: [{ topic, ...settings }] })
      .catch(async (error: unknown) => {
        if (!(await this.admin.listTopics()).includes(topic)) throw error;
      });
  }

  private async ensureDeadLetterTopic(topic: string, replicationFactor: number): Promise<void> {
    const topics = await this.admin.listTopics();
    if (topics.includes(topic)) return;
    await createTopicAndWait(this.admin, {
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

  private resolveSecrets(plugin: ConnectorPlugin, raw: StoredConfig): Record<string, string> {
    const { config, secrets } = resolveConfigProviders(raw, providerPolicyOf(this.deps.config));
    secrets.forEach(registerSecret);
    for (const key of passwordKeys(plugin.configDef)) registerSecret(config[key]);
    for (const value of Object.values(config)) urlPasswords(value).forEach(registerSecret);
    return config;
  }

  /** The guardian measures a source's retention whatever its target state, so from here. */
  private watchRetention(name: string, raw: StoredConfig): void {
    const plugin = this.catalog.resolve(raw['connector.class'] ?? '');
    if (!plugin) return;
    try {
      this.guardian.watch(name, plugin, this.parseOrThrow(plugin, this.resolveSecrets(plugin, raw), raw));
    } catch {
      // An unresolvable or invalid config fails the connector's start, which says why.
    }
  }

  private publishConfig(name: string, action: 'created' | 'updated'): void {
    const config = this.configStore.get(name);
    if (!config) return;
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    this.deps.events.publish('connector.config', name, { action, config: this.masked(plugin, config) });
  }

  /** `written`: the config as stored, so a problem names a key's reference, not its value. */
  private parseOrThrow(
    plugin: ConnectorPlugin,
    config: Record<string, string>,
    written: RawConfig,
  ): ParsedConfig {
    const def = connectorConfigDef(plugin);
    const { values, errors } = parseConfig(def, config);
    const [firstKey] = errors.keys();
    if (firstKey !== undefined) {
      const safe = withoutResolvedValues(errors, written, def, []);
      throw new ConfigError(firstKey, `Invalid configuration: ${describeErrors(safe).join('; ')}`);
    }
    return values;
  }

  // ---- status ----------------------------------------------------------------

  private async putStatus(
    name: string,
    task: number | null,
    state: ConnectorState,
    error?: unknown,
  ): Promise<void> {
    const status: Status = {
      state,
      worker_id: this.workerId,
      generation: ++this.generation,
      ...(error ? { trace: maskSecrets(describeError(error)) } : {}),
    };
    const key = `${name}/${task ?? 'connector'}`;
    this.latestStatus.set(key, status.generation);
    this.deps.events.publish(task === null ? 'connector.state' : 'task.state', name, {
      ...(task === null ? {} : { task }),
      state,
      worker_id: status.worker_id,
      ...(status.trace ? { trace: status.trace } : {}),
    });
    // REST must never show a state the task left: a write that fails (broker away) is
    // retried until stored, unless a newer status for the same task came meanwhile.
    const retries = backoff({ maxDelayMs: 10_000 }, this.statusRetries.signal);
    for (;;) {
      try {
        if (task === null) {
          await this.statusStore.putConnector(name, status);
          recordConnectorState(name, state);
        } else {
          await this.statusStore.putTask(name, task, status);
          recordTaskState(name, task, state);
        }
        return;
      } catch (writeError) {
        const superseded = this.latestStatus.get(key) !== status.generation;
        const again =
          !superseded &&
          (await retries.failed((attempt, delayMs) =>
            this.deps.logger.warn('could not write status; retrying', {
              connector: name,
              task,
              state,
              attempt,
              delayMs,
              error: writeError,
            }),
          ));
        if (!again) {
          if (!superseded)
            this.deps.logger.error('could not write status', {
              connector: name,
              task,
              state,
              error: writeError,
            });
          return;
        }
      }
    }
  }

  private stateFor(target: TargetState): ConnectorState {
    return target === 'STARTED' ? 'RUNNING' : target;
  }

  private view(status: Status | undefined): StatusView {
    if (!status) return { state: 'UNASSIGNED', worker_id: this.workerId };
    return {
      state: status.state,
      worker_id: status.worker_id,
      // Masked again when shown: a trace stored by an older worker may predate a masking rule.
      ...(status.trace ? { trace: maskSecrets(status.trace) } : {}),
    };
  }

  // ---- checks ------------------------------------------------------------------

  private requireConfig(name: string): StoredConfig {
    const config = this.configStore.get(name);
    if (!config) throw new NotFoundError(`Connector ${name} not found`);
    return config;
  }

  private requirePlugin(name: string): ConnectorPlugin {
    const config = this.requireConfig(name);
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    if (!plugin) {
      throw new SiphonError(
        `Connector ${name} uses ${config['connector.class']}, which is not installed on this worker`,
        false,
      );
    }
    return plugin;
  }

  private requireStopped(name: string): ConnectorPlugin {
    const plugin = this.requirePlugin(name);
    if (this.configStore.targetState(name) !== 'STOPPED') {
      throw new ConflictError(
        `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
      );
    }
    return plugin;
  }

  /** Topics the sink consumed or is configured for: where its group may have offsets. */
  private async groupTopics(name: string): Promise<string[]> {
    const known = new Set(this.statusStore.activeTopics(name));
    const config = this.configStore.get(name) ?? {};
    for (const t of (config.topics ?? '').split(',').map((s) => s.trim())) if (t) known.add(t);
    const existing = new Set(await this.admin.listTopics());
    return [...known].filter((t) => existing.has(t));
  }

  private checkBasics(raw: RawConfig): string {
    const name = raw.name;
    if (name === undefined || name.trim() === '') {
      throw new BadRequestError(
        'Connector config is missing the required "name" field (a unique connector name)',
      );
    }
    if ([...name].some((c) => c < ' ' || c === '/') || name !== name.trim()) {
      throw new BadRequestError(
        `Connector name "${name}" is invalid: no control characters, slashes or surrounding spaces`,
      );
    }
    if (encodeURIComponent(name).length > maxEncodedNameLength) {
      throw new BadRequestError(
        `Connector name of ${name.length} characters is too long: URLs of its REST resources would exceed the HTTP header limit; use a name of at most ${maxEncodedNameLength} URL-encoded characters`,
      );
    }
    const className = raw['connector.class'];
    if (className === undefined || className.trim() === '') {
      throw new BadRequestError(
        `Connector config for ${name} is missing the required "connector.class" field; installed plugins: ${this.catalog.describeInstalled()}`,
      );
    }
    if (!this.catalog.resolve(className)) {
      throw new BadRequestError(
        `Failed to find any class that implements Connector and which name matches ${className}, available connectors are: ${this.catalog.describeInstalled()}`,
      );
    }
    return name;
  }

  private async checkValid(raw: RawConfig): Promise<void> {
    const validation = await this.validate(raw);
    if (validation.errorCount === 0) return;
    const lines = describeErrors(validation.errors);
    const plugin = validation.plugin;
    throw new BadRequestError(
      `Connector configuration is invalid and contains the following ${validation.errorCount} error(s):\n${lines.join('\n')}\n` +
        `You can also find the above list of errors at the endpoint \`/connector-plugins/${plugin?.name ?? '{connectorType}'}/config/validate\``,
    );
  }

  private masked(plugin: ConnectorPlugin | undefined, config: RawConfig): Record<string, string> {
    return maskConfig([...(plugin?.configDef ?? [])], config);
  }

  /** A GET-shown `[hidden]` password (or URL with one) sent back unchanged keeps the stored value. */
  private keepHiddenPasswords(raw: RawConfig, previous: StoredConfig): Record<string, string> {
    const out = { ...raw };
    for (const [key, value] of Object.entries(raw)) {
      const stored = previous[key];
      if (stored !== undefined && (value === HIDDEN || value === maskUrlCredentials(stored))) {
        out[key] = stored;
      }
    }
    return out;
  }
}

/** A task's transient failure as its status trace shows it while the task retries. */
function retryingError(error: unknown, attempt: number): RetriableError {
  const message = error instanceof Error ? error.message : String(error);
  const shown = new RetriableError(`attempt ${attempt} failed; retrying in the background: ${message}`, {
    cause: error,
  });
  // Where the worker noticed is noise; the cause's trace follows.
  shown.stack = `${shown.name}: ${shown.message}`;
  return shown;
}
