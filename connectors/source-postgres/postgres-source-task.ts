import { UncapturedTables } from '../../runtime/cdc/uncaptured-tables.js';
import { taskEventDispatcher, type EventDispatcher } from '../../runtime/cdc/index.js';
import type pg from 'pg';
import {
  backoff,
  isConnectionLost,
  RetriableError,
  SiphonError,
  type CommittedSourceOffset,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/plugin/index.js';
import type { SourcePartition } from '../../runtime/record/index.js';
import { capturedTables, type TableRef } from './catalog.js';
import { ChangeRecords } from './change-records.js';
import { ChangeStreamReader } from './change-stream.js';
import { readPostgresOptions, tableFilterOf, type PostgresOptions } from './config.js';
import { clientConfig, connect } from './connection.js';
import { formatLsn, parseLsn } from './lsn.js';
import {
  fromSourceOffset,
  initialPosition,
  sourcePartition,
  type LsnOffset,
  type StreamPosition,
} from './lsn-offset.js';
import { preflightProblems } from './preflight.js';
import { ReplicationStream } from './replication-stream.js';
import {
  checkSlot,
  classifyReplicationError,
  dropSlot,
  ensurePublication,
  slotState,
} from './slot-and-publication.js';
import { SnapshotReader, type SnapshotPlan } from './snapshot.js';
import type { TableSchemaOptions } from './table-schema.js';
import { TypeRegistry } from './type-registry.js';

/** Reconnect backoff after a lost replication connection: 1 s doubling up to 30 s. */
const reconnectPolicy = { initialDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * The PostgreSQL source task: preflight checks, publication and slot, the snapshot the
 * snapshot.mode asks for, then pgoutput streaming until stopped. Offsets committed by the
 * runtime move the slot's confirmed_flush_lsn; nothing else does.
 */
export class PostgresSourceTask implements SourceTask {
  private options!: PostgresOptions;
  private stream: ReplicationStream | null = null;
  private reader: ChangeStreamReader | null = null;
  private batcher: EventDispatcher | null = null;
  /** The last offset stored in Kafka, as JSON (compared with the batcher's last emitted one). */
  private lastCommittedOffset: string | null = null;
  /** Highest LSN the runtime committed and the slot may confirm. */
  private confirmed: bigint = 0n;
  private partition!: SourcePartition;

  async run(taskContext: SourceTaskContext): Promise<void> {
    const uncaptured = new UncapturedTables(taskContext);
    const context = uncaptured.context;
    this.options = readPostgresOptions(context.config);
    const options = this.options;
    this.partition = sourcePartition(options.topicPrefix);
    const filter = tableFilterOf(options);
    const schemaOptions: TableSchemaOptions = { ...options, filter, logger: context.logger, uncaptured };
    const admin = await this.connectOrRetry(() => connect(options, `siphon-${context.connectorName}`));
    const timers: NodeJS.Timeout[] = [];
    try {
      const tables = await capturedTables(admin, filter);
      const problems = await preflightProblems(admin, options, tables);
      if (problems.length > 0) throw new Error(problems.join('; '));
      await ensurePublication(admin, options, tables);
      const registry = new TypeRegistry(admin);
      await registry.load();
      const committed = await context.committedOffset(this.partition);
      const offset = committed === null ? null : fromSourceOffset(committed);
      const records = new ChangeRecords(options.topicPrefix, options.dbname, this.partition);
      const batcher = taskEventDispatcher(options, context, this.partition);
      this.batcher = batcher;

      const start = await this.prepare(
        admin,
        context,
        offset,
        tables,
        registry,
        schemaOptions,
        records,
        batcher,
      );
      if (start === null) return;
      // The slot's lag metrics come from the worker's retention guardian (slot-retention.ts),
      // which measures whatever the task's state.
      timers.push(
        setInterval(() => this.stream?.sendStatus(this.flushable()), options.statusUpdateIntervalMs),
      );
      await this.streamChanges(admin, context, registry, schemaOptions, records, batcher, start);
    } catch (error) {
      // A lost server (restart, network) is worth retrying: the runtime restarts the task
      // from its committed offsets after a backoff.
      if (!(error instanceof RetriableError) && isConnectionLost(error)) {
        throw new RetriableError(`lost the connection to PostgreSQL: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      for (const timer of timers) clearInterval(timer);
      await this.stream?.close();
      this.stream = null;
      if (options.slotDropOnStop && context.signal.aborted) {
        await dropSlot(admin, options.slotName).catch((error: Error) =>
          context.logger.warn('could not drop the replication slot', { error: error.message }),
        );
      }
      await admin.end().catch(() => undefined);
    }
  }

  /**
   * Creates the slot and runs the snapshot as snapshot.mode and the stored offset say.
   * Returns the position streaming resumes from, or null when the task is done (initial_only, stopped).
   */
  private async prepare(
    admin: pg.Client,
    context: SourceTaskContext,
    offset: LsnOffset | null,
    tables: readonly TableRef[],
    registry: TypeRegistry,
    schemaOptions: TableSchemaOptions,
    records: ChangeRecords,
    batcher: EventDispatcher,
  ): Promise<StreamPosition | null> {
    const options = this.options;
    const mode = options.snapshotMode;
    let slot = await slotState(admin, options.slotName);
    if (slot !== null) checkSlot(slot, options);
    const snapshotDone = offset !== null && (offset.snapshot.completed || !offset.snapshot.inProgress);

    if (mode === 'initial_only' && snapshotDone) return null;
    if (mode === 'initial' && offset !== null && slot === null) {
      throw new Error(
        `replication slot "${options.slotName}" is gone but offsets exist: changes made since were lost. Set snapshot.mode=when_needed to take a new snapshot, or restore the slot`,
      );
    }
    const wantSnapshot =
      mode === 'always' ||
      ((mode === 'initial' || mode === 'initial_only') && !snapshotDone) ||
      (mode === 'when_needed' && (!snapshotDone || slot === null));

    if (!wantSnapshot) {
      if (slot === null) {
        await this.createSlotWithoutSnapshot();
        slot = await slotState(admin, options.slotName);
      }
      this.confirmed = slot?.confirmedFlushLsn ?? 0n;
      return offset?.position ?? initialPosition;
    }

    // Resume an interrupted snapshot (same slot) after its last committed row.
    const resuming = mode !== 'always' && offset !== null && offset.snapshot.inProgress && slot !== null;
    let exported: string | null = null;
    let replication: ReplicationStream | null = null;
    let consistentPoint: bigint | null = null;
    // A new slot exports the snapshot its stream starts from: no gap, no duplicate. An
    // existing slot is kept (as Debezium does): a crashed first run may already have
    // published changes past the slot's confirmed position, and only the slot can still
    // deliver what followed them (a delete of a row the topic has). The snapshot then
    // reads a later state, and the stream replays from the slot's position after it:
    // at-least-once for that window, converging per key.
    if (mode !== 'initial_only' && !resuming && slot === null) {
      replication = await this.openReplication('slot');
      const created = (
        await replication.command<{ consistent_point: string; snapshot_name: string }>(
          `CREATE_REPLICATION_SLOT "${options.slotName}" LOGICAL pgoutput EXPORT_SNAPSHOT`,
        )
      )[0];
      if (created === undefined) throw new Error('CREATE_REPLICATION_SLOT returned nothing');
      exported = created.snapshot_name;
      consistentPoint = parseLsn(created.consistent_point);
    }
    const snapshotClient = await connect(options, `siphon-${context.connectorName}-snapshot`);
    try {
      await snapshotClient.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (exported !== null)
        await snapshotClient.query(`SET TRANSACTION SNAPSHOT '${exported.replaceAll("'", "''")}'`);
      // The exported snapshot lives while the creating connection is open; imported, it is no longer needed.
      await replication?.close();
      slot = await slotState(admin, options.slotName);
      this.confirmed = slot?.confirmedFlushLsn ?? 0n;
      const streamFrom = consistentPoint ?? slot?.confirmedFlushLsn ?? null;
      const position: StreamPosition =
        resuming && offset !== null
          ? offset.position
          : { ...initialPosition, lsn: streamFrom, lsnFlush: streamFrom };
      if (!resuming && consistentPoint === null && slot !== null) {
        context.logger.info(
          'snapshotting with the existing slot: changes after its confirmed position are emitted again after the snapshot',
          { slot: options.slotName },
        );
      }
      const plan: SnapshotPlan = {
        tables,
        position,
        resumeTable: resuming ? (offset?.snapshot.table ?? null) : null,
        resumeKey: resuming ? (offset?.snapshot.lastKey ?? null) : null,
      };
      if (resuming) {
        context.logger.info(
          'resuming the interrupted snapshot after the last committed row; rows changed since may be emitted again',
          {
            table: plan.resumeTable,
          },
        );
      }
      const reader = new SnapshotReader(
        snapshotClient,
        context,
        registry,
        schemaOptions,
        records,
        batcher,
        options.snapshotFetchSize,
      );
      const finished = await reader.run(plan);
      await snapshotClient.query('COMMIT');
      context.reportProgress({
        phase: finished ? 'snapshot completed' : 'snapshot stopped',
        tables: tables.length,
      });
      if (!finished || mode === 'initial_only') return null;
      return position;
    } finally {
      await replication?.close();
      await snapshotClient.end().catch(() => undefined);
    }
  }

  private async openReplication(purpose: string): Promise<ReplicationStream> {
    const replication = new ReplicationStream(clientConfig(this.options, `siphon-${purpose}`));
    await replication.connect();
    return replication;
  }

  private async createSlotWithoutSnapshot(): Promise<void> {
    const replication = await this.openReplication('slot');
    try {
      await replication.command(
        `CREATE_REPLICATION_SLOT "${this.options.slotName}" LOGICAL pgoutput NOEXPORT_SNAPSHOT`,
      );
    } finally {
      await replication.close();
    }
  }

  /** Streams until stopped, reconnecting with backoff when the replication connection is lost. */
  private async streamChanges(
    admin: pg.Client,
    context: SourceTaskContext,
    registry: TypeRegistry,
    schemaOptions: TableSchemaOptions,
    records: ChangeRecords,
    batcher: EventDispatcher,
    start: StreamPosition,
  ): Promise<void> {
    const options = this.options;
    let resume = start;
    const maxRetries = Number(context.config['errors.max.retries'] ?? -1);
    const reconnects = backoff({ ...reconnectPolicy, maxRetries }, context.signal);
    context.reportProgress({ phase: 'streaming' });
    while (!context.signal.aborted) {
      const reader = new ChangeStreamReader(
        options,
        context,
        admin,
        registry,
        schemaOptions,
        records,
        batcher,
        resume,
      );
      const stream = new ReplicationStream(clientConfig(options, `siphon-${context.connectorName}-stream`));
      this.stream = stream;
      try {
        await stream.connect();
        const startLsn =
          resume.lsnFlush !== null && resume.lsnFlush > this.confirmed ? resume.lsnFlush : this.confirmed;
        const pluginOptions = [
          `proto_version '${options.protoVersion}'`,
          `publication_names '${options.publicationName.replaceAll("'", "''")}'`,
          `messages 'true'`,
          ...(options.pgoutputStreaming ? [`streaming 'on'`] : []),
        ];
        stream.start(options.slotName, formatLsn(startLsn), pluginOptions);
        this.reader = reader;
        await reader.run(stream, (reply) => stream.sendStatus(this.flushable(), reply));
        reconnects.reset();
        if (!context.signal.aborted)
          throw new RetriableError('the replication stream ended without an error; reconnecting');
      } catch (error) {
        const failure = classifyReplicationError(error, options.slotName);
        // errors.max.retries counts failures in a row: a session that emitted starts it again.
        if (reader.emittedPosition !== resume) reconnects.reset();
        resume = reader.emittedPosition;
        if (context.signal.aborted) return;
        if (!isConnectionLost(error) && !(failure instanceof RetriableError)) throw failure;
        // The catalog connection may be the one that was lost: then the whole task restarts.
        await admin.query('SELECT 1').catch((probe: Error) => {
          throw new RetriableError(`lost the connection to PostgreSQL: ${probe.message}`, { cause: probe });
        });
        const again = await reconnects.failed((attempt, delayMs) => {
          context.logger.warn('replication connection lost; reconnecting from the last emitted position', {
            error: failure.message,
            attempt,
            retryInMs: delayMs,
          });
          context.reportRetrying?.(failure, attempt);
        });
        if (context.signal.aborted) return;
        if (!again) {
          throw new SiphonError(
            `gave up after ${reconnects.attempts} attempts (errors.max.retries=${maxRetries}): ${failure.message}`,
            false,
            { cause: failure },
          );
        }
      } finally {
        this.reader = null;
        await stream.close();
        this.stream = null;
      }
    }
  }

  private async connectOrRetry(open: () => Promise<pg.Client>): Promise<pg.Client> {
    try {
      return await open();
    } catch (error) {
      throw new RetriableError(`cannot connect to PostgreSQL: ${(error as Error).message}`, { cause: error });
    }
  }

  async offsetsCommitted(committed: readonly CommittedSourceOffset[]): Promise<void> {
    let highest = this.confirmed;
    for (const entry of committed) {
      if (entry.partition['server'] !== this.partition?.['server']) continue;
      this.lastCommittedOffset = JSON.stringify(entry.offset);
      const flush = fromSourceOffset(entry.offset).position.lsnFlush;
      if (flush !== null && flush > highest) highest = flush;
    }
    this.confirmed = highest;
    this.stream?.sendStatus(this.flushable());
  }

  /** The LSN to confirm to the server: the committed one, or the idle WAL end past it. */
  private flushable(): bigint {
    const batcher = this.batcher;
    const everythingCommitted =
      batcher === null || batcher.lastOffset === null || batcher.lastOffset === this.lastCommittedOffset;
    return this.reader?.confirmable(this.confirmed, everythingCommitted) ?? this.confirmed;
  }
}
