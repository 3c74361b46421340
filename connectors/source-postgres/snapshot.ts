import type pg from 'pg';
import { CdcMetrics, epochMicrosNow, snapshotMarkerFor } from '../../runtime/cdc/index.js';
import type { SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';
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
import type { RecordBatcher } from './record-batcher.js';
import { SnapshotChunker } from './snapshot-chunker.js';
import { ColumnValueError, TableSchema, type TableSchemaOptions } from './table-schema.js';
import type { TypeRegistry } from './type-registry.js';

/**
 * Reads every captured table inside the caller's snapshot transaction as `r` events.
 * `source.snapshot` follows Debezium: "first" and "last" for the first and last record,
 * "first_in_data_collection"/"last_in_data_collection" at each table's edges, "true"
 * between, which needs one record of look-ahead. `source.txId` is the snapshot
 * transaction's id, as in Debezium. Each record's offset names its table and key, so a
 * crashed snapshot resumes after the last committed row.
 */
export interface SnapshotPlan {
  readonly tables: readonly TableRef[];
  /** Where streaming will start: the slot's consistent point. */
  readonly position: StreamPosition;
  readonly resumeTable: string | null;
  readonly resumeKey: readonly (string | null)[] | null;
}

interface Held {
  readonly table: TableSchema;
  readonly firstTable: boolean;
  readonly lastTable: boolean;
  readonly firstInTable: boolean;
  readonly row: (string | null)[];
  readonly progress: SnapshotProgress;
}

export class SnapshotReader {
  private held: Held | null = null;
  private txId: number | null = null;

  constructor(
    private readonly client: pg.Client,
    private readonly context: SourceTaskContext,
    private readonly registry: TypeRegistry,
    private readonly schemaOptions: TableSchemaOptions,
    private readonly records: ChangeRecords,
    private readonly batcher: RecordBatcher,
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
      let schema: TableSchema;
      try {
        schema = TableSchema.build(
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
      let firstInTable = afterKey === null;
      snapshotRowsDone.set(labels, done);
      const keyPositions = chunker.keyPositions;
      for await (const chunk of chunker.chunks(afterKey)) {
        for (const row of chunk) {
          const key = pk.length === 0 ? null : keyTexts(row, keyPositions);
          await this.hold(
            {
              table: schema,
              firstTable: tableNumber === 1,
              lastTable: tableNumber === plan.tables.length,
              firstInTable,
              row,
              progress: { inProgress: true, completed: false, table: id(ref), lastKey: key },
            },
            plan.position,
          );
          firstInTable = false;
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
          await this.batcher.flush();
          return false;
        }
      }
    }
    // The snapshot's very last record is "last" even when the tables after its own were empty.
    if (this.held !== null) await this.release({ ...this.held, lastTable: true }, true, plan.position, true);
    this.held = null;
    await this.batcher.flush();
    return true;
  }

  private async hold(next: Held, position: StreamPosition): Promise<void> {
    if (this.held !== null) {
      await this.release(this.held, this.held.table !== next.table, position, false);
    }
    this.held = next;
  }

  private async release(
    held: Held,
    lastInTable: boolean,
    position: StreamPosition,
    last: boolean,
  ): Promise<void> {
    const marker = snapshotMarkerFor({
      firstTable: held.firstTable,
      lastTable: held.lastTable,
      firstInTable: held.firstInTable,
      lastInTable,
    });
    const progress: SnapshotProgress = last
      ? { inProgress: false, completed: true, table: null, lastKey: null }
      : held.progress;
    const now = epochMicrosNow();
    let record: SourceRecord;
    try {
      record = this.records.change(
        held.table,
        'r',
        held.table.keyValue(held.row),
        null,
        held.table.rowValue(held.row),
        {
          tsMs: Number(now / 1000n),
          tsUs: now,
          origin: null,
          snapshot: marker,
          txId: this.txId,
          lsn: position.lsn,
          lastCommitLsn: null,
          transaction: null,
          offset: toSourceOffset({ position, snapshot: progress }),
        },
      );
    } catch (error) {
      if (!(error instanceof ColumnValueError)) throw error;
      const where = `${held.table.dataCollection} (snapshot at LSN ${position.lsn === null ? 'unknown' : formatLsn(position.lsn)}, key ${JSON.stringify(held.progress.lastKey)})`;
      if (!this.schemaOptions.skipBadValues) throw new Error(`${where}: ${error.message}`, { cause: error });
      this.context.logger.warn('skipping a row with a value that cannot be captured (errors.tolerance=all)', {
        table: held.table.dataCollection,
        column: error.column,
        key: held.progress.lastKey,
        error: error.message,
      });
      return;
    }
    await this.batcher.add(record, 'r');
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
