import type { SourceTaskContext } from '../plugin/index.js';
import type { SourceOffset } from '../record/index.js';
import { CdcMetrics } from './cdc-metrics.js';
import type { EventDispatcher } from './event-dispatcher.js';
import type { IncrementalTableReader } from './incremental-snapshot.js';
import type { ChunkKey } from './incremental-snapshot-window.js';

/** A table of a blocking snapshot, with its additional-conditions filter and the signal's surrogate-key. */
export interface BlockingSnapshotTable {
  readonly table: string;
  readonly filter: string | null;
  readonly surrogateKey: string | null;
}

/**
 * What a blocking snapshot has left to do, kept in the offsets of its records (next to an
 * incremental snapshot's context) so a task restarted in the middle goes on with it: the
 * tables left (the current one first), the last key of the current table emitted with a
 * committed chunk, its largest key when its read began, and counts for markers and progress.
 */
export interface BlockingSnapshotContext {
  /** The execute-snapshot signal's id: the same signal streamed again after a restart is not taken twice. */
  readonly signalId: string;
  readonly tables: readonly BlockingSnapshotTable[];
  /** Tables of this snapshot finished before the current one. */
  readonly tablesDone: number;
  readonly lastKey: ChunkKey | null;
  readonly maxKey: ChunkKey | null;
  readonly rowsDone: number;
}

/** Reads a stored blocking snapshot context (a member of the offset's snapshot context); null when none. */
export function decodeBlockingContext(value: unknown): BlockingSnapshotContext | null {
  if (typeof value !== 'object' || value === null) return null;
  const parsed = value as Partial<BlockingSnapshotContext>;
  if (typeof parsed.signalId !== 'string' || !Array.isArray(parsed.tables)) return null;
  const tables = parsed.tables
    .filter(
      (t): t is Partial<BlockingSnapshotTable> & { table: string } =>
        typeof t === 'object' && t !== null && typeof t.table === 'string',
    )
    .map((t) => ({
      table: t.table,
      filter: typeof t.filter === 'string' ? t.filter : null,
      surrogateKey: typeof t.surrogateKey === 'string' ? t.surrogateKey : null,
    }));
  if (tables.length === 0) return null;
  return {
    signalId: parsed.signalId,
    tables,
    tablesDone: typeof parsed.tablesDone === 'number' ? parsed.tablesDone : 0,
    lastKey: parsed.lastKey ?? null,
    maxKey: parsed.maxKey ?? null,
    rowsDone: typeof parsed.rowsDone === 'number' ? parsed.rowsDone : 0,
  };
}

/** The context of a blocking snapshot of `tables` the signal `signalId` requested, before its first row. */
export function newBlockingContext(
  signalId: string,
  tables: readonly BlockingSnapshotTable[],
): BlockingSnapshotContext {
  return { signalId, tables, tablesDone: 0, lastKey: null, maxKey: null, rowsDone: 0 };
}

export interface BlockingSnapshotPorts {
  table(dataCollection: string, surrogateKey: string | null): Promise<IncrementalTableReader | string>;
  /** The offset of the stream's current position carrying `context` (null: the snapshot is over). */
  offsetAt(context: BlockingSnapshotContext | null): SourceOffset;
}

type Dispatcher = Pick<EventDispatcher, 'startSnapshotTable' | 'snapshotRecord' | 'endSnapshot' | 'flush'>;
type TaskParts = Pick<
  SourceTaskContext,
  'logger' | 'reportProgress' | 'metrics' | 'connectorName' | 'signal'
>;

/**
 * Debezium's blocking snapshot (`execute-snapshot` with type `blocking`): the stream waits
 * while the tables are read by their key (as an incremental snapshot reads them), chunk
 * after chunk, as `r` records with the snapshot's `source.snapshot` markers (first, true,
 * last); then streaming goes on from where it was. Changes made while the tables were read
 * are streamed afterwards, so each key ends at its current row (rows may repeat a state
 * already read: at least once). Run on the stream thread, so nothing else is read meanwhile.
 *
 * Each record's offset carries `context`: the rows of a chunk that of the chunk's start, the
 * chunk's last row the context past it. A task restarted in the middle resumes (`run` with
 * the stored context) at the first chunk not committed completely; the last record of the
 * snapshot carries no context, so one restarted after it streams on.
 */
export class BlockingSnapshot {
  private readonly metrics: CdcMetrics;

  constructor(
    /** Where the snapshot is; what `contextText` of the offsets built meanwhile carries. */
    private current: BlockingSnapshotContext,
    private readonly chunkSize: number,
    private readonly ports: BlockingSnapshotPorts,
    private readonly dispatcher: Dispatcher,
    private readonly task: TaskParts,
  ) {
    this.metrics = new CdcMetrics(task.metrics);
  }

  get context(): BlockingSnapshotContext {
    return this.current;
  }

  /** Reads what is left; resolves when done or when the task stops (the context stays in the offsets). */
  async run(): Promise<'completed' | 'stopped'> {
    const { logger } = this.task;
    const readable: (BlockingSnapshotTable & { reader: IncrementalTableReader })[] = [];
    for (const entry of this.current.tables) {
      const reader = await this.ports.table(entry.table, entry.surrogateKey);
      if (typeof reader === 'string')
        logger.error(`blocking snapshot of ${entry.table} skipped: ${reader}`, { table: entry.table });
      else readable.push({ ...entry, reader });
    }
    const resumed = this.current.tablesDone > 0 || this.current.lastKey !== null;
    if (readable[0]?.table !== this.current.tables[0]?.table) {
      // The table in the middle is gone: the next one starts from its first row.
      this.current = { ...this.current, lastKey: null, maxKey: null, rowsDone: 0 };
    }
    this.current = {
      ...this.current,
      tables: readable.map(({ table, filter, surrogateKey }) => ({ table, filter, surrogateKey })),
    };
    logger.info(`blocking snapshot ${resumed ? 'resumed' : 'started'}: streaming waits until it is done`, {
      tables: readable.map((t) => t.table),
    });
    const total = this.current.tablesDone + readable.length;
    for (const [index, { table, filter, reader }] of readable.entries()) {
      if (index > 0) this.current = this.nextTable();
      if ((await this.readTable(table, filter, reader, total)) === 'stopped') {
        await this.dispatcher.flush();
        logger.warn('blocking snapshot stopped with the task; it goes on when the task starts again');
        return 'stopped';
      }
    }
    await this.dispatcher.endSnapshot(this.ports.offsetAt(null));
    logger.info('blocking snapshot completed; streaming goes on');
    this.task.reportProgress({ phase: 'streaming' });
    return 'completed';
  }

  private async readTable(
    table: string,
    filter: string | null,
    reader: IncrementalTableReader,
    tables: number,
  ): Promise<'done' | 'stopped'> {
    const labels = { connector: this.task.connectorName, table };
    const estimated = await reader.estimatedRows();
    this.metrics.snapshotRowsTotal.set(labels, estimated);
    const { tablesDone, lastKey } = this.current;
    this.dispatcher.startSnapshotTable({
      firstTable: tablesDone === 0,
      lastTable: tablesDone === tables - 1,
      firstInTable: lastKey === null,
    });
    let maxKey = this.current.maxKey;
    if (maxKey === null) {
      maxKey = await reader.maxKey(filter);
      this.current = { ...this.current, maxKey };
    }
    while (maxKey !== null) {
      const chunk = await reader.readChunk(this.current.lastKey, maxKey, this.chunkSize, filter);
      if (chunk === null) break;
      const atStart = this.ports.offsetAt(this.current);
      const past: BlockingSnapshotContext = {
        ...this.current,
        lastKey: chunk.lastKey,
        rowsDone: this.current.rowsDone + chunk.records.length,
      };
      const atEnd = this.ports.offsetAt(past);
      for (const [i, record] of chunk.records.entries()) {
        const sourceOffset = i === chunk.records.length - 1 ? atEnd : atStart;
        await this.dispatcher.snapshotRecord({ ...record, sourceOffset });
      }
      this.current = past;
      this.reportProgress(table, estimated, tables);
      if (this.task.signal.aborted) return 'stopped';
    }
    return 'done';
  }

  private nextTable(): BlockingSnapshotContext {
    const { tables, tablesDone } = this.current;
    return {
      ...this.current,
      tables: tables.slice(1),
      tablesDone: tablesDone + 1,
      lastKey: null,
      maxKey: null,
      rowsDone: 0,
    };
  }

  private reportProgress(table: string, estimated: number, tables: number): void {
    const done = this.current.rowsDone;
    this.metrics.snapshotRowsDone.set({ connector: this.task.connectorName, table }, done);
    this.task.reportProgress({
      phase: 'blocking snapshot',
      snapshot: 'blocking',
      table,
      table_number: this.current.tablesDone + 1,
      tables,
      rows_done: done,
      rows_estimated: Math.max(estimated, done),
      percent: estimated === 0 ? 100 : Math.min(100, Math.floor((done / estimated) * 100)),
    });
  }
}
