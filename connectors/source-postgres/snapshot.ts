import type pg from 'pg';
import {
  CdcMetrics,
  encodeCapturedTables,
  epochMicrosNow,
  type SnapshotProgressReporter,
  type EventDispatcher,
} from '../../runtime/cdc/index.js';
import { DataError, type SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceOffset } from '../../runtime/record/index.js';
import {
  columnDefaults,
  estimatedRows,
  notNullColumns,
  primaryKey,
  tableColumns,
  type TableRef,
} from './catalog.js';
import type { ChangeRecords } from './change-records.js';
import { formatLsn } from './lsn.js';
import { toSourceOffset, type PagesDone, type SnapshotProgress, type StreamPosition } from './lsn-offset.js';
import { SnapshotChunker } from './snapshot-chunker.js';
import {
  ColumnValueError,
  TableEvents,
  type ColumnDescriptor,
  type TableEventOptions,
} from './table-events.js';
import type { TypeRegistry } from './type-registry.js';

/** What a snapshot reader (one connection or several) works with. */
export interface SnapshotReaderDeps {
  readonly context: SourceTaskContext;
  readonly registry: TypeRegistry;
  readonly schemaOptions: TableEventOptions;
  readonly records: ChangeRecords;
  readonly dispatcher: EventDispatcher;
  readonly fetchSize: number;
  readonly progress: SnapshotProgressReporter;
}

/** What one snapshot reads: its tables, the stream position it belongs to, where it resumes. */
export interface SnapshotPlan {
  readonly tables: readonly TableRef[];
  /** Where streaming will start: the slot's consistent point. */
  readonly position: StreamPosition;
  readonly resumeTable: string | null;
  readonly resumeKey: readonly (string | null)[] | null;
  /** A parallel snapshot interrupted in a table without a primary key: its pages emitted. */
  readonly resumePages: PagesDone | null;
}

/**
 * Reads every captured table inside the caller's snapshot transaction as `r` events; the
 * dispatcher gives them Debezium's `source.snapshot` markers (first, last, at each table's
 * edges). `source.txId` is the snapshot transaction's id, as in Debezium. Each record's
 * offset names its table and key, so a crashed snapshot resumes after the last committed row.
 */
export class SnapshotReader {
  constructor(
    private readonly client: pg.Client,
    private readonly deps: SnapshotReaderDeps,
  ) {}

  /** Runs the snapshot; returns false when stopped by the task's signal. */
  async run(plan: SnapshotPlan): Promise<boolean> {
    const connector = this.deps.context.connectorName;
    const { snapshotRowsDone, snapshotRowsTotal } = new CdcMetrics(this.deps.context.metrics);
    const resumeIndex =
      plan.resumeTable === null ? 0 : plan.tables.findIndex((t) => id(t) === plan.resumeTable);
    const tables = plan.tables.slice(Math.max(0, resumeIndex));
    let tableNumber = plan.tables.length - tables.length;
    const rows = new SnapshotRowEmitter(
      this.deps.context,
      this.deps.schemaOptions,
      this.deps.records,
      this.deps.dispatcher,
      await snapshotTxId(this.client),
    );
    for (const ref of tables) {
      tableNumber++;
      const prepared = await prepareSnapshotTable(
        this.client,
        this.deps.registry,
        ref,
        this.deps.schemaOptions,
      );
      if (prepared === null) continue;
      const { schema, columns, pk } = prepared;
      const chunker = new SnapshotChunker(
        this.client,
        ref.schema,
        ref.table,
        columns,
        pk,
        this.deps.fetchSize,
      );
      const total = await estimatedRows(this.client, ref.oid);
      const labels = { connector, table: id(ref) };
      snapshotRowsTotal.set(labels, total);
      const afterKey = id(ref) === plan.resumeTable && pk.length > 0 ? plan.resumeKey : null;
      let done = 0;
      snapshotRowsDone.set(labels, done);
      this.deps.dispatcher.startSnapshotTable({
        firstTable: tableNumber === 1,
        lastTable: tableNumber === plan.tables.length,
        firstInTable: afterKey === null,
      });
      const keyPositions = chunker.keyPositions;
      for await (const chunk of chunker.chunks(afterKey)) {
        for (const row of chunk) {
          const key = pk.length === 0 ? null : keyTexts(row, keyPositions);
          await rows.emit(schema, row, plan.position, {
            inProgress: true,
            completed: false,
            table: id(ref),
            lastKey: key,
          });
        }
        done += chunk.length;
        snapshotRowsDone.set(labels, done);
        this.deps.progress.table({
          table: id(ref),
          tableNumber,
          tables: plan.tables.length,
          rowsDone: done,
          rowsEstimated: total,
        });
        if (this.deps.context.signal.aborted) {
          await this.deps.dispatcher.flush();
          return false;
        }
      }
    }
    await this.deps.dispatcher.endSnapshot(completedSnapshotOffset(plan));
    return true;
  }
}

/**
 * The offset of a snapshot's last record: streaming starts at its position, and its
 * tables are the captured ones (so a start after a config change, with nothing streamed
 * since, still finds the tables new to the filters).
 */
export function completedSnapshotOffset(plan: SnapshotPlan): SourceOffset {
  return toSourceOffset({
    position: plan.position,
    snapshot: { inProgress: false, completed: true, table: null, lastKey: null },
    capturedTables: encodeCapturedTables(plan.tables.map(id)),
  });
}

/** A captured table as the snapshot reads it: its event schemas, columns and primary key. */
export interface SnapshotTable {
  readonly ref: TableRef;
  readonly id: string;
  readonly schema: TableEvents;
  readonly columns: readonly ColumnDescriptor[];
  readonly pk: readonly string[];
}

/**
 * Reads a table's columns, key and defaults and builds its event schemas; null (the table
 * recorded as uncaptured, with the reason) when its schema cannot be built.
 */
export async function prepareSnapshotTable(
  client: pg.Client,
  registry: TypeRegistry,
  ref: TableRef,
  schemaOptions: TableEventOptions,
): Promise<SnapshotTable | null> {
  const columns = await tableColumns(client, ref.oid);
  for (const c of columns) await registry.resolve(c.typeOid);
  const pk = await primaryKey(client, ref.oid);
  const notNull = await notNullColumns(client, ref.oid);
  try {
    const schema = TableEvents.build(
      ref.schema,
      ref.table,
      columns,
      pk,
      notNull,
      registry,
      schemaOptions,
      await columnDefaults(client, ref.oid),
    );
    return { ref, id: id(ref), schema, columns, pk };
  } catch (error) {
    schemaOptions.uncaptured.add(id(ref), (error as Error).message);
    return null;
  }
}

/** The snapshot transaction's id, `source.txId` of its records (0 on a standby, as in Debezium). */
export async function snapshotTxId(client: pg.Client): Promise<number> {
  const xid = await client.query<{ xid: string }>(
    "SELECT (CASE pg_is_in_recovery() WHEN 't' THEN 0 ELSE txid_current() END)::text AS xid",
  );
  return Number(xid.rows[0]!.xid);
}

/** Turns snapshot rows into `r` events for the dispatcher, skipping bad values as errors.tolerance says. */
export class SnapshotRowEmitter {
  constructor(
    private readonly context: SourceTaskContext,
    private readonly schemaOptions: TableEventOptions,
    private readonly records: ChangeRecords,
    private readonly dispatcher: EventDispatcher,
    private readonly txId: number,
  ) {}

  /** One row as an `r` event (its marker set by the dispatcher once the next row is known). */
  async emit(
    table: TableEvents,
    row: readonly (string | null)[],
    position: StreamPosition,
    progress: SnapshotProgress,
  ): Promise<void> {
    const now = epochMicrosNow();
    let record;
    try {
      record = this.records.change(table, 'r', table.keyValue(row), null, table.rowValue(row), {
        tsMs: Number(now / 1000n),
        tsUs: now,
        origin: null,
        snapshot: 'true',
        txId: this.txId,
        lsn: position.lsn,
        lastCommitLsn: null,
        transaction: null,
        offset: toSourceOffset({ position, snapshot: progress }),
      });
    } catch (error) {
      if (!(error instanceof ColumnValueError)) throw error;
      const where = `${table.dataCollection} (snapshot at LSN ${position.lsn === null ? 'unknown' : formatLsn(position.lsn)}, key ${JSON.stringify(progress.lastKey)})`;
      if (!this.schemaOptions.skipBadValues)
        throw new DataError(`${where}: ${error.message}`, { cause: error });
      this.context.logger.warn('skipping a row with a value that cannot be captured (errors.tolerance=all)', {
        table: table.dataCollection,
        column: error.column,
        key: progress.lastKey,
        error: error.message,
      });
      return;
    }
    await this.dispatcher.snapshotRecord(record);
  }
}

/** The key column texts of a row, for the offset (a loop: this runs per row). */
export function keyTexts(row: readonly (string | null)[], positions: readonly number[]): (string | null)[] {
  const key: (string | null)[] = [];
  for (const p of positions) key.push(row[p] ?? null);
  return key;
}

export function id(ref: TableRef): string {
  return `${ref.schema}.${ref.table}`;
}
