import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { describeErrors, parseConfig, type RawConfig } from '../config/config-parser.js';
import { resolveConfigProviders } from '../config/config-providers.js';
import { withoutResolvedValues } from '../config/resolved-value-errors.js';
import { maskUrlCredentials, urlPasswords } from '../config/url-credentials.js';
import { providerPolicyOf, type WorkerConfig, type WorkerKeyOf } from '../config/worker-config.js';
import type { EventBus } from '../events/event-bus.js';
import { SnapshotProgressPublisher } from '../events/snapshot-progress.js';
import { RetentionGuardian, type RetentionView } from '../guardian/retention-guardian.js';
import { HIDDEN, maskSecrets, registerSecret, type Logger } from '../logging/logger.js';
import { recordClusterView, recordRebalance } from '../metrics/cluster-metrics.js';
import { recordConnectorState, recordTaskState } from '../metrics/runtime-metrics.js';
import type { ConnectorConfig, ConnectorPlugin, ParsedConfig } from '../plugin/index.js';
import type { SourceOffset, SourcePartition } from '../record/index.js';
import { BadRequestError } from '../rest/rest-errors.js';
import { CompactedTopic } from '../stores/compacted-topic.js';
import {
  ConfigStore,
  type ConfigListener,
  type RestartRequest,
  type SignalRequest,
  type StoredConfig,
  type TargetState,
} from '../stores/config-store.js';
import { OffsetStore } from '../stores/offset-store.js';
import { StatusStore, type ConnectorState, type Status } from '../stores/status-store.js';
import { commonConnectorConfig, connectorConfigDef, passwordKeys } from '../worker/connector-config.js';
import { maskConfig, validateConnector, type ConnectorValidation } from '../worker/connector-validation.js';
import type { ConverterFactory } from '../worker/converter-setup.js';
import { createProducer, recordProducerConnection } from '../worker/kafka-client.js';
import { RecordProducer } from '../worker/record-producer.js';
import type { PluginCatalog } from '../worker/plugin-catalog.js';
import { sinkGroupId } from '../worker/sink-task-runner.js';
import { Worker } from '../worker/worker.js';
import {
  AlreadyExistsError,
  backoff,
  ConfigError,
  ConflictError,
  NotFoundError,
  RetriableError,
  SiphonError,
} from '../plugin/index.js';
import { describeError } from '../plugin/errors.js';
import { parseUnit, planAssignment, taskUnit, type WorkUnit } from './assignment.js';
import type { ClusterMember, ClusterView } from './cluster-view.js';
import { WorkerGroup, type GroupAssignment, type JoinedMember } from './worker-group.js';

export interface HerderDependencies {
  readonly config: WorkerConfig;
  readonly kafka: Kafka;
  readonly catalog: PluginCatalog;
  /** Converters, already pointed at the worker's schema registry. */
  readonly createConverter: ConverterFactory;
  readonly logger: Logger;
  /** Where state, config, snapshot and retention events are published (GET /events). */
  readonly events: EventBus;
}

/** What a connector's config gives, computed alike on every worker from the config topic. */
interface ConnectorPlan {
  /** The config record it was computed from: a newer one restarts the tasks. */
  readonly version: number;
  readonly plugin: ConnectorPlugin | null;
  readonly resolved: Record<string, string>;
  readonly taskConfigs: readonly ConnectorConfig[];
  /** Why the connector cannot start (its owner reports it as FAILED). */
  readonly error: unknown;
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
 * The herder (Kafka Connect's DistributedHerder): owns the config, offset and status
 * stores, the worker group and its assignment, and implements every REST operation.
 * Config changes are written to the configs topic (by the leader: REST forwards writes
 * there) and every worker acts on what it reads back for the connectors and tasks the
 * group assigned to it, through its Worker. A cluster of one is the single-worker case.
 * Operations on one connector are serialized; a failing connector only changes its own status.
 */
export class Herder implements ConfigListener {
  private admin!: Admin;
  private storeProducer!: Producer;
  private dataProducer!: Producer;
  private recordProducer: RecordProducer | null = null;
  private worker!: Worker;
  private group: WorkerGroup | null = null;
  private configStore!: ConfigStore;
  private offsetStore!: OffsetStore;
  private statusStore!: StatusStore;
  /** REST operations per connector, one at a time. */
  private readonly operations = new Map<string, Promise<unknown>>();
  /** Reconciliations per connector, one at a time (apart from operations, which wait on them). */
  private readonly reconciles = new Map<string, Promise<unknown>>();
  private readonly configVersions = new Map<string, number>();
  private readonly plans = new Map<string, ConnectorPlan>();
  /** Unit → the config version and target state this worker last applied to it. */
  private readonly applied = new Map<WorkUnit, string>();
  private assignment: GroupAssignment | null = null;
  private rebalanceStartedAt: number | null = Date.now();
  private lastUnits = '';
  private delayTimer: NodeJS.Timeout | null = null;
  private firstAssignment!: Promise<void>;
  private resolveFirstAssignment: () => void = () => undefined;
  private statusSequence = 0;
  /** The newest status write per connector/task (a local sequence): an older one that failed is not retried over it. */
  private readonly latestStatus = new Map<string, number>();
  /** Ends status write retries once the worker stops. */
  private readonly statusRetries = new AbortController();
  private self: ClusterMember = { workerId: 'unassigned', url: '' };
  private clusterId: string | null = null;
  private started = false;
  private stopping = false;

  readonly guardian: RetentionGuardian;
  private readonly snapshotProgress: SnapshotProgressPublisher;

  constructor(private readonly deps: HerderDependencies) {
    this.guardian = new RetentionGuardian({
      events: deps.events,
      logger: deps.logger.child({ component: 'retention-guardian' }),
      intervalMs: deps.config.number('retention.check.interval.ms'),
      committedOffsets: (name) => this.offsetStore.list(name),
      connectorState: (name) => this.statusStore.connector(name)?.state ?? null,
      anyTaskRunning: (name) => this.statusStore.taskStatuses(name).some(([, s]) => s.state === 'RUNNING'),
    });
    // Kept in the status topic too, so every worker of a cluster shows a task's progress.
    this.snapshotProgress = new SnapshotProgressPublisher(deps.events, (name, id, progress) => {
      this.statusStore
        .putProgress(name, id, { worker_id: this.self.workerId, progress })
        .catch((error: unknown) =>
          deps.logger.debug('could not store task progress', { connector: name, error }),
        );
    });
  }

  get events(): EventBus {
    return this.deps.events;
  }

  get isReady(): boolean {
    return this.started && !this.stopping;
  }

  get id(): string {
    return this.self.workerId;
  }

  get kafkaClusterId(): string | null {
    return this.clusterId;
  }

  get catalog(): PluginCatalog {
    return this.deps.catalog;
  }

  /** Joins the worker group as `self` and starts what the first assignment gives this worker. */
  async start(self: ClusterMember): Promise<void> {
    const { kafka, config, logger } = this.deps;
    this.self = self;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.clusterId = (await this.admin.describeCluster()).clusterId;
    this.storeProducer = createProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
    this.dataProducer = createProducer(kafka, { idempotent: true, maxInFlightRequests: 5 });
    this.recordProducer = new RecordProducer(recordProducerConnection(config));
    await Promise.all([
      this.storeProducer.connect(),
      this.dataProducer.connect(),
      this.recordProducer.connect(),
    ]);
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
    this.configStore = new ConfigStore(configsTopic);
    this.offsetStore = new OffsetStore(offsetsTopic);
    this.statusStore = new StatusStore(statusTopic);
    await Promise.all([this.configStore.load(this), this.offsetStore.load(), this.statusStore.load()]);
    this.worker = new Worker({
      config,
      kafka,
      admin: this.admin,
      dataProducer: this.dataProducer,
      recordProducer: this.recordProducer,
      offsetStore: this.offsetStore,
      createConverter: this.deps.createConverter,
      logger,
    });
    this.firstAssignment = new Promise((resolve) => (this.resolveFirstAssignment = resolve));
    const sessionTimeoutMs = config.number('session.timeout.ms');
    this.group = new WorkerGroup({
      kafka,
      admin: this.admin,
      groupId: config.string('group.id'),
      topic: configsTopic.spec.topic,
      self,
      logger: logger.child({ component: 'worker-group' }),
      sessionTimeoutMs,
      heartbeatIntervalMs: config.number('heartbeat.interval.ms'),
      rebalanceTimeoutMs: config.number('rebalance.timeout.ms'),
      owned: () => this.ownedUnits(),
      generation: () => this.assignment?.generation ?? 0,
      configOffset: () => this.configStore.topic.position(0),
      lead: (members) => this.lead(members),
      onAssignment: (assignment) => void this.applyAssignment(assignment),
      onRebalanceStarted: () => this.rebalanceStarted(),
      onSessionLost: () => void this.sessionLost(),
    });
    await this.group.join();
    await this.firstAssignment;
    this.started = true;
    this.guardian.start();
    logger.info('worker started', {
      workerId: self.workerId,
      connectors: this.configStore.names().length,
      members: this.assignment?.members.length ?? 0,
    });
  }

  /** Stops every task (draining and committing), leaves the group, then the Kafka clients. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.delayTimer) clearTimeout(this.delayTimer);
    const units = this.assignment?.assigned ?? [];
    // Like a Kafka Connect worker leaving its group: what it ran is UNASSIGNED until a
    // worker starts it; the leader sees that and reassigns it at once.
    await Promise.all(this.worker?.running().map((u) => this.stopUnit(u)) ?? []);
    for (const unit of units) {
      const { connector, task } = parseUnit(unit);
      if (this.configStore.get(connector)) await this.putStatus(connector, task, 'UNASSIGNED');
    }
    this.statusRetries.abort();
    await this.group?.leave().catch(() => undefined);
    await this.guardian.stop();
    await Promise.allSettled([
      this.configStore?.topic.close(),
      this.offsetStore?.topic.close(),
      this.statusStore?.topic.close(),
    ]);
    await Promise.allSettled([
      this.dataProducer?.disconnect(),
      this.recordProducer?.disconnect(),
      this.storeProducer?.disconnect(),
      this.admin?.disconnect(),
    ]);
    this.deps.logger.info('worker stopped', { workerId: this.self.workerId });
  }

  /** What REST, the CLI and the metrics know of the cluster. */
  cluster(): ClusterView {
    const a = this.assignment;
    const connectorOwners = new Map<string, string>();
    const taskOwners = new Map<string, string>();
    for (const [unit, owner] of Object.entries(a?.owners ?? {})) {
      (parseUnit(unit).task === null ? connectorOwners : taskOwners).set(unit, owner);
    }
    return {
      kafkaClusterId: this.clusterId ?? '',
      selfId: this.self.workerId,
      selfUrl: this.self.url,
      leader: a?.leader ?? null,
      rebalancing: this.rebalanceStartedAt !== null,
      generation: a?.generation ?? 0,
      members: a?.members ?? [],
      connectorOwners,
      taskOwners,
    };
  }

  // ---- queries ---------------------------------------------------------------

  connectorNames(): string[] {
    // REST and the verification schedule may ask while start() still reads the config topic.
    return (this.configStore as ConfigStore | undefined)?.names() ?? [];
  }

  connectorInfo(name: string): ConnectorInfo {
    const config = this.requireConfig(name);
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    return {
      name,
      config: this.masked(plugin, config),
      tasks: this.taskConfigsOf(name).map((_, task) => ({ connector: name, task })),
      type: plugin?.type ?? 'unknown',
    };
  }

  connectorStatus(name: string): ConnectorStatusView {
    const config = this.requireConfig(name);
    const plugin = this.catalog.resolve(config['connector.class'] ?? '');
    const connector = this.statusStore.connector(name);
    const retention = this.guardian.latest(name);
    return {
      name,
      connector: this.view(connector),
      tasks: this.statusStore.taskStatuses(name).map(([id, status]) => {
        // Progress as the task's own worker knows it, else as that worker last stored it.
        const stored = this.statusStore.progress(name, id);
        const progress =
          this.worker?.progress(name, id) ??
          (stored?.worker_id === status.worker_id ? stored.progress : undefined);
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
    return this.taskConfigsOf(name).map((taskConfig, task) => ({
      id: { connector: name, task },
      config: Object.fromEntries(
        Object.entries(this.masked(plugin, taskConfig)).map(([k, v]) => [k, maskSecrets(v)]),
      ),
    }));
  }

  /** Task configs as the plugin produces them from the resolved config; none while STOPPED. */
  private taskConfigsOf(name: string): readonly ConnectorConfig[] {
    if (this.configStore.targetState(name) === 'STOPPED') return [];
    return this.planFor(name).taskConfigs;
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
      exactlyOnceSource: this.deps.config.string('exactly.once.source.support') === 'enabled',
    });
  }

  // ---- config changes ----------------------------------------------------------
  // Written to the configs topic; every worker (this one too) acts on what it reads back.
  // An operation returns once this worker has done its part, as the single worker did.

  async createConnector(raw: RawConfig, initialState: TargetState = 'STARTED'): Promise<ConnectorInfo> {
    const name = this.checkBasics(raw);
    return this.operation(name, async () => {
      if (this.configStore.get(name)) throw new AlreadyExistsError(`Connector ${name} already exists`);
      await this.checkValid(raw);
      await this.configStore.put(name, raw, initialState);
      await this.readBack(name);
      this.deps.logger.info('connector created', { connector: name });
      this.publishConfig(name, 'created');
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
    return this.operation(name, async () => {
      const previous = this.configStore.get(name);
      const merged = previous ? this.keepHiddenPasswords(raw, previous) : raw;
      await this.checkValid(merged);
      await this.configStore.put(name, merged, previous ? undefined : 'STARTED');
      await this.readBack(name);
      this.publishConfig(name, previous ? 'updated' : 'created');
      return { created: !previous, info: this.connectorInfo(name) };
    });
  }

  async patchConnectorConfig(
    name: string,
    patch: Readonly<Record<string, string | null>>,
  ): Promise<ConnectorInfo> {
    return this.operation(name, async () => {
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
      await this.readBack(name);
      this.publishConfig(name, 'updated');
      return this.connectorInfo(name);
    });
  }

  /** Resolves with what the connector left behind in its external system (see the plugin). */
  async deleteConnector(name: string): Promise<readonly string[]> {
    return this.operation(name, async () => {
      const raw = this.requireConfig(name);
      const plugin = this.catalog.resolve(raw['connector.class'] ?? '');
      await this.configStore.remove(name);
      // Its workers stop its tasks when they read the tombstone; this one's are stopped here.
      await this.readBack(name);
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
    await this.operation(name, async () => {
      this.requireConfig(name);
      await this.configStore.putTargetState(name, state);
      await this.readBack(name);
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
    // The workers that run them restart them (Kafka Connect's restart request, KIP-745).
    const work = this.operation(name, async () => {
      await this.configStore.requestRestart(name, {
        ...options,
        connector: restartConnector,
        tasks: restartAll ? status.tasks.map((t) => t.id) : tasks,
      });
      await this.readBack(name);
    });
    if (plain) {
      await work;
      return null;
    }
    work.catch((error) => this.deps.logger.error('restart failed', { connector: name, error }));
    // The answer shows the plan, as Kafka Connect's does: the status topic, followed
    // meanwhile, may still hand the store an older state of what is restarting.
    const view = this.connectorStatus(name);
    return {
      ...view,
      connector: restartConnector
        ? { state: 'RESTARTING', worker_id: view.connector.worker_id }
        : view.connector,
      tasks: view.tasks.map((t) =>
        tasks.includes(t.id) ? { id: t.id, state: 'RESTARTING', worker_id: t.worker_id } : t,
      ),
    };
  }

  async restartTask(name: string, id: number): Promise<void> {
    this.requireConfig(name);
    if (!this.statusStore.task(name, id)) throw new NotFoundError(`Task ${name}-${id} not found`);
    await this.operation(name, async () => {
      await this.configStore.requestRestart(name, {
        includeTasks: true,
        onlyFailed: false,
        connector: false,
        tasks: [id],
      });
      await this.readBack(name);
    });
  }

  /**
   * Sends a Debezium signal (`execute-snapshot`, `stop-snapshot`, …) to the connector's
   * task (signals go to task 0, which reads the source), wherever it runs: through the
   * configs topic to the worker that runs it (the `rest` channel).
   */
  async sendSignal(
    name: string,
    type: string,
    data: Readonly<Record<string, unknown>> | null,
  ): Promise<string> {
    const plugin = this.requirePlugin(name);
    if (plugin.type !== 'source') {
      throw new BadRequestError(`Connector ${name} is a sink; signals go to source connectors`);
    }
    if (this.statusStore.task(name, 0)?.state !== 'RUNNING') {
      throw new ConflictError(
        `Connector ${name} has no RUNNING task to take the signal (task 0 is ${this.statusStore.task(name, 0)?.state ?? 'not started'}); resume or restart it first`,
      );
    }
    const id = randomUUID();
    await this.operation(name, async () => {
      await this.configStore.sendSignal(name, { id, type, data });
      await this.readBack(name);
    });
    return id;
  }

  // ---- what the configs topic says (ConfigListener) ---------------------------------

  signalSent(name: string, request: SignalRequest): void {
    const signal = {
      id: String(request.id),
      type: String(request.type),
      data: request.data ?? null,
      channel: 'rest',
    };
    try {
      if (this.worker.deliverSignal(name, 0, signal)) {
        this.deps.logger.info('signal delivered to the task', {
          connector: name,
          type: signal.type,
          id: signal.id,
        });
      }
    } catch (error) {
      this.deps.logger.warn('the task refused a signal', { connector: name, type: signal.type, error });
    }
  }

  changed(name: string, what: 'config' | 'target-state'): void {
    // A new config restarts the connector's tasks; a target state alone pauses or resumes them.
    if (what === 'config') {
      this.configVersions.set(name, (this.configVersions.get(name) ?? 0) + 1);
      this.plans.delete(name);
    }
    if (this.isLeader()) this.unitsMayHaveChanged();
    void this.reconcile(name);
  }

  restartRequested(name: string, request: RestartRequest): void {
    if (request.connector) {
      // Restarting the connector resolves its config providers again (a secret may have changed).
      this.plans.delete(name);
      if (this.isLeader()) this.unitsMayHaveChanged();
    }
    void this.queueReconcile(name, async () => {
      const owned = new Set(this.assignment?.assigned ?? []);
      if (request.connector && owned.has(name)) this.applied.delete(name);
      for (const id of request.tasks ?? []) {
        const unit = taskUnit(name, id);
        if (!owned.has(unit)) continue;
        await this.worker.stopTask(name, id);
        this.applied.delete(unit);
      }
      await this.reconcileNow(name);
    });
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
    await this.operation(name, async () => {
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
    await this.operation(name, async () => {
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

  /** Runs a REST operation after every earlier one on the same connector. */
  private operation<T>(name: string, operation: () => Promise<T>): Promise<T> {
    return chain(this.operations, name, operation);
  }

  /** Waits until this worker has read back its own write and acted on it. */
  private async readBack(name: string): Promise<void> {
    await this.configStore.topic.readToEnd();
    await this.reconciles.get(name)?.catch(() => undefined);
  }

  private queueReconcile(name: string, work: () => Promise<void>): Promise<void> {
    return chain(this.reconciles, name, async () => {
      if (!this.stopping) await work();
    }).catch((error: unknown) =>
      this.deps.logger.error('could not apply the connector’s config', { connector: name, error }),
    );
  }

  private reconcile(name: string): Promise<void> {
    return this.queueReconcile(name, () => this.reconcileNow(name));
  }

  /**
   * Makes what this worker runs of `name` match the config topic and the assignment:
   * stops tasks no longer here (or of an older config), starts the ones assigned here,
   * and, on the connector's own worker, writes the connector's state.
   */
  private async reconcileNow(name: string): Promise<void> {
    const raw = this.configStore.get(name);
    const target = this.configStore.targetState(name);
    const plan = raw ? this.planFor(name) : null;
    const owned = new Set(this.assignment?.assigned ?? []);
    const taskCount = plan && !plan.error && target !== 'STOPPED' ? plan.taskConfigs.length : 0;
    const wanted = (id: number) => id < taskCount && owned.has(taskUnit(name, id));
    for (const unit of this.worker.running()) {
      const { connector, task } = parseUnit(unit);
      if (connector !== name || task === null) continue;
      const current =
        wanted(task) && target === 'STARTED' && this.worker.isRunning(name, task, plan!.version);
      if (!current) await this.worker.stopTask(name, task);
    }
    for (const unit of [...this.applied.keys()]) {
      const { connector, task } = parseUnit(unit);
      if (connector !== name) continue;
      if (task === null && !raw) {
        // Deleted: what it left on the server stays watched here until that is gone too.
        this.applied.delete(unit);
        this.guardian.connectorDeleted(name);
      } else if (task === null ? !owned.has(unit) : !wanted(task)) {
        await this.stopUnit(unit);
      }
    }
    if (!raw || !plan) return;
    if (owned.has(name)) await this.reconcileConnector(name, raw, target, plan);
    for (let id = 0; id < taskCount; id++) {
      if (!wanted(id)) continue;
      const unit = taskUnit(name, id);
      const key = `${plan.version}:${target}`;
      if (this.applied.get(unit) === key) continue;
      this.applied.set(unit, key);
      if (target === 'PAUSED') await this.putStatus(name, id, 'PAUSED');
      else await this.startTask(name, id, plan);
    }
  }

  private async reconcileConnector(
    name: string,
    raw: StoredConfig,
    target: TargetState,
    plan: ConnectorPlan,
  ): Promise<void> {
    const key = `${plan.version}:${target}`;
    if (this.applied.get(name) === key) return;
    this.applied.set(name, key);
    this.watchRetention(name, raw);
    if (target === 'STOPPED') {
      await this.statusStore.removeTasks(name);
      await this.putStatus(name, null, 'STOPPED');
      return;
    }
    if (plan.error) {
      this.deps.logger.error('connector failed to start', { connector: name, error: plan.error });
      await this.putStatus(name, null, 'FAILED', plan.error);
      return;
    }
    await this.statusStore.removeTasks(name, plan.taskConfigs.length);
    await this.putStatus(name, null, target === 'PAUSED' ? 'PAUSED' : 'RUNNING');
  }

  private async startTask(name: string, id: number, plan: ConnectorPlan): Promise<void> {
    const logger = this.deps.logger.child({ connector: name, task: id });
    try {
      const plugin = plan.plugin!;
      const taskConfig = plan.taskConfigs[id] ?? {};
      const merged = { ...plan.resolved, ...taskConfig };
      const parsed = this.parseOrThrow(plugin, merged, {
        ...(this.configStore.get(name) ?? {}),
        ...taskConfig,
      });
      let running: Promise<void> = Promise.resolve();
      await this.worker.startTask(
        { connector: name, id, plugin, config: merged, parsed, version: plan.version },
        {
          onTopic: (topic) => this.statusStore.addTopic(name, topic),
          onProgress: (progress) => this.snapshotProgress.report(name, id, progress),
          onRetrying: (error, attempt) =>
            void this.putStatus(name, id, 'RUNNING', retryingError(error, attempt)),
          onRecovered: () => void this.putStatus(name, id, 'RUNNING'),
          // Handled after RUNNING is written: a task may fail at once.
          onFailed: (error) => void running.then(() => this.putStatus(name, id, 'FAILED', error)),
        },
      );
      running = this.putStatus(name, id, 'RUNNING');
      await running;
    } catch (error) {
      logger.error('task failed to start', { error });
      await this.putStatus(name, id, 'FAILED', error);
    }
  }

  /** Stops a unit that is no longer this worker's; its gauges here go (its new worker sets them). */
  private async stopUnit(unit: WorkUnit): Promise<void> {
    const { connector, task } = parseUnit(unit);
    this.applied.delete(unit);
    // A status of it still being retried (the broker away) is stale now: it must not land
    // after the unit's new owner wrote its own, nor set this worker's gauges again.
    this.latestStatus.set(statusKey(connector, task), ++this.statusSequence);
    if (task === null) {
      await this.guardian.stopWatching(connector);
      recordConnectorState(connector, null);
    } else {
      await this.worker.stopTask(connector, task);
      recordTaskState(connector, task, null);
    }
  }

  /** The connector's task configs, computed once per config version (by every worker alike). */
  private planFor(name: string): ConnectorPlan {
    const version = this.configVersions.get(name) ?? 0;
    const cached = this.plans.get(name);
    if (cached?.version === version) return cached;
    const raw = this.configStore.get(name) ?? {};
    let plan: ConnectorPlan;
    try {
      const plugin = this.catalog.resolve(raw['connector.class'] ?? '');
      if (!plugin) {
        throw new ConfigError(
          'connector.class',
          `connector.class ${raw['connector.class']} is not installed on this worker; installed: ${this.catalog.describeInstalled()}`,
        );
      }
      const resolved = this.resolveSecrets(plugin, raw);
      const parsed = this.parseOrThrow(plugin, resolved, raw);
      const taskConfigs = plugin.taskConfigs(parsed, commonConnectorConfig.read(parsed)['tasks.max']);
      plan = { version, plugin, resolved, taskConfigs, error: null };
    } catch (error) {
      plan = { version, plugin: null, resolved: {}, taskConfigs: [], error };
    }
    this.plans.set(name, plan);
    return plan;
  }

  // ---- the worker group ------------------------------------------------------------

  private isLeader(): boolean {
    return this.assignment !== null && this.assignment.leader.workerId === this.self.workerId;
  }

  /** Every unit that should run somewhere: each connector, and its tasks unless STOPPED. */
  private allUnits(): WorkUnit[] {
    const units: WorkUnit[] = [];
    for (const name of this.configStore.names()) {
      units.push(name);
      const plan = this.planFor(name);
      if (plan.error || this.configStore.targetState(name) === 'STOPPED') continue;
      for (let id = 0; id < plan.taskConfigs.length; id++) units.push(taskUnit(name, id));
    }
    return units;
  }

  /** What this worker runs or is still stopping: reported to the leader when it joins. */
  private ownedUnits(): WorkUnit[] {
    const units = new Set<WorkUnit>(this.worker.running());
    for (const unit of this.applied.keys()) units.add(unit);
    return [...units].sort();
  }

  /** On the leader: connectors or tasks came or went, so the assignment must change. */
  private unitsMayHaveChanged(): void {
    const units = this.allUnits();
    if (units.join('\n') === this.lastUnits) return;
    const a = this.assignment!;
    if (a.members.length === 1 && a.members[0]!.workerId === this.self.workerId) {
      // A cluster of one needs no round trip: everything is this worker's.
      this.lastUnits = units.join('\n');
      void this.applyAssignment({
        ...a,
        owners: Object.fromEntries(units.map((u) => [u, this.self.workerId])),
        assigned: units,
      });
      return;
    }
    this.group?.requestRebalance();
  }

  /** The leader's part of a rebalance: who runs what in the next generation. */
  private async lead(members: readonly JoinedMember[]): Promise<ReadonlyMap<string, GroupAssignment>> {
    // What the others wrote (new connectors, a leaving worker's UNASSIGNED) counts: the
    // leader reads both topics to their end, past every member's configOffset.
    await Promise.all([this.configStore.topic.readToEnd(), this.statusStore.topic.readToEnd()]);
    const behind = members.find((m) => m.configOffset > this.configStore.topic.position(0));
    if (behind) {
      this.deps.logger.warn('a member has read further in the configs topic than the leader', {
        member: behind.workerId,
        configOffset: behind.configOffset,
      });
    }
    const now = Date.now();
    const delay = this.deps.config.number('scheduled.rebalance.max.delay.ms');
    const units = this.allUnits();
    const present = new Set(members.map((m) => m.workerId));
    const ownedByMembers = new Set(members.flatMap((m) => m.owned));
    // Who ran what in the last generation, as every member was told (a new leader knows too).
    const previous = this.assignment;
    const lostUntil = new Map<WorkUnit, number>();
    for (const unit of units) {
      const waiting = previous?.lost[unit];
      const owner = previous?.owners[unit] ?? waiting?.workerId;
      const { connector, task } = parseUnit(unit);
      const status =
        task === null ? this.statusStore.connector(connector) : this.statusStore.task(connector, task);
      // A worker that left cleanly marked its units UNASSIGNED: they move at once.
      const leftCleanly = status?.state === 'UNASSIGNED' && status.worker_id === owner;
      const vanished =
        owner !== undefined && !present.has(owner) && !ownedByMembers.has(unit) && !leftCleanly;
      if (vanished) lostUntil.set(unit, waiting?.until ?? now + delay);
    }
    const plan = planAssignment({ members, units, lostUntil, now });
    this.lastUnits = units.join('\n');
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    if (plan.nextRebalanceAt !== null) {
      this.deps.logger.info('units of a vanished worker wait for it (scheduled.rebalance.max.delay.ms)', {
        units: plan.delayed,
        untilMs: plan.nextRebalanceAt - now,
      });
      this.delayTimer = setTimeout(() => this.group?.requestRebalance(), plan.nextRebalanceAt - now + 50);
      this.delayTimer.unref();
    }
    // Above every status written too: a cluster that starts again (members at 0) must not
    // write statuses the status topic's older generations would make look stale.
    const generation =
      Math.max(this.statusStore.highestGeneration(), ...members.map((m) => m.generation)) + 1;
    const cluster = [...members]
      .map((m) => ({ workerId: m.workerId, url: m.url }))
      .sort((x, y) => x.workerId.localeCompare(y.workerId));
    const owners: Record<WorkUnit, string> = {};
    for (const [workerId, assigned] of plan.assigned) for (const unit of assigned) owners[unit] = workerId;
    const lost: Record<WorkUnit, { workerId: string; until: number }> = {};
    for (const unit of plan.delayed) {
      lost[unit] = {
        workerId: previous?.owners[unit] ?? previous?.lost[unit]?.workerId ?? '',
        until: lostUntil.get(unit)!,
      };
    }
    const leader = cluster.find((m) => m.workerId === this.self.workerId) ?? this.self;
    return new Map(
      members.map((m) => [
        m.memberId,
        { generation, leader, members: cluster, owners, lost, assigned: plan.assigned.get(m.workerId) ?? [] },
      ]),
    );
  }

  private async applyAssignment(assignment: GroupAssignment): Promise<void> {
    if (this.stopping) return;
    const previous = new Set(this.ownedUnits());
    this.assignment = assignment;
    if (this.rebalanceStartedAt !== null) {
      recordRebalance((Date.now() - this.rebalanceStartedAt) / 1000);
      this.rebalanceStartedAt = null;
    }
    recordClusterView(this.cluster());
    const assigned = new Set(assignment.assigned);
    const names = new Set<string>();
    for (const unit of [...previous, ...assigned]) names.add(parseUnit(unit).connector);
    await Promise.all([...names].map((name) => this.reconcile(name)));
    this.resolveFirstAssignment();
    // Units given up for another worker: that worker gets them in the next rebalance.
    const existing = new Set(this.allUnits());
    if ([...previous].some((u) => !assigned.has(u) && existing.has(u))) this.group?.requestRebalance();
  }

  private rebalanceStarted(): void {
    this.rebalanceStartedAt ??= Date.now();
    recordClusterView(this.cluster());
  }

  /** The coordinator may have given this worker's units to others: stop them all. */
  private async sessionLost(): Promise<void> {
    this.rebalanceStarted();
    const units = this.ownedUnits();
    this.assignment = this.assignment && { ...this.assignment, assigned: [] };
    await Promise.all(units.map((u) => this.stopUnit(u)));
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
      worker_id: this.self.workerId,
      generation: this.assignment?.generation ?? 0,
      ...(error ? { trace: maskSecrets(describeError(error)) } : {}),
    };
    // Stale (another worker runs it in a newer generation): neither told nor written.
    if (!this.statusStore.supersedes(name, task, status)) return;
    const key = statusKey(name, task);
    const sequence = ++this.statusSequence;
    this.latestStatus.set(key, sequence);
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
        const stored =
          task === null
            ? await this.statusStore.putConnector(name, status)
            : await this.statusStore.putTask(name, task, status);
        if (!stored || this.latestStatus.get(key) !== sequence) return;
        if (task === null) recordConnectorState(name, state);
        else recordTaskState(name, task, state);
        return;
      } catch (writeError) {
        const superseded = this.latestStatus.get(key) !== sequence;
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
    if (!status) return { state: 'UNASSIGNED', worker_id: this.self.workerId };
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

/** Runs `work` after every earlier entry of `chains` under the same key. */
function chain<T>(chains: Map<string, Promise<unknown>>, key: string, work: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  chains.set(key, next);
  void next
    .catch(() => undefined)
    .finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  return next;
}

/** The key of a connector's (task null) or task's latest status write. */
function statusKey(connector: string, task: number | null): string {
  return `${connector}/${task ?? 'connector'}`;
}
