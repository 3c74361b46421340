import type pg from 'pg';
import {
  CdcCoordinator,
  IncrementalSnapshot,
  Snapshotter,
  SnapshotProgressReporter,
  taskEventDispatcher,
  UncapturedTables,
  type CdcSource,
  type EventDispatcher,
  type IncrementalSnapshotStart,
  type LostPosition,
  type OffsetCodec,
  type SnapshotRequest,
  type SnapshotSource,
  type StoredPosition,
  type StreamingSource,
} from '../../runtime/cdc/index.js';
import {
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
import { ChangeStreamReader } from './stream-reader.js';
import { readPostgresOptions, tableFilterOf, type PostgresOptions } from './config.js';
import { clientConfig, connect } from './connection.js';
import { formatLsn, parseLsn } from './lsn.js';
import {
  fromSourceOffset,
  initialPosition,
  sourcePartition,
  toSourceOffset,
  type LsnOffset,
  type SnapshotProgress,
  type StreamPosition,
} from './lsn-offset.js';
import { incrementalTableReader, writeWatermark } from './incremental-snapshot-reader.js';
import { preflightProblems } from './preflight.js';
import { ReplicationStream } from './replication-stream.js';
import {
  checkSlot,
  classifyReplicationError,
  dropSlot,
  ensurePublication,
  slotState,
  type SlotState,
} from './slot-and-publication.js';
import { ParallelSnapshotReader } from './parallel-snapshot.js';
import { SnapshotReader, type SnapshotPlan, type SnapshotReaderDeps } from './snapshot.js';
import { closeSnapshotConnections, openSnapshotTransactions } from './snapshot-transactions.js';
import type { TableEventOptions } from './table-events.js';
import { TypeRegistry } from './type-registry.js';

/** The snapshot fields of every streamed record's offset. */
const completedSnapshot: SnapshotProgress = {
  inProgress: false,
  completed: true,
  table: null,
  lastKey: null,
};

/**
 * The PostgreSQL source task: preflight checks, publication and slot, then the CDC
 * coordinator runs the snapshot the snapshot.mode asks for and pgoutput streaming until
 * stopped. Offsets committed by the runtime move the slot's confirmed_flush_lsn; nothing
 * else does.
 */
export class PostgresSourceTask implements SourceTask {
  private capture: PostgresCapture | null = null;

  async run(taskContext: SourceTaskContext): Promise<void> {
    const uncaptured = new UncapturedTables(taskContext);
    const context = uncaptured.context;
    const options = readPostgresOptions(context.config);
    const filter = tableFilterOf(options);
    const schemaOptions: TableEventOptions = { ...options, filter, logger: context.logger, uncaptured };
    const admin = await connectOrRetry(() => connect(options, `siphon-${context.connectorName}`));
    let capture: PostgresCapture | null = null;
    try {
      const tables = await capturedTables(admin, filter);
      const problems = await preflightProblems(admin, options, tables);
      if (problems.length > 0) throw new SiphonError(problems.join('; '), false);
      await ensurePublication(admin, options, tables);
      const registry = new TypeRegistry(admin);
      await registry.load();
      capture = new PostgresCapture(options, context, admin, tables, registry, schemaOptions);
      this.capture = capture;
      await capture.readSlot();
      const source: CdcSource<LsnOffset> = {
        offsets: lsnOffsets(options.topicPrefix),
        storedPosition: capture,
        snapshot: capture,
        streaming: capture,
      };
      await new CdcCoordinator(context, new Snapshotter(options.snapshotMode), source).run();
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
      await capture?.close();
      if (options.slotDropOnStop && context.signal.aborted) {
        await dropSlot(admin, options.slotName).catch((error: Error) =>
          context.logger.warn('could not drop the replication slot', { error: error.message }),
        );
      }
      await admin.end().catch(() => undefined);
    }
  }

  async offsetsCommitted(committed: readonly CommittedSourceOffset[]): Promise<void> {
    this.capture?.offsetsCommitted(committed);
  }
}

async function connectOrRetry(open: () => Promise<pg.Client>): Promise<pg.Client> {
  try {
    return await open();
  } catch (error) {
    throw new RetriableError(`cannot connect to PostgreSQL: ${(error as Error).message}`, { cause: error });
  }
}

function lsnOffsets(topicPrefix: string): OffsetCodec<LsnOffset> {
  return {
    partition: sourcePartition(topicPrefix),
    decode: fromSourceOffset,
    snapshotState: ({ snapshot }) =>
      snapshot.inProgress && !snapshot.completed ? 'in-progress' : 'completed',
  };
}

/**
 * What is PostgreSQL's own in the pipeline: the slot (its state, its creation with an
 * exported snapshot, the position it may confirm), the snapshot transaction, and the
 * replication stream's sessions.
 */
class PostgresCapture
  implements StoredPosition<LsnOffset>, SnapshotSource<LsnOffset>, StreamingSource<LsnOffset>
{
  private readonly partition: SourcePartition;
  private readonly records: ChangeRecords;
  private readonly batcher: EventDispatcher;
  private slot: SlotState | null = null;
  private replication: ReplicationStream | null = null;
  private reader: ChangeStreamReader | null = null;
  /** Created once streaming is prepared; lives across stream sessions (a reconnect keeps its chunk). */
  private incremental: IncrementalSnapshot | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private emitted: LsnOffset = { position: initialPosition, snapshot: completedSnapshot };
  /** The last offset stored in Kafka, as JSON (compared with the batcher's last emitted one). */
  private lastCommittedOffset: string | null = null;
  /** Highest LSN the runtime committed and the slot may confirm. */
  private confirmed: bigint = 0n;

  constructor(
    private readonly options: PostgresOptions,
    private readonly context: SourceTaskContext,
    private readonly admin: pg.Client,
    private readonly tables: readonly TableRef[],
    private readonly registry: TypeRegistry,
    private readonly schemaOptions: TableEventOptions,
  ) {
    this.partition = sourcePartition(options.topicPrefix);
    this.records = new ChangeRecords(options.topicPrefix, options.dbname, this.partition);
    this.batcher = taskEventDispatcher(options, context, this.partition);
  }

  /** Reads the slot's state; an existing slot must be this database's, pgoutput's, and free. */
  async readSlot(): Promise<void> {
    this.slot = await slotState(this.admin, this.options.slotName);
    if (this.slot !== null) checkSlot(this.slot, this.options);
  }

  async lost(): Promise<LostPosition | null> {
    if (this.slot !== null) return null;
    return {
      problem: `replication slot "${this.options.slotName}" is gone but offsets exist: changes made since were lost`,
      otherFix: 'restore the slot',
      canStreamFromNow: true,
    };
  }

  /**
   * A new slot exports the snapshot its stream starts from: no gap, no duplicate. An
   * existing slot is kept (as Debezium does): a crashed first run may already have
   * published changes past the slot's confirmed position, and only the slot can still
   * deliver what followed them (a delete of a row the topic has). The snapshot then
   * reads a later state, and the stream replays from the slot's position after it:
   * at-least-once for that window, converging per key. An interrupted snapshot resumes
   * after its last committed row only with the slot it started with.
   */
  async snapshot(request: SnapshotRequest<LsnOffset>): Promise<LsnOffset | null> {
    // PostgreSQL has no structures to record: relation messages describe the tables.
    if (!request.data) return { position: initialPosition, snapshot: completedSnapshot };
    const { options, context } = this;
    const resumed = this.slot === null ? null : request.resumeFrom;
    let exported: string | null = null;
    let replication: ReplicationStream | null = null;
    let consistentPoint: bigint | null = null;
    if (request.streamingFollows && resumed === null && this.slot === null) {
      replication = await this.openReplication('slot');
      const created = (
        await replication.command<{ consistent_point: string; snapshot_name: string }>(
          `CREATE_REPLICATION_SLOT "${options.slotName}" LOGICAL pgoutput EXPORT_SNAPSHOT`,
        )
      )[0];
      if (created === undefined) throw new SiphonError('CREATE_REPLICATION_SLOT returned nothing', false);
      exported = created.snapshot_name;
      consistentPoint = parseLsn(created.consistent_point);
    }
    const threads = options.snapshotMaxThreads;
    let clients: pg.Client[] = [];
    try {
      clients = await openSnapshotTransactions(
        (reader) =>
          connect(options, `siphon-${context.connectorName}-snapshot${threads > 1 ? `-${reader}` : ''}`),
        threads,
        exported,
      );
      // The exported snapshot lives while the creating connection is open; imported by every reader, it is no longer needed.
      await replication?.close();
      this.slot = await slotState(this.admin, options.slotName);
      this.confirmed = this.slot?.confirmedFlushLsn ?? 0n;
      const streamFrom = consistentPoint ?? this.slot?.confirmedFlushLsn ?? null;
      const position: StreamPosition =
        resumed !== null ? resumed.position : { ...initialPosition, lsn: streamFrom, lsnFlush: streamFrom };
      if (resumed === null && consistentPoint === null && this.slot !== null) {
        context.logger.info(
          'snapshotting with the existing slot: changes after its confirmed position are emitted again after the snapshot',
          { slot: options.slotName },
        );
      }
      const plan: SnapshotPlan = {
        tables: this.tables,
        position,
        resumeTable: resumed?.snapshot.table ?? null,
        resumeKey: resumed?.snapshot.lastKey ?? null,
        resumePages: resumed?.snapshot.pagesDone ?? null,
      };
      if (resumed !== null) {
        context.logger.info(
          'resuming the interrupted snapshot after the last committed row; rows changed since may be emitted again',
          { table: plan.resumeTable },
        );
      }
      const progress = new SnapshotProgressReporter(context, this.batcher);
      const deps: SnapshotReaderDeps = {
        context,
        registry: this.registry,
        schemaOptions: this.schemaOptions,
        records: this.records,
        dispatcher: this.batcher,
        fetchSize: options.snapshotFetchSize,
        progress,
      };
      const reader =
        threads > 1 ? new ParallelSnapshotReader(clients, deps) : new SnapshotReader(clients[0]!, deps);
      const finished = await reader.run(plan);
      for (const client of clients) await client.query('COMMIT');
      progress.finished(finished ? 'COMPLETED' : 'ABORTED', {
        phase: finished ? 'snapshot completed' : 'snapshot stopped',
        tables: this.tables.length,
      });
      // The COMPLETED or ABORTED notification goes out now, not with the first streamed change.
      await this.batcher.flush();
      return finished ? { position, snapshot: completedSnapshot } : null;
    } finally {
      await replication?.close();
      await closeSnapshotConnections(clients);
    }
  }

  /** Creates the slot when no snapshot did, and starts confirming positions to it. */
  async prepare(from: LsnOffset): Promise<void> {
    if (this.slot === null) {
      await this.createSlotWithoutSnapshot();
      this.slot = await slotState(this.admin, this.options.slotName);
    }
    const slotConfirmed = this.slot?.confirmedFlushLsn ?? 0n;
    if (slotConfirmed > this.confirmed) this.confirmed = slotConfirmed;
    this.emitted = from;
    this.incremental = this.incrementalSnapshot({
      context: from.incremental,
      capturedTables: from.capturedTables,
      capturing: this.tables.map((t) => `${t.schema}.${t.table}`),
    });
    // The slot's lag metrics come from the worker's retention guardian (slot-retention.ts),
    // which measures whatever the task's state.
    this.statusTimer = setInterval(
      () => this.replication?.sendStatus(this.flushable()),
      this.options.statusUpdateIntervalMs,
    );
    this.context.reportProgress({ phase: 'streaming' });
  }

  get emittedPosition(): LsnOffset {
    return this.emitted;
  }

  async stream(from: LsnOffset): Promise<void> {
    const { options, context } = this;
    const resume = from.position;
    const reader = new ChangeStreamReader(
      options,
      context,
      this.admin,
      this.registry,
      this.schemaOptions,
      this.records,
      this.batcher,
      resume,
      this.requiredIncremental(),
    );
    const stream = new ReplicationStream(clientConfig(options, `siphon-${context.connectorName}-stream`));
    this.replication = stream;
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
    } catch (error) {
      throw classifyReplicationError(error, options.slotName);
    } finally {
      const emitted = reader.emittedPosition;
      if (emitted !== this.emitted.position)
        this.emitted = { position: emitted, snapshot: completedSnapshot };
      this.reader = null;
      await stream.close();
      this.replication = null;
    }
  }

  /** The catalog connection may be the one that was lost: then the whole task restarts. */
  async checkBeforeReconnect(): Promise<void> {
    await this.admin.query('SELECT 1').catch((probe: Error) => {
      throw new RetriableError(`lost the connection to PostgreSQL: ${probe.message}`, { cause: probe });
    });
  }

  offsetsCommitted(committed: readonly CommittedSourceOffset[]): void {
    let highest = this.confirmed;
    for (const entry of committed) {
      if (entry.partition['server'] !== this.partition['server']) continue;
      this.lastCommittedOffset = JSON.stringify(entry.offset);
      const flush = fromSourceOffset(entry.offset).position.lsnFlush;
      if (flush !== null && flush > highest) highest = flush;
    }
    this.confirmed = highest;
    this.replication?.sendStatus(this.flushable());
  }

  async close(): Promise<void> {
    if (this.statusTimer !== null) clearInterval(this.statusTimer);
    this.statusTimer = null;
    await this.replication?.close();
    this.replication = null;
  }

  /** The LSN to confirm to the server: the committed one, or the idle WAL end past it. */
  private flushable(): bigint {
    const batcher = this.batcher;
    const everythingCommitted =
      batcher.lastOffset === null || batcher.lastOffset === this.lastCommittedOffset;
    return this.reader?.confirmable(this.confirmed, everythingCommitted) ?? this.confirmed;
  }

  /** How far the stream got: the open session's position, or the last session's. */
  private streamedPosition(): StreamPosition {
    return this.reader?.emittedPosition ?? this.emitted.position;
  }

  private requiredIncremental(): IncrementalSnapshot {
    if (this.incremental === null) throw new SiphonError('streaming was not prepared', false);
    return this.incremental;
  }

  /** Signals and incremental snapshots, with their reads and watermarks on the catalog connection. */
  private incrementalSnapshot(start: IncrementalSnapshotStart): IncrementalSnapshot {
    const { options, context } = this;
    return new IncrementalSnapshot(
      options,
      {
        table: (dataCollection, surrogateKey) =>
          incrementalTableReader(
            this.admin,
            this.registry,
            this.schemaOptions,
            this.records,
            context,
            () => this.streamedPosition(),
            dataCollection,
            surrogateKey,
          ),
        writeWatermark: async (kind, id, data) => {
          const signalTable = options.signalDataCollection;
          if (signalTable === null) throw new SiphonError('no signal.data.collection for watermarks', false);
          await writeWatermark(this.admin, signalTable, kind, id, data);
        },
        offsetAt: (fields) =>
          toSourceOffset({ position: this.streamedPosition(), snapshot: completedSnapshot, ...fields }),
      },
      this.batcher,
      context,
      start,
    );
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
}
