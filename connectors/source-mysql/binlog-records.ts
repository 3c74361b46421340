import { TransactionTracker } from '../../runtime/cdc/index.js';
import type { EventDispatcher, IncrementalSnapshot, TransactionBlock } from '../../runtime/cdc/index.js';
import type { SourceOffset, SourcePartition } from '../../runtime/record/index.js';
import type { DdlItem, OpenTransaction, RowsItem } from './binlog-items.js';
import { alreadyEmitted, toSourceOffset } from './binlog-offset.js';
import type { BinlogOffset } from './binlog-offset.js';
import type { MySqlSourceConfig } from './config.js';
import { schemaChangeRecord } from './schema-change-event.js';
import type { SchemaChange } from './schema-change-event.js';
import { mysqlSourceValue } from './source-info.js';
import type { TableEvents } from './table-events.js';
import type { TableStructure } from './table-structure.js';

export interface BinlogRecordsDeps {
  readonly config: MySqlSourceConfig;
  /** Null for a table that cannot be captured (already reported): its rows are skipped. */
  readonly eventsFor: (table: TableStructure) => TableEvents | null;
  readonly partition: SourcePartition;
  readonly dispatcher: EventDispatcher;
  /** Sees every streamed change (its chunk's rows of those keys are older); its context goes into every offset. */
  readonly incremental: IncrementalSnapshot;
}

/**
 * Turns what the binlog listener queued into records and hands them to the dispatcher:
 * change events with their offsets (skipping what a resume offset says was emitted),
 * truncates, schema change events, and the BEGIN / END records of
 * provide.transaction.metadata (at the binlog positions a restart resumes from).
 */
export class BinlogRecords {
  constructor(private readonly deps: BinlogRecordsDeps) {}

  /**
   * Dispatches the change events of one row event; returns the offset of its last row not
   * emitted before a restart (where a reconnect resumes), or null when every row was.
   */
  async rows(item: RowsItem): Promise<BinlogOffset | null> {
    const { partition, dispatcher } = this.deps;
    const events = this.deps.eventsFor(item.table);
    if (events === null) return null;
    const { transaction } = item;
    const skipped = dispatcher.skips(item.op);
    let last: BinlogOffset | null = null;
    for (let index = 0; index < item.rows.length; index++) {
      const row = item.rows[index]!;
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
      if (skipped) continue;
      // Transaction metadata counts the rows a restart skips too, so orders stay the same.
      const block = this.transactionBlock(transaction, `${item.table.db}.${item.table.table}`);
      const tracker = transaction.tracker;
      if (emitted) {
        // Its BEGIN went out before the restart.
        if (tracker !== null) tracker.begun = true;
        continue;
      }
      if (tracker !== null && !tracker.begun) {
        // BEGIN resumes right before this row: a restart from it emits this row again.
        await dispatcher.beginTransaction(tracker, this.offsetOf({ ...offset, row: index - 1 }), item.tsMs);
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
        this.offsetOf(offset),
        item.tsMs,
        block,
      );
      this.deps.incremental.streamed(record);
      await dispatcher.changeEvent(record, item.op, item.tsMs);
    }
    return last;
  }

  /** The stored form of `offset`, carrying the incremental snapshot's context and the captured tables. */
  offsetOf(offset: BinlogOffset): SourceOffset {
    return toSourceOffset({ ...offset, ...this.deps.incremental.offsetFields });
  }

  /** The END record of a committed transaction whose BEGIN went out. */
  async transactionEnd(
    transaction: OpenTransaction | null,
    offset: BinlogOffset,
    tsMs: number,
  ): Promise<void> {
    const tracker = transaction?.tracker ?? null;
    if (tracker === null) return;
    await this.deps.dispatcher.commitTransaction(tracker, this.offsetOf(offset), tsMs);
  }

  /** Debezium's truncate events (op "t", no key, no row images); skipped by default (skipped.operations=t). */
  async truncates(item: DdlItem, offset: BinlogOffset): Promise<void> {
    const { partition, dispatcher } = this.deps;
    for (const table of item.truncated) {
      const events = this.deps.eventsFor(table);
      if (events === null) continue;
      this.deps.incremental.truncated(events.topic);
      if (dispatcher.skips('t')) continue;
      const record = events.changeRecord(
        't',
        null,
        null,
        this.source(table, item.gtid, item.file, item.pos, 0, item.thread, item.tsMs),
        partition,
        this.offsetOf(offset),
        item.tsMs,
      );
      await dispatcher.changeEvent(record, 't', item.tsMs);
    }
  }

  async schemaChange(item: DdlItem, changes: readonly SchemaChange[], offset: BinlogOffset): Promise<void> {
    const { config, partition } = this.deps;
    const table =
      changes.length === 1 ? { db: item.db, table: changes[0]!.table } : { db: item.db, table: null };
    await this.deps.dispatcher.add(
      schemaChangeRecord(
        config.cdc.topicPrefix,
        item.db,
        item.sql,
        changes,
        this.source(table, item.gtid, item.file, item.pos, 0, item.thread, item.tsMs),
        partition,
        this.offsetOf(offset),
        item.tsMs,
      ),
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
