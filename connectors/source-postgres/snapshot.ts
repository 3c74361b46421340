import type pg from 'pg';
import { CdcMetrics, epochMicrosNow, type EventDispatcher } from '../../runtime/cdc/index.js';
import { DataError, type SourceTaskContext } from '../../runtime/plugin/index.js';
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
import { toSourceOffset, type SnapshotProgress, type StreamPosition } from './lsn-offset.js';
import { SnapshotChunker } from './snapshot-chunker.js';
import { ColumnValueError, TableEvents, type TableEventOptions } from './table-events.js';
import type { TypeRegistry } from './type-registry.js';

/** What one snapshot reads: its tables, the stream position it belongs to, where it resumes. */
export interface SnapshotPlan {
  readonly tables: readonly TableRef[];
  /** Where streaming will start: the slot's consistent point. */
  readonly position: StreamPosition;
  readonly resumeTable: string | null;
  readonly resumeKey: readonly (string | null)[] | null;
}

/**
 * Reads every captured table inside the caller's snapshot transaction as `r` events; the
 * dispatcher gives them Debezium's `source.snapshot` markers (first, last, at each table's
 * edges). `source.txId` is the snapshot transaction's id, as in Debezium. Each record's
 * offset names its table and key, so a crashed snapshot resumes after the last committed row.
 */
export class SnapshotReader {
  private txId: number | null = null;

  constructor(
    private readonly client: pg.Client,
    private readonly context: SourceTaskContext,
    private readonly registry: TypeRegistry,
    private readonly schemaOptions: TableEventOptions,
    private readonly records: ChangeRecords,
    private readonly dispatcher: EventDispatcher,
    private readonly fetchSize: number,
  ) {}

  /** Runs the snapshot; returns false when stopped by the task's signal. */
  async run(plan: SnapshotPlan): Promise<boolean> {
    const connector = this.context.connectorName;
    const { snapshotRowsDone, snapshotRowsTotal } = new CdcMetrics(this.context.metrics);
    const resumeIndex =
      plan.resumeTable === null ? 0 : plan.tables.findIndex((t) => id(t) === plan.resumeTable);
    const tables = plan.tables.slice(Math.max(0, resumeIndex));
    let tableNumber = plan.tables.length - tables.length;
    const xid = await this.client.query<{ xid: string }>(
      "SELECT (CASE pg_is_in_recovery() WHEN 't' THEN 0 ELSE txid_current() END)::text AS xid",
    );
    this.txId = Number(xid.rows[0]!.xid);
    for (const ref of tables) {
      tableNumber++;
      const columns = await tableColumns(this.client, ref.oid);
      for (const c of columns) await this.registry.resolve(c.typeOid);
      const pk = await primaryKey(this.client, ref.oid);
      const notNull = await notNullColumns(this.client, ref.oid);
      let schema: TableEvents;
      try {
        schema = TableEvents.build(
          ref.schema,
          ref.table,
          columns,
          pk,
          notNull,
          this.registry,
          this.schemaOptions,
          await columnDefaults(this.client, ref.oid),
        );
      } catch (error) {
        this.schemaOptions.uncaptured.add(id(ref), (error as Error).message);
        continue;
      }
      const chunker = new SnapshotChunker(this.client, ref.schema, ref.table, columns, pk, this.fetchSize);
      const total = await estimatedRows(this.client, ref.oid);
      const labels = { connector, table: id(ref) };
      snapshotRowsTotal.set(labels, total);
      const afterKey = id(ref) === plan.resumeTable && pk.length > 0 ? plan.resumeKey : null;
      let done = 0;
      snapshotRowsDone.set(labels, done);
      this.dispatcher.startSnapshotTable({
        firstTable: tableNumber === 1,
        lastTable: tableNumber === plan.tables.length,
        firstInTable: afterKey === null,
      });
      const keyPositions = chunker.keyPositions;
      for await (const chunk of chunker.chunks(afterKey)) {
        for (const row of chunk) {
          const key = pk.length === 0 ? null : keyTexts(row, keyPositions);
          await this.read(schema, row, plan.position, {
            inProgress: true,
            completed: false,
            table: id(ref),
            lastKey: key,
          });
        }
        done += chunk.length;
        snapshotRowsDone.set(labels, done);
        this.context.reportProgress({
          phase: 'snapshot',
          table: id(ref),
          table_number: tableNumber,
          tables: plan.tables.length,
          rows_done: done,
          rows_estimated: Math.max(total, done),
        });
        if (this.context.signal.aborted) {
          await this.dispatcher.flush();
          return false;
        }
      }
    }
    await this.dispatcher.endSnapshot(
      toSourceOffset({
        position: plan.position,
        snapshot: { inProgress: false, completed: true, table: null, lastKey: null },
      }),
    );
    return true;
  }

  /** One row as an `r` event (its marker set by the dispatcher once the next row is known). */
  private async read(
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
function keyTexts(row: readonly (string | null)[], positions: readonly number[]): (string | null)[] {
  const key: (string | null)[] = [];
  for (const p of positions) key.push(row[p] ?? null);
  return key;
}

function id(ref: TableRef): string {
  return `${ref.schema}.${ref.table}`;
}
