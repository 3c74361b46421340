import { UncapturedTables } from '../../runtime/cdc/uncaptured-tables.js';
import type pg from 'pg';
import {
  RetriableError,
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
import { replicationLagBytes } from './metrics.js';
import { preflightProblems } from './preflight.js';
import { RecordBatcher } from './record-batcher.js';
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

/** How often the replication lag metric is refreshed. */
const lagRefreshMs = 10_000;
/** Reconnect backoff after a lost replication connection: 1 s doubling up to 30 s. */
const maxBackoffMs = 30_000;

/**
 * The PostgreSQL source task: preflight checks, publication and slot, the snapshot the
 * snapshot.mode asks for, then pgoutput streaming until stopped. Offsets committed by the
 * runtime move the slot's confirmed_flush_lsn; nothing else does.
 */
export class PostgresSourceTask implements SourceTask {
  private options!: PostgresOptions;
  private stream: ReplicationStream | null = null;
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
      const batcher = new RecordBatcher(context, options.maxBatchSize);

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
      void this.refreshLag(admin, context.connectorName);
      timers.push(
        setInterval(() => this.stream?.sendStatus(this.confirmed), options.statusUpdateIntervalMs),
        setInterval(() => void this.refreshLag(admin, context.connectorName), lagRefreshMs),
      );
      await this.streamChanges(admin, context, registry, schemaOptions, records, batcher, start);
    } catch (error) {
      // A lost server (restart, network) is worth retrying: the runtime restarts the task
      // from its committed offsets after a backoff.
      if (!(error instanceof RetriableError) && isConnectionLoss(error)) {
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
    batcher: RecordBatcher,
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
    batcher: RecordBatcher,
    start: StreamPosition,
  ): Promise<void> {
    const options = this.options;
    let resume = start;
    let backoff = 1000;
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
        this.partition,
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
        await reader.run(stream, (reply) => stream.sendStatus(this.confirmed, reply));
        backoff = 1000;
        if (!context.signal.aborted)
          throw new RetriableError('the replication stream ended without an error; reconnecting');
      } catch (error) {
        const failure = classifyReplicationError(error, options.slotName);
        resume = reader.emittedPosition;
        if (context.signal.aborted) return;
        if (!isConnectionLoss(error) && !(failure instanceof RetriableError)) throw failure;
        // The catalog connection may be the one that was lost: then the whole task restarts.
        await admin.query('SELECT 1').catch((probe: Error) => {
          throw new RetriableError(`lost the connection to PostgreSQL: ${probe.message}`, { cause: probe });
        });
        context.logger.warn('replication connection lost; reconnecting from the last emitted position', {
          error: failure.message,
          retryInMs: backoff,
        });
        await sleep(backoff, context.signal);
        backoff = Math.min(maxBackoffMs, backoff * 2);
      } finally {
        await stream.close();
        this.stream = null;
      }
    }
  }

  private async refreshLag(admin: pg.Client, connector: string): Promise<void> {
    try {
      const row = (
        await admin.query<{ lag: string | null }>(
          'SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint AS lag FROM pg_replication_slots WHERE slot_name = $1',
          [this.options.slotName],
        )
      ).rows[0];
      if (row?.lag != null) replicationLagBytes.set({ connector }, Number(row.lag));
    } catch {
      // The admin connection is checked by the streaming loop; a missed sample is harmless.
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
      const flush = fromSourceOffset(entry.offset).position.lsnFlush;
      if (flush !== null && flush > highest) highest = flush;
    }
    if (highest > this.confirmed) {
      this.confirmed = highest;
      this.stream?.sendStatus(highest);
    }
  }
}

function isConnectionLoss(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e.code === '57P01' || // admin_shutdown: pg_terminate_backend or a server restart
    e.code === '57P02' ||
    e.code === '57P03' ||
    e.code === '08006' ||
    e.code === 'ECONNRESET' ||
    e.code === 'ECONNREFUSED' ||
    /Connection terminated|terminating connection|ECONNRESET|socket/i.test(e.message ?? '')
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
