import type pg from 'pg';
import { CdcMetrics, readChunksInOrder } from '../../runtime/cdc/index.js';
import { tableStorage } from './catalog.js';
import type { PagesDone, SnapshotProgress } from './lsn-offset.js';
import {
  completedSnapshotOffset,
  id,
  keyTexts,
  prepareSnapshotTable,
  snapshotTxId,
  SnapshotRowEmitter,
  type SnapshotPlan,
  type SnapshotReaderDeps,
  type SnapshotTable,
} from './snapshot.js';
import { SnapshotChunker } from './snapshot-chunker.js';
import { keyRanges, pageRanges, splits, type ChunkRange, type KeyTexts } from './snapshot-plan.js';

/**
 * A table is split into chunks of about this many fetches: a chunk is the unit of parallel
 * work, so large enough that cutting the table (one index probe per boundary) stays cheap
 * next to reading it, and small enough that the readers share a large table.
 */
const fetchesPerChunk = 10;

/** Fetches each reader holds ahead of the emitter: one being emitted, one ready. */
const fetchesBufferedPerReader = 2;

/** A table of the plan, with what its chunks need. */
interface PlannedTable extends SnapshotTable {
  /** Its number among the plan's tables, from 1 (for the first/last markers). */
  readonly number: number;
  readonly estimatedRows: number;
  /** The table's storage when it has no primary key (page ranges are only valid within it). */
  readonly relfilenode: number;
  /** The snapshot continues inside this table: its first row read is not the table's first. */
  readonly resumedInside: boolean;
}

interface TableChunk {
  readonly table: PlannedTable;
  readonly range: ChunkRange;
}

/**
 * The snapshot with `snapshot.max.threads` > 1: one connection per reader, every one in a
 * transaction on the same snapshot (the caller's). The first connection plans the chunks
 * (tables, key ranges, page ranges) while the readers fetch them in parallel; their rows
 * reach the dispatcher in plan order, one table after the other, so the snapshot markers
 * and the resume position work as with one reader: every record's offset names its table
 * and key (or, without a primary key, the pages emitted completely before its chunk), and
 * everything before that position was emitted.
 */
export class ParallelSnapshotReader {
  constructor(
    private readonly clients: readonly pg.Client[],
    private readonly deps: SnapshotReaderDeps,
  ) {}

  /** Runs the snapshot; returns false when stopped by the task's signal. */
  async run(plan: SnapshotPlan): Promise<boolean> {
    const { context, dispatcher } = this.deps;
    const planner = this.clients[0]!;
    const rows = new SnapshotRowEmitter(
      context,
      this.deps.schemaOptions,
      this.deps.records,
      dispatcher,
      await snapshotTxId(planner),
    );
    const { snapshotRowsDone, snapshotRowsTotal } = new CdcMetrics(context.metrics);
    let current: PlannedTable | null = null;
    let done = 0;
    let chunks = 0;
    // The plan is made while the readers read: a large table's first ranges are read while
    // the walk over its key finds the next boundaries.
    const items = readChunksInOrder(this.planChunks(plan), (chunk, reader) => this.readChunk(chunk, reader), {
      readers: this.clients.length,
      pagesPerReader: fetchesBufferedPerReader,
    });
    for await (const item of items) {
      const { table, range } = item.chunk;
      const labels = { connector: context.connectorName, table: table.id };
      if (table !== current) {
        current = table;
        done = 0;
        snapshotRowsTotal.set(labels, table.estimatedRows);
        snapshotRowsDone.set(labels, done);
        dispatcher.startSnapshotTable({
          firstTable: table.number === 1,
          lastTable: table.number === plan.tables.length,
          firstInTable: !table.resumedInside,
        });
      }
      if (item.kind === 'end') {
        chunks = item.index + 1;
        continue;
      }
      const pagesDone: PagesDone | null =
        range.kind === 'pages' ? { relfilenode: table.relfilenode, page: range.fromPage } : null;
      const keyPositions = table.pk.map((name) => table.columns.findIndex((c) => c.name === name));
      for (const row of item.page) {
        const progress: SnapshotProgress = {
          inProgress: true,
          completed: false,
          table: table.id,
          lastKey: pagesDone === null ? keyTexts(row, keyPositions) : null,
          pagesDone,
        };
        await rows.emit(table.schema, row, plan.position, progress);
      }
      done += item.page.length;
      snapshotRowsDone.set(labels, done);
      this.deps.progress.table(
        {
          table: table.id,
          tableNumber: table.number,
          tables: plan.tables.length,
          rowsDone: done,
          rowsEstimated: table.estimatedRows,
        },
        { chunks_done: item.index },
      );
      if (context.signal.aborted) {
        await dispatcher.flush();
        return false;
      }
    }
    context.logger.info('parallel snapshot read', { readers: this.clients.length, chunks });
    await dispatcher.endSnapshot(completedSnapshotOffset(plan));
    return true;
  }

  /**
   * The chunks of every table still to read, in the order their rows are emitted, yielded
   * as they are planned (on the first connection, between its reader's fetches).
   */
  private async *planChunks(plan: SnapshotPlan): AsyncGenerator<TableChunk> {
    const planner = this.clients[0]!;
    const chunkRows = this.deps.fetchSize * fetchesPerChunk;
    const resumeIndex = Math.max(
      0,
      plan.resumeTable === null ? 0 : plan.tables.findIndex((t) => id(t) === plan.resumeTable),
    );
    for (let index = resumeIndex; index < plan.tables.length; index++) {
      const ref = plan.tables[index]!;
      const prepared = await prepareSnapshotTable(planner, this.deps.registry, ref, this.deps.schemaOptions);
      if (prepared === null) continue;
      const resumed = id(ref) === plan.resumeTable;
      const storage = await tableStorage(planner, ref.oid);
      const estimated = storage.estimatedRows;
      if (prepared.pk.length > 0) {
        const after: KeyTexts | null = resumed ? plan.resumeKey : null;
        const table = planned(prepared, index, estimated, 0, after !== null);
        const boundaries = splits(estimated, chunkRows)
          ? this.chunker(planner, prepared).keyBoundaries(after, chunkRows)
          : [];
        for await (const range of keyRanges(after, boundaries)) yield { table, range };
      } else {
        const pagesDone = resumed ? plan.resumePages : null;
        // Pages of another storage (the table was rewritten) say nothing: read it all again.
        const fromPage = pagesDone?.relfilenode === storage.relfilenode ? pagesDone.page : 0;
        const table = planned(prepared, index, estimated, storage.relfilenode, fromPage > 0);
        for (const range of pageRanges(fromPage, storage.pages, estimated, chunkRows)) yield { table, range };
      }
    }
  }

  /** One chunk's rows, a fetch at a time, on reader `reader`'s connection. */
  private readChunk(chunk: TableChunk, reader: number): AsyncIterable<(string | null)[][]> {
    const chunker = this.chunker(this.clients[reader]!, chunk.table);
    const { range } = chunk;
    return range.kind === 'keys' ? chunker.chunks(range.after, range.upTo) : chunker.pageChunks(range);
  }

  private chunker(client: pg.Client, table: SnapshotTable): SnapshotChunker {
    const { ref, columns, pk } = table;
    return new SnapshotChunker(client, ref.schema, ref.table, columns, pk, this.deps.fetchSize);
  }
}

function planned(
  table: SnapshotTable,
  index: number,
  estimatedRows: number | null,
  relfilenode: number,
  resumedInside: boolean,
): PlannedTable {
  return { ...table, number: index + 1, estimatedRows: estimatedRows ?? 0, relfilenode, resumedInside };
}
