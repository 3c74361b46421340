import type { SourceTaskContext } from '../plugin/index.js';
import type { SourceOffset } from '../record/index.js';
import { CdcMetrics } from './cdc-metrics.js';
import type { EventDispatcher } from './event-dispatcher.js';
import type { IncrementalTableReader } from './incremental-snapshot.js';
import type { ChunkKey } from './incremental-snapshot-window.js';

/** What a blocking snapshot reads: its tables (each with its additional-conditions filter) and chunk size. */
export interface BlockingSnapshotRequest {
  readonly tables: readonly { readonly table: string; readonly filter: string | null }[];
  readonly chunkSize: number;
}

export interface BlockingSnapshotPorts {
  table(dataCollection: string): Promise<IncrementalTableReader | string>;
  /** The offset of the stream's current position (what a record of this snapshot carries). */
  offsetAt(): SourceOffset;
}

type Dispatcher = Pick<EventDispatcher, 'startSnapshotTable' | 'snapshotRecord' | 'endSnapshot' | 'flush'>;
type TaskParts = Pick<
  SourceTaskContext,
  'logger' | 'reportProgress' | 'metrics' | 'connectorName' | 'signal'
>;

/**
 * Debezium's blocking snapshot (`execute-snapshot` with type `blocking`): the stream waits
 * while the tables are read by primary key, chunk after chunk, as `r` records with the
 * snapshot's `source.snapshot` markers (first, true, last); then streaming goes on from
 * where it was. Changes made while the tables were read are streamed afterwards, so each key
 * ends at its current row (rows may repeat a state already read: at least once). Run on the
 * stream thread, so nothing else is read meanwhile; not resumed after a restart (send the
 * signal again).
 */
export async function runBlockingSnapshot(
  request: BlockingSnapshotRequest,
  ports: BlockingSnapshotPorts,
  dispatcher: Dispatcher,
  task: TaskParts,
): Promise<void> {
  const { logger } = task;
  const metrics = new CdcMetrics(task.metrics);
  const readable: { table: string; filter: string | null; reader: IncrementalTableReader }[] = [];
  for (const { table, filter } of request.tables) {
    const reader = await ports.table(table);
    if (typeof reader === 'string')
      logger.error(`blocking snapshot of ${table} skipped: ${reader}`, { table });
    else readable.push({ table, filter, reader });
  }
  logger.info('blocking snapshot started: streaming waits until it is done', {
    tables: readable.map((t) => t.table),
  });
  for (const [index, { table, filter, reader }] of readable.entries()) {
    const labels = { connector: task.connectorName, table };
    const estimated = await reader.estimatedRows();
    metrics.snapshotRowsTotal.set(labels, estimated);
    dispatcher.startSnapshotTable({
      firstTable: index === 0,
      lastTable: index === readable.length - 1,
      firstInTable: true,
    });
    const maxKey = await reader.maxKey(filter);
    let after: ChunkKey | null = null;
    let done = 0;
    while (maxKey !== null) {
      const chunk = await reader.readChunk(after, maxKey, request.chunkSize, filter);
      if (chunk === null) break;
      const offset = ports.offsetAt();
      for (const record of chunk.records)
        await dispatcher.snapshotRecord({ ...record, sourceOffset: offset });
      after = chunk.lastKey;
      done += chunk.records.length;
      metrics.snapshotRowsDone.set(labels, done);
      task.reportProgress({
        phase: 'blocking snapshot',
        snapshot: 'blocking',
        table,
        table_number: index + 1,
        tables: readable.length,
        rows_done: done,
        rows_estimated: Math.max(estimated, done),
        percent: estimated === 0 ? 100 : Math.min(100, Math.floor((done / estimated) * 100)),
      });
      if (task.signal.aborted) {
        await dispatcher.flush();
        logger.warn('blocking snapshot stopped with the task; send the signal again to take it');
        return;
      }
    }
  }
  await dispatcher.endSnapshot(ports.offsetAt());
  logger.info('blocking snapshot completed; streaming goes on');
  task.reportProgress({ phase: 'streaming' });
}
