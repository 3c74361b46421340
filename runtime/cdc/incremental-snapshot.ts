import { randomUUID } from 'node:crypto';
import { ConfigError, type SourceSignal, type SourceTaskContext } from '../plugin/index.js';
import type { SourceOffset, SourceRecord } from '../record/index.js';
import { CdcMetrics } from './cdc-metrics.js';
import { SnapshotProgressReporter } from './snapshot-progress.js';
import { BlockingSnapshot, newBlockingContext, type BlockingSnapshotContext } from './blocking-snapshot.js';
import {
  decodeCapturedTables,
  encodeCapturedTables,
  newlyCapturedTables,
  newTablesNeedSignalTable,
  type NewTablesSnapshotMode,
} from './captured-tables.js';
import type { SignalChannel } from './cdc-config.js';
import type { EventDispatcher } from './event-dispatcher.js';
import {
  decodeBlockingSnapshotOf,
  decodeIncrementalContext,
  encodeIncrementalContext,
  type IncrementalSnapshotContext,
} from './incremental-snapshot-context.js';
import {
  ChunkWindow,
  watermarkId,
  watermarkKinds,
  type ChunkKey,
  type WatermarkKind,
} from './incremental-snapshot-window.js';

/** Why a table without a key cannot be read in chunks, with the fix (what `IncrementalSnapshotPorts.table` answers). */
export const noChunkKeyReason =
  'it has no primary key and message.key.columns names no key for it: incremental and blocking snapshots read a table in chunks by its key; set message.key.columns (<table>:<column>[,<column>...]) to columns that identify its rows';

/**
 * The columns a table is read in chunks by: its event key (the primary key, or
 * message.key.columns), which the chunk's rows are matched with streamed changes by, or the
 * column the signal's `surrogate-key` names (found by `columnNamed`, which gives the
 * database's spelling), which must then be unique: chunks are cut at its values. A reason
 * when the table cannot be read so.
 */
export function chunkKeyColumns(
  eventKey: readonly string[],
  surrogateKey: string | null,
  columnNamed: (name: string) => string | undefined,
): readonly string[] | string {
  if (eventKey.length === 0)
    return surrogateKey === null
      ? noChunkKeyReason
      : `surrogate-key orders its chunks, but their rows are matched with streamed changes by the event key, and it has none; set message.key.columns (<table>:<column>[,<column>...])`;
  if (surrogateKey === null) return eventKey;
  const column = columnNamed(surrogateKey);
  return column === undefined ? `it has no column "${surrogateKey}" (the signal's surrogate-key)` : [column];
}

/**
 * One table as an incremental snapshot reads it (the connector's port): in chunks by its
 * `chunkKeyColumns`.
 */
export interface IncrementalTableReader {
  /** The topic of the table's change events (the chunk's rows are matched with its changes). */
  readonly topic: string;
  estimatedRows(): Promise<number>;
  /** The largest key now (with `filter`, an SQL condition), or null when no row matches. */
  maxKey(filter: string | null): Promise<ChunkKey | null>;
  /**
   * Up to `limit` rows after `after` up to and including `upTo`, in key order, as `r`
   * records with `source.snapshot` "incremental" (their offsets are set when emitted);
   * null when no row is left. `lastKey` is the key of the last row read.
   */
  readChunk(
    after: ChunkKey | null,
    upTo: ChunkKey,
    limit: number,
    filter: string | null,
  ): Promise<{ readonly records: readonly SourceRecord[]; readonly lastKey: ChunkKey } | null>;
}

/** What a connector gives the incremental snapshot, all used on its stream thread. */
export interface IncrementalSnapshotPorts {
  /**
   * The table's reader, in chunks by `chunkKeyColumns` (with the signal's `surrogate-key`,
   * null without), or why it cannot be snapshotted incrementally (no key, not captured).
   */
  table(dataCollection: string, surrogateKey: string | null): Promise<IncrementalTableReader | string>;
  /** Inserts a watermark row into the signal table (committed when this resolves). */
  writeWatermark(kind: WatermarkKind, id: string, data: string): Promise<void>;
  /** The offset of the stream's current position, carrying `fields`. */
  offsetAt(fields: IncrementalOffsetFields): SourceOffset;
}

/**
 * What the CDC kit keeps in every streaming offset besides the connector's position:
 * the running incremental snapshot's context (`incremental_snapshot`, null when none
 * runs) and the captured tables (`captured_tables`). Both go into the same offset, so
 * a table that became captured is never recorded as captured without its snapshot.
 */
export interface IncrementalOffsetFields {
  readonly incremental: string | null;
  readonly capturedTables: string;
}

export interface IncrementalSnapshotOptions {
  readonly signalDataCollection: string | null;
  readonly signalChannels: ReadonlySet<SignalChannel>;
  readonly incrementalSnapshotChunkSize: number;
  readonly snapshotNewTables: NewTablesSnapshotMode;
}

/** What a task starts from: the stored offset's CDC fields and the tables its filters capture now. */
export interface IncrementalSnapshotStart {
  /** The stored `incremental_snapshot` field: a snapshot to go on with. */
  readonly context: unknown;
  /** The stored `captured_tables` field: what the task captured before. */
  readonly capturedTables: unknown;
  /** The tables the filters capture now, by data collection name. */
  readonly capturing: readonly string[];
}

type Emitter = Pick<
  EventDispatcher,
  'changeEvent' | 'startSnapshotTable' | 'snapshotRecord' | 'endSnapshot' | 'flush' | 'notify'
>;
type TaskParts = Pick<
  SourceTaskContext,
  'logger' | 'reportProgress' | 'metrics' | 'connectorName' | 'signal'
>;

/**
 * Debezium's incremental snapshot driven by signals (`execute-snapshot` with type
 * `incremental`, `stop-snapshot`, `pause-snapshot`, `resume-snapshot`), with the watermark
 * method: on the stream thread it writes the open watermark, reads one chunk by primary
 * key, writes the close watermark; the stream then passes both watermarks, and whatever
 * of the chunk no change in between replaced is emitted at the close (`ChunkWindow`).
 * One chunk is in memory at a time. Its context goes into every offset the stream
 * builds (`contextText`), so a restarted task goes on after the last chunk emitted.
 * `execute-snapshot` with type `blocking` runs a `BlockingSnapshot`, whose context goes
 * into the same offset text, so a restarted task resumes it before streaming on.
 *
 * A start whose filters capture tables the stored offset's `captured_tables` does not
 * hold queues them as an `execute-snapshot` would when `snapshot.new.tables=incremental`.
 */
export class IncrementalSnapshot {
  private window: ChunkWindow | null = null;
  private reader: { readonly table: string; readonly port: IncrementalTableReader } | null = null;
  private estimated = 0;
  /** Tables this worker finished in the snapshot running now (for "table n of m"). */
  private tablesDone = 0;
  /** Tables found to have rows of equal keys (warned about once). */
  private readonly keysNotUnique = new Set<string>();
  private readonly metrics: CdcMetrics;
  private readonly progress: SnapshotProgressReporter;
  private context: IncrementalSnapshotContext | null;
  /** The blocking snapshot running, or restored from the offset and not finished yet. */
  private blocking: BlockingSnapshot | null;
  /**
   * The signal of the blocking snapshot restored from the offset: streamed again after the
   * restart (the offset is where the stream was when it came), it is not taken a second time.
   */
  private resumedBlockingSignal: string | null;
  private readonly captured: Set<string>;
  private capturedTables: string;
  /** The tables captured at this start that the stored offset did not record as captured. */
  readonly newTables: readonly string[];

  constructor(
    private readonly options: IncrementalSnapshotOptions,
    private readonly ports: IncrementalSnapshotPorts,
    private readonly emitter: Emitter,
    private readonly task: TaskParts,
    start: IncrementalSnapshotStart,
  ) {
    this.metrics = new CdcMetrics(task.metrics);
    this.progress = new SnapshotProgressReporter(task, emitter, 'Incremental Snapshot');
    this.captured = new Set(start.capturing);
    this.capturedTables = encodeCapturedTables(this.captured);
    this.context = decodeIncrementalContext(start.context);
    const blocking = decodeBlockingSnapshotOf(start.context);
    this.blocking = blocking === null ? null : this.blockingSnapshot(blocking);
    this.resumedBlockingSignal = blocking?.signalId ?? null;
    this.newTables = newlyCapturedTables(decodeCapturedTables(start.capturedTables), start.capturing);
    if (this.newTables.length > 0) this.newTablesCaptured();
  }

  /** The context for the offsets the stream builds; null when no signal-driven snapshot runs. */
  get contextText(): string | null {
    return encodeIncrementalContext(this.context, this.blocking?.context ?? null);
  }

  /** The CDC fields of every offset the stream builds. */
  get offsetFields(): IncrementalOffsetFields {
    return { incremental: this.contextText, capturedTables: this.capturedTables };
  }

  /**
   * A captured table the stream met that this start did not list: created since, so every
   * row it has is streamed; it joins the captured tables without a snapshot (a later start
   * does not take it for a table new to the filters).
   */
  tableCreated(dataCollection: string): void {
    if (this.captured.has(dataCollection)) return;
    this.captured.add(dataCollection);
    this.capturedTables = encodeCapturedTables(this.captured);
  }

  /** Whether `dataCollection` is the signal table, whose rows are signals and watermarks. */
  isSignalTable(dataCollection: string): boolean {
    return dataCollection === this.options.signalDataCollection;
  }

  /**
   * A stream session started: snapshots restored from the offset (or left by the last
   * session) go on, a blocking one first (the stream waits for it anyway).
   */
  async resume(): Promise<void> {
    if (this.blocking !== null && (await this.runBlocking(this.blocking)) === 'stopped') return;
    if (this.window === null) await this.nextChunk();
  }

  /** A row inserted into the signal table, as streamed: a watermark, or a signal of channel `source`. */
  async signalRow(id: string, type: string, data: string | null): Promise<void> {
    const watermark = watermarkKinds.find((kind) => kind === type);
    if (watermark !== undefined) {
      await this.watermark(watermark, id);
      return;
    }
    if (!this.options.signalChannels.has('source')) return;
    let parsed: Record<string, unknown> | null;
    try {
      parsed = data === null || data.trim() === '' ? null : (JSON.parse(data) as Record<string, unknown>);
    } catch (error) {
      this.task.logger.error('signal ignored: its data is not JSON', {
        id,
        type,
        error: (error as Error).message,
      });
      return;
    }
    await this.signal({ id, type, data: parsed, channel: 'source' });
  }

  /** A signal from any channel. */
  async signal(signal: SourceSignal): Promise<void> {
    const { logger } = this.task;
    logger.info('signal received', { id: signal.id, type: signal.type, channel: signal.channel });
    switch (signal.type) {
      case 'execute-snapshot':
        await this.execute(signal);
        return;
      case 'stop-snapshot':
        this.stop(signal);
        await this.nextChunk();
        return;
      case 'pause-snapshot':
        if (this.context === null) return logger.warn('pause-snapshot: no incremental snapshot runs');
        this.context = { ...this.context, paused: true };
        this.progress.paused();
        this.reportProgress('incremental snapshot paused');
        return;
      case 'resume-snapshot':
        if (this.context === null) return logger.warn('resume-snapshot: no incremental snapshot runs');
        this.context = { ...this.context, paused: false };
        this.progress.resumed();
        if (this.window === null) await this.nextChunk();
        return;
      default:
        logger.error('signal ignored: its type is not one this connector handles', {
          id: signal.id,
          type: signal.type,
        });
    }
  }

  /** A change streamed from a captured table (emitted as well, by the caller). */
  streamed(record: SourceRecord): void {
    this.window?.streamed(record);
  }

  /** A truncate streamed from a captured table (whether or not `skipped.operations` emits it). */
  truncated(topic: string): void {
    this.window?.truncated(topic);
  }

  private async execute(signal: SourceSignal): Promise<void> {
    const { logger } = this.task;
    const data = signal.data ?? {};
    const kind = typeof data['type'] === 'string' ? data['type'].toLowerCase() : 'incremental';
    if (kind !== 'incremental' && kind !== 'blocking') {
      logger.error(
        `execute-snapshot ignored: "${kind}" is not a snapshot type; use incremental or blocking`,
        {
          id: signal.id,
        },
      );
      return;
    }
    if (kind === 'incremental' && this.options.signalDataCollection === null) {
      logger.error(
        'execute-snapshot ignored: incremental snapshots write their watermarks into the signal table; set signal.data.collection',
        { id: signal.id },
      );
      return;
    }
    const requested = stringList(data['data-collections']);
    if (requested.length === 0) {
      logger.error('execute-snapshot ignored: data-collections names no table', { id: signal.id });
      return;
    }
    const conditions = conditionList(data['additional-conditions']);
    const surrogate = data['surrogate-key'];
    const surrogateKey = typeof surrogate === 'string' && surrogate.trim() !== '' ? surrogate.trim() : null;
    if (kind === 'blocking') {
      if (signal.id === this.resumedBlockingSignal) {
        this.resumedBlockingSignal = null;
        logger.info('execute-snapshot: this blocking snapshot was resumed after the restart already', {
          id: signal.id,
        });
        return;
      }
      const tables = requested.map((table) => ({
        table,
        filter: conditions.find((c) => c.table === table)?.filter ?? null,
        surrogateKey,
      }));
      await this.runBlocking(this.blockingSnapshot(newBlockingContext(signal.id, tables)));
      return;
    }
    this.enqueue(requested, conditions, surrogateKey);
    logger.info('incremental snapshot requested', { tables: requested });
    if (this.window === null) await this.nextChunk();
  }

  /**
   * Tables new to this task's filters: with snapshot.new.tables=incremental they join the
   * snapshot's tables now, before any offset carries the new captured set; their chunks
   * are read once streaming resumes.
   */
  private newTablesCaptured(): void {
    const { logger } = this.task;
    const tables = this.newTables;
    if (this.options.snapshotNewTables === 'off') {
      logger.info(
        'tables newly captured by the filters are streamed from now; their existing rows are not read (snapshot.new.tables=off)',
        { tables },
      );
      return;
    }
    if (this.options.signalDataCollection === null) {
      throw new ConfigError('snapshot.new.tables', newTablesNeedSignalTable);
    }
    this.enqueue(tables, [], null);
    logger.info(
      'incremental snapshot of the tables newly captured by the filters (snapshot.new.tables=incremental)',
      {
        tables,
      },
    );
  }

  /** Adds tables (and their `additional-conditions`) to the snapshot's, after those it has left. */
  private enqueue(
    requested: readonly string[],
    conditions: readonly { table: string; filter: string }[],
    surrogateKey: string | null,
  ): void {
    const filters: Record<string, string> = { ...this.context?.filters };
    for (const condition of conditions) filters[condition.table] = condition.filter;
    const surrogateKeys: Record<string, string> = { ...this.context?.surrogateKeys };
    const tables = [...(this.context?.tables ?? [])];
    for (const table of requested) {
      if (tables.includes(table)) continue;
      tables.push(table);
      if (surrogateKey === null) delete surrogateKeys[table];
      else surrogateKeys[table] = surrogateKey;
    }
    this.context = {
      tables,
      filters,
      surrogateKeys,
      lastKey: this.context?.lastKey ?? null,
      maxKey: this.context?.maxKey ?? null,
      paused: this.context?.paused ?? false,
      rowsDone: this.context?.rowsDone ?? 0,
    };
  }

  private blockingSnapshot(context: BlockingSnapshotContext): BlockingSnapshot {
    return new BlockingSnapshot(
      context,
      this.options.incrementalSnapshotChunkSize,
      {
        table: (name, surrogateKey) => this.ports.table(name, surrogateKey),
        offsetAt: (blocking) =>
          this.ports.offsetAt({
            incremental: encodeIncrementalContext(this.context, blocking),
            capturedTables: this.capturedTables,
          }),
      },
      this.emitter,
      this.task,
    );
  }

  /** Runs the blocking snapshot; one stopped with the task stays, for the offsets and the next start. */
  private async runBlocking(snapshot: BlockingSnapshot): Promise<'completed' | 'stopped'> {
    this.blocking = snapshot;
    const outcome = await snapshot.run();
    if (outcome === 'completed') this.blocking = null;
    return outcome;
  }

  private stop(signal: SourceSignal): void {
    if (this.context === null) return;
    const named = stringList(signal.data?.['data-collections']);
    const current = this.context.tables[0];
    if (named.length === 0 || (current !== undefined && named.includes(current))) {
      // The chunk in flight is dropped: its rows are not emitted.
      this.window = null;
      this.reader = null;
    }
    const tables = named.length === 0 ? [] : this.context.tables.filter((t) => !named.includes(t));
    this.task.logger.info('incremental snapshot stopped', {
      tables: named.length === 0 ? this.context.tables : named,
    });
    if (tables.length === 0) {
      this.context = null;
      this.tablesDone = 0;
      this.progress.finished('ABORTED', { phase: 'streaming' });
      return;
    }
    const sameTable = tables[0] === current;
    this.context = {
      ...this.context,
      tables,
      lastKey: sameTable ? this.context.lastKey : null,
      maxKey: sameTable ? this.context.maxKey : null,
      rowsDone: sameTable ? this.context.rowsDone : 0,
    };
  }

  private async watermark(kind: WatermarkKind, id: string): Promise<void> {
    const window = this.window;
    if (window === null || window.watermark(kind, id) !== 'close') return;
    this.window = null;
    const context = this.context;
    if (context === null) return;
    const rows = window.remaining();
    const before = this.offsetFields;
    const after: IncrementalSnapshotContext = {
      ...context,
      lastKey: window.lastKey,
      rowsDone: context.rowsDone + rows.length,
    };
    const afterFields = { ...before, incremental: encodeIncrementalContext(after) };
    // The chunk's last row carries the context past the chunk: a restart after its commit
    // reads the next chunk; one before re-reads this chunk (at least once).
    for (let i = 0; i < rows.length; i++) {
      const offset = this.ports.offsetAt(i === rows.length - 1 ? afterFields : before);
      await this.emitter.changeEvent({ ...rows[i]!, sourceOffset: offset }, 'r');
    }
    this.context = after;
    this.reportProgress('incremental snapshot');
    await this.nextChunk();
  }

  /** Reads the next chunk between watermarks, moving on to the next table when one is done. */
  private async nextChunk(): Promise<void> {
    while (this.context !== null && !this.context.paused && this.window === null) {
      const context = this.context;
      const table = context.tables[0]!;
      const port = await this.tableReader(table, context.surrogateKeys[table] ?? null);
      if (typeof port === 'string') {
        this.task.logger.error(`incremental snapshot of ${table} skipped: ${port}`, { table });
        this.nextTable();
        continue;
      }
      const filter = context.filters[table] ?? null;
      let maxKey = context.maxKey;
      if (maxKey === null) {
        maxKey = await port.maxKey(filter);
        if (maxKey === null) {
          this.tableDone(table);
          continue;
        }
        this.context = { ...context, maxKey };
      }
      const chunkId = randomUUID();
      const data = JSON.stringify({ 'chunk-id': chunkId, table });
      await this.ports.writeWatermark(
        'snapshot-window-open',
        watermarkId(chunkId, 'snapshot-window-open'),
        data,
      );
      const chunk = await port.readChunk(
        context.lastKey,
        maxKey,
        this.options.incrementalSnapshotChunkSize,
        filter,
      );
      if (chunk === null) {
        this.tableDone(table);
        continue;
      }
      this.window = new ChunkWindow(chunkId, port.topic, chunk.records, chunk.lastKey);
      if (this.window.size < chunk.records.length) this.warnKeysNotUnique(table);
      await this.ports.writeWatermark(
        'snapshot-window-close',
        watermarkId(chunkId, 'snapshot-window-close'),
        data,
      );
    }
  }

  private async tableReader(
    table: string,
    surrogateKey: string | null,
  ): Promise<IncrementalTableReader | string> {
    if (this.reader?.table === table) return this.reader.port;
    const port = await this.ports.table(table, surrogateKey);
    if (typeof port === 'string') return port;
    this.reader = { table, port };
    this.estimated = await port.estimatedRows();
    this.metrics.snapshotRowsTotal.set(this.labels(table), this.estimated);
    this.reportProgress('incremental snapshot');
    return port;
  }

  /** Rows of equal keys collapsed into one event (as in Debezium): said once per table and task. */
  private warnKeysNotUnique(table: string): void {
    if (this.keysNotUnique.has(table)) return;
    this.keysNotUnique.add(table);
    this.task.logger.warn(
      'incremental snapshot: rows with equal keys were read; one event per key is emitted, the others are not (name unique columns in message.key.columns)',
      { table },
    );
  }

  private tableDone(table: string): void {
    this.task.logger.info('incremental snapshot of a table completed', {
      table,
      rows: this.context?.rowsDone ?? 0,
    });
    this.reportProgress('incremental snapshot');
    this.nextTable();
  }

  private nextTable(): void {
    const context = this.context;
    this.reader = null;
    if (context === null) return;
    const tables = context.tables.slice(1);
    this.tablesDone++;
    if (tables.length === 0) {
      this.context = null;
      this.tablesDone = 0;
      this.task.logger.info('incremental snapshot completed');
      this.progress.finished('COMPLETED', { phase: 'streaming' });
      return;
    }
    this.context = { ...context, tables, lastKey: null, maxKey: null, rowsDone: 0 };
  }

  private reportProgress(phase: string): void {
    const context = this.context;
    const table = context?.tables[0];
    if (context === null || table === undefined) return;
    const done = context.rowsDone;
    const estimated = Math.max(this.estimated, done);
    this.metrics.snapshotRowsDone.set(this.labels(table), done);
    this.progress.table(
      {
        table,
        tableNumber: this.tablesDone + 1,
        tables: this.tablesDone + context.tables.length,
        rowsDone: done,
        rowsEstimated: estimated,
      },
      {
        ...(context.paused
          ? { phase: 'incremental snapshot paused' }
          : phase === 'incremental snapshot'
            ? {}
            : { phase }),
        snapshot: 'incremental',
        tables_left: context.tables.length,
      },
    );
  }

  private labels(table: string): { connector: string; table: string } {
    return { connector: this.task.connectorName, table };
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function conditionList(value: unknown): { table: string; filter: string }[] {
  if (!Array.isArray(value)) return [];
  const conditions: { table: string; filter: string }[] = [];
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const fields = entry as Record<string, unknown>;
    const table = fields['data-collection'];
    const filter = fields['filter'];
    if (typeof table === 'string' && typeof filter === 'string' && filter.trim() !== '')
      conditions.push({ table, filter });
  }
  return conditions;
}
