import { TransactionTracker, transactionTopic } from '../../runtime/cdc/index.js';
import type { CdcMetrics, TransactionBlock } from '../../runtime/cdc/index.js';
import type { SourcePartition, SourceRecord } from '../../runtime/record/index.js';
import type { DdlItem, OpenTransaction, RowsItem } from './binlog-items.js';
import { alreadyEmitted, toSourceOffset } from './binlog-offset.js';
import type { BinlogOffset } from './binlog-offset.js';
import type { MySqlSourceConfig } from './config.js';
import { schemaChangeRecord } from './schema-change-event.js';
import type { SchemaChange } from './schema-change-event.js';
import { mysqlSourceValue } from './source-info.js';
import type { TableEvents } from './table-events.js';
import type { TableSchema } from './table-schema.js';

export interface BinlogRecordsDeps {
  readonly config: MySqlSourceConfig;
  /** Null for a table that cannot be captured (already reported): its rows are skipped. */
  readonly eventsFor: (table: TableSchema) => TableEvents | null;
  readonly partition: SourcePartition;
  readonly connectorName: string;
  readonly metrics: CdcMetrics;
}

/**
 * Turns what the binlog listener queued into records: change events with their offsets
 * (skipping what a resume offset says was emitted), tombstones, truncates, schema change
 * events, and the BEGIN / END records of provide.transaction.metadata.
 */
export class BinlogRecords {
  constructor(private readonly deps: BinlogRecordsDeps) {}

  /**
   * The records of one row event, and the offset of its last row not emitted before a
   * restart (where a reconnect resumes), or null when every row was.
   */
  rows(item: RowsItem): { records: SourceRecord[]; last: BinlogOffset | null } {
    const { config, connectorName, partition } = this.deps;
    const events = this.deps.eventsFor(item.table);
    const records: SourceRecord[] = [];
    if (events === null) return { records, last: null };
    const { transaction } = item;
    let last: BinlogOffset | null = null;
    let changes = 0;
    item.rows.forEach((row, index) => {
      const offset: BinlogOffset = {
        file: transaction.file,
        pos: transaction.pos,
        event: item.event,
        row: index,
        gtids: transaction.gtidsBefore,
        tsSec: Math.floor(item.tsMs / 1000),
        snapshot: null,
        snapshotTable: null,
        snapshotKey: null,
      };
      const emitted = transaction.resume !== null && alreadyEmitted(transaction.resume, item.event, index);
      if (!emitted) last = offset;
      if (config.cdc.skippedOperations.has(item.op)) return;
      // Transaction metadata counts the rows a restart skips too, so orders stay the same.
      const block = this.transactionBlock(transaction, `${item.table.db}.${item.table.table}`);
      if (emitted) {
        transaction.begun = transaction.tracker !== null;
        return;
      }
      if (transaction.tracker && !transaction.begun) {
        transaction.begun = true;
        // BEGIN resumes right before this row: a restart from it emits this row again.
        const beforeRow = toSourceOffset({ ...offset, row: index - 1 });
        records.push(
          transaction.tracker.beginRecord(
            transactionTopic(config.cdc.topicPrefix),
            partition,
            beforeRow,
            item.tsMs,
          ),
        );
      }
      const source = this.source(
        item.table,
        transaction.gtid,
        transaction.file,
        transaction.pos,
        index,
        transaction.thread,
        item.tsMs,
      );
      const record = events.changeRecord(
        item.op,
        row.before,
        row.after,
        source,
        partition,
        toSourceOffset(offset),
        item.tsMs,
        block,
      );
      records.push(record);
      if (item.op === 'd' && config.cdc.tombstonesOnDelete) records.push(events.tombstone(record));
      changes++;
    });
    // Once per row event, not per row: the labelled counter costs about a microsecond a call.
    if (changes > 0)
      this.deps.metrics.changeEventsTotal.inc({ connector: connectorName, op: item.op }, changes);
    return { records, last };
  }

  /** The END record of a committed transaction whose BEGIN went out, else null. */
  transactionEnd(
    transaction: OpenTransaction | null,
    offset: BinlogOffset,
    tsMs: number,
  ): SourceRecord | null {
    if (!transaction?.tracker || !transaction.begun) return null;
    return transaction.tracker.endRecord(
      transactionTopic(this.deps.config.cdc.topicPrefix),
      this.deps.partition,
      toSourceOffset(offset),
      tsMs,
    );
  }

  /** Debezium's truncate events (op "t", no key, no row images); skipped by default (skipped.operations=t). */
  truncates(item: DdlItem, offset: BinlogOffset): SourceRecord[] {
    const { config, connectorName, partition } = this.deps;
    if (config.cdc.skippedOperations.has('t')) return [];
    const records = item.truncated.flatMap((table) => {
      const events = this.deps.eventsFor(table);
      if (events === null) return [];
      return events.changeRecord(
        't',
        null,
        null,
        this.source(table, item.gtid, item.file, item.pos, 0, item.thread, item.tsMs),
        partition,
        toSourceOffset(offset),
        item.tsMs,
      );
    });
    this.deps.metrics.changeEventsTotal.inc({ connector: connectorName, op: 't' }, records.length);
    return records;
  }

  schemaChange(item: DdlItem, changes: readonly SchemaChange[], offset: BinlogOffset): SourceRecord {
    const { config, partition } = this.deps;
    const table =
      changes.length === 1 ? { db: item.db, table: changes[0]!.table } : { db: item.db, table: null };
    return schemaChangeRecord(
      config.cdc.topicPrefix,
      item.db,
      item.sql,
      changes,
      this.source(table, item.gtid, item.file, item.pos, 0, item.thread, item.tsMs),
      partition,
      toSourceOffset(offset),
      item.tsMs,
    );
  }

  private transactionBlock(transaction: OpenTransaction, dataCollection: string): TransactionBlock | null {
    if (!this.deps.config.cdc.provideTransactionMetadata) return null;
    transaction.tracker ??= new TransactionTracker(
      transaction.gtid ?? `${transaction.file}:${transaction.pos}`,
    );
    return transaction.tracker.next(dataCollection);
  }

  private source(
    table: { readonly db: string; readonly table: string | null },
    gtid: string | null,
    file: string,
    pos: number,
    row: number,
    thread: number | null,
    tsMs: number,
  ) {
    const { config } = this.deps;
    return mysqlSourceValue({
      name: config.cdc.topicPrefix,
      tsMs,
      snapshot: 'false',
      db: table.db,
      table: table.table,
      serverId: config.serverId,
      gtid,
      file,
      pos,
      row,
      thread,
      query: null,
    });
  }
}
