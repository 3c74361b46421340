import type pg from 'pg';
import { epochMicrosNow, type TransactionBlock } from '../../runtime/cdc/index.js';
import type { EventDispatcher, IncrementalSnapshot } from '../../runtime/cdc/index.js';
import { TransactionTracker } from '../../runtime/cdc/index.js';
import { DataError, type SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceOffset, SourceRecord, Struct } from '../../runtime/record/index.js';
import { columnDefaults, notNullColumns, primaryKey } from './catalog.js';
import type { ChangeContext, ChangeRecords } from './change-records.js';
import type { PostgresOptions } from './config.js';
import { formatLsn } from './lsn.js';
import { alreadyEmitted, toSourceOffset, type SnapshotProgress, type StreamPosition } from './lsn-offset.js';
import {
  decodePgoutput,
  streamedTags,
  type PgoutputMessage,
  type Relation,
  type Tuple,
} from './pgoutput-decoder.js';
import { StreamedTransactions } from './streamed-transactions.js';
import type { ReplicationStream } from './replication-stream.js';
import { ColumnValueError, TableEvents, type TableEventOptions } from './table-events.js';
import type { TypeRegistry } from './type-registry.js';

/** The transaction being read: its commit, origin and the number of its next event. */
interface OpenTransaction {
  readonly xid: number;
  readonly commitLsn: bigint;
  readonly commitTimeMs: number;
  readonly commitTimeMicros: bigint;
  /** Set by an ORIGIN message right after BEGIN (a transaction a subscriber replayed). */
  origin: { readonly name: string; readonly lsn: bigint } | null;
  seq: number;
  tracker: TransactionTracker | null;
}

/**
 * Turns the pgoutput stream into change events. Relation messages keep the table schema
 * cache current (a changed relation yields a new schema version); each change counts as
 * the n-th event of its transaction, so after a restart or reconnect everything already
 * emitted is recognised and skipped (see `alreadyEmitted`).
 */
export class ChangeStreamReader {
  private readonly relations = new Map<number, { relation: Relation; table: TableEvents | null }>();
  private tx: OpenTransaction | null = null;
  /** Last emitted (or skipped as already emitted) position. */
  private position: StreamPosition;
  /** End LSN of the last complete transaction, or an idle keepalive's position. */
  private lastCompleteEnd: bigint | null;
  private lastCompleteCommit: bigint | null;
  private readonly completedSnapshot: SnapshotProgress = {
    inProgress: false,
    completed: true,
    table: null,
    lastKey: null,
  };

  constructor(
    private readonly options: PostgresOptions,
    private readonly context: SourceTaskContext,
    private readonly admin: pg.Client,
    private readonly registry: TypeRegistry,
    private readonly schemaOptions: TableEventOptions,
    private readonly records: ChangeRecords,
    private readonly dispatcher: EventDispatcher,
    /** What was emitted before: a committed offset, or the snapshot's consistent point. */
    private readonly resume: StreamPosition,
    /** Signals and the incremental snapshot, run on this stream's thread; its context goes into every offset. */
    private readonly incremental: IncrementalSnapshot,
  ) {
    this.position = resume;
    this.lastCompleteEnd = resume.lsnFlush;
    this.lastCompleteCommit = resume.txDone ? resume.lsnCommit : null;
  }

  /** The position of the last emitted record, which is where a reconnect resumes. */
  get emittedPosition(): StreamPosition {
    return this.position;
  }

  /** Reads `stream` until it ends or the task stops; heartbeats are emitted in between. */
  async run(stream: ReplicationStream, sendStatus: (replyRequested: boolean) => void): Promise<void> {
    // A new session sends relation messages again; drop the half-read transaction.
    this.relations.clear();
    this.tx = null;
    this.streamXid = null;
    await this.streamed.clear();
    try {
      await this.incremental.resume();
      for (;;) {
        const message = await stream.next(
          this.context.signal,
          Math.max(1, Math.min(1000, this.dispatcher.msUntilHeartbeat(Date.now()))),
        );
        if (this.context.signal.aborted || message === null) return;
        if (message === 'idle') {
          // Nothing arrived for a while; only the heartbeat check below is due.
        } else if (message.kind === 'keepalive') {
          if (
            this.tx === null &&
            this.dispatcher.size === 0 &&
            message.walEnd > (this.lastCompleteEnd ?? 0n)
          ) {
            // Everything before walEnd has been processed: idle WAL may be acknowledged.
            this.idleKeepaliveLsn = message.walEnd;
          }
          if (message.replyRequested) sendStatus(false);
        } else {
          await this.receive(message.data, message.walStart);
        }
        if (this.dispatcher.heartbeatDue(Date.now())) {
          // Ask for a keepalive so the next heartbeat knows how far the idle WAL reaches.
          sendStatus(true);
          await this.heartbeat();
        }
        // Signals sent through the runtime (REST) are handled here, between stream messages.
        for (const signal of this.context.signals.take()) await this.incremental.signal(signal);
      }
    } finally {
      await this.dispatcher.flush().catch(() => undefined);
      await this.streamed.clear();
    }
  }

  private idleKeepaliveLsn: bigint | null = null;

  /** The offset of `position`, carrying the incremental snapshot's context and the captured tables. */
  offsetAt(position: StreamPosition): SourceOffset {
    return toSourceOffset({
      position,
      snapshot: this.completedSnapshot,
      ...this.incremental.offsetFields,
    });
  }

  /**
   * How far the slot may be confirmed. `committed` is the flush LSN of the last stored
   * offset, which trails the last transaction (a record carries the end of the
   * transaction before its own). Once every emitted record is stored, no transaction is
   * open and nothing waits in the dispatcher, the end of the last transaction and the WAL
   * end of an idle keepalive may be confirmed too, as pg_recvlogical does: otherwise the
   * walsender never sees its sent WAL confirmed, and a fast shutdown waits forever.
   */
  confirmable(committed: bigint, everythingCommitted: boolean): bigint {
    if (!everythingCommitted || this.tx !== null || this.dispatcher.size > 0) return committed;
    return maxLsn(maxLsn(committed, this.lastCompleteEnd), this.idleKeepaliveLsn) ?? committed;
  }

  private async heartbeat(): Promise<void> {
    if (this.options.heartbeatActionQuery !== null) {
      await this.admin.query(this.options.heartbeatActionQuery);
    }
    let position = this.position;
    if (this.tx === null) {
      const flush = maxLsn(this.lastCompleteEnd, this.idleKeepaliveLsn);
      position = {
        ...position,
        lsnFlush: flush,
        txDone: true,
        lsnCommit: this.lastCompleteCommit ?? position.lsnCommit,
      };
    }
    await this.dispatcher.heartbeat(this.offsetAt(position), Date.now());
  }

  /** Top-level xid of the stream block being received (protocol 2 streaming), or null. */
  private streamXid: number | null = null;
  private readonly streamed = new StreamedTransactions();

  private async receive(data: Buffer, walStart: bigint): Promise<void> {
    if (this.streamXid !== null && streamedTags.has(String.fromCharCode(data[0]!))) {
      // A change of an in-progress transaction: kept until its stream commit or abort.
      await this.streamed.append(this.streamXid, data.readUInt32BE(1), walStart, data);
      return;
    }
    await this.handle(decodePgoutput(data), walStart);
  }

  private async replayStreamed(message: Extract<PgoutputMessage, { tag: 'stream_commit' }>): Promise<void> {
    await this.handle(
      {
        tag: 'begin',
        xid: message.xid,
        commitLsn: message.commitLsn,
        commitTimeMicros: message.commitTimeMicros,
      },
      message.commitLsn,
    );
    for await (const spilled of this.streamed.replay(message.xid)) {
      await this.handle(decodePgoutput(spilled.data, true), spilled.walStart);
    }
    await this.commit(message.commitLsn, message.endLsn);
  }

  private async handle(message: PgoutputMessage, walStart: bigint): Promise<void> {
    switch (message.tag) {
      case 'begin':
        this.idleKeepaliveLsn = null;
        this.tx = {
          xid: message.xid,
          commitLsn: message.commitLsn,
          commitTimeMicros: message.commitTimeMicros,
          commitTimeMs: Number(message.commitTimeMicros / 1000n),
          origin: null,
          seq: 0,
          tracker: null,
        };
        return;
      case 'relation':
        await this.updateRelation(message.relation);
        return;
      case 'insert':
      case 'update':
      case 'delete':
        await this.guarded(message.relationOid, walStart, () => this.change(message, walStart));
        return;
      case 'truncate':
        for (const oid of message.relationOids) {
          const table = this.relations.get(oid)?.table;
          if (table == null) continue;
          const ctx = await this.next(table.dataCollection, walStart);
          if (ctx === null) continue;
          this.incremental.truncated(table.topic);
          if (this.dispatcher.skips('t')) continue;
          await this.dispatcher.changeEvent(
            this.records.change(table, 't', null, null, null, ctx),
            't',
            ctx.tsMs,
          );
        }
        return;
      case 'message': {
        const ctx = message.transactional
          ? await this.next(`${this.options.topicPrefix}.message`, walStart)
          : this.loose(message.lsn);
        if (ctx === null) return;
        await this.dispatcher.changeEvent(
          this.records.message(message.prefix, message.content, ctx),
          'm',
          ctx.tsMs,
        );
        if (!message.transactional) await this.dispatcher.flush();
        return;
      }
      case 'commit':
        await this.commit(message.commitLsn, message.endLsn);
        return;
      case 'stream_start':
        this.streamXid = message.xid;
        return;
      case 'stream_stop':
        this.streamXid = null;
        return;
      case 'stream_abort':
        await this.streamed.abort(message.xid, message.subXid);
        return;
      case 'stream_commit':
        await this.replayStreamed(message);
        return;
      case 'origin':
        if (this.tx !== null) this.tx.origin = { name: message.name, lsn: message.lsn };
        return;
      case 'type':
        return;
    }
  }

  private async updateRelation(relation: Relation): Promise<void> {
    if (!this.schemaOptions.filter.includesTable(relation.schema, relation.table)) {
      this.relations.set(relation.relationOid, { relation, table: null });
      return;
    }
    for (const column of relation.columns) await this.registry.resolve(column.typeOid);
    const pk =
      relation.replicaIdentity === 'full' || relation.replicaIdentity === 'nothing'
        ? await primaryKey(this.admin, relation.relationOid)
        : relation.columns.filter((c) => c.isKey).map((c) => c.name);
    const dataCollection = `${relation.schema}.${relation.table}`;
    let table: TableEvents;
    try {
      table = TableEvents.build(
        relation.schema,
        relation.table,
        relation.columns,
        pk,
        await notNullColumns(this.admin, relation.relationOid),
        this.registry,
        this.schemaOptions,
        await columnDefaults(this.admin, relation.relationOid),
      );
    } catch (error) {
      // One table's problem never stops the others: its changes are skipped and reported.
      this.schemaOptions.uncaptured.add(dataCollection, (error as Error).message);
      this.relations.set(relation.relationOid, { relation, table: null });
      return;
    }
    this.schemaOptions.uncaptured.remove(dataCollection);
    // A table this start did not list was created since: streamed from its first row.
    this.incremental.tableCreated(dataCollection);
    if (table.unmappedColumns.length > 0) {
      this.context.logger.warn(
        'columns of unknown types left out (set include.unknown.datatypes=true to pass their text)',
        {
          table: table.dataCollection,
          columns: table.unmappedColumns,
        },
      );
    }
    this.relations.set(relation.relationOid, { relation, table });
  }

  /**
   * Counts the next event of the open transaction and returns its context, or null if a
   * previous run emitted it already.
   */
  private async next(dataCollection: string, walStart: bigint): Promise<ChangeContext | null> {
    const tx = this.tx;
    if (tx === null) throw new Error('pgoutput: change outside a transaction');
    tx.seq++;
    if (alreadyEmitted(this.resume, tx.commitLsn, tx.seq)) return null;
    let block: TransactionBlock | null = null;
    if (this.options.provideTransactionMetadata) {
      if (tx.tracker === null) {
        // Debezium's PostgreSQL transaction id is `txId:LSN`; the LSN is the commit's, known at BEGIN.
        tx.tracker = new TransactionTracker(`${tx.xid}:${tx.commitLsn}`);
        await this.dispatcher.beginTransaction(tx.tracker, this.offsetAt(this.position), tx.commitTimeMs);
      }
      block = tx.tracker.next(dataCollection);
    }
    this.position = {
      lsn: walStart,
      lsnCommit: tx.commitLsn,
      lsnFlush: this.lastCompleteEnd,
      txId: tx.xid,
      tsUsec: tx.commitTimeMicros,
      eventSeq: tx.seq,
      txDone: false,
    };
    return {
      tsMs: tx.commitTimeMs,
      tsUs: tx.commitTimeMicros,
      origin: tx.origin,
      snapshot: 'false',
      txId: tx.xid,
      lsn: walStart,
      lastCommitLsn: this.lastCompleteEnd,
      transaction: block,
      offset: this.offsetAt(this.position),
    };
  }

  /** Context of a non-transactional logical message, which has no transaction to count in. */
  private loose(lsn: bigint): ChangeContext | null {
    if (this.resume.lsn !== null && lsn <= this.resume.lsn) return null;
    const now = epochMicrosNow();
    return {
      tsMs: Number(now / 1000n),
      tsUs: now,
      origin: null,
      snapshot: 'false',
      txId: null,
      lsn,
      lastCommitLsn: this.lastCompleteEnd,
      transaction: null,
      offset: this.offsetAt({ ...this.position, lsn }),
    };
  }

  /**
   * Runs `emit` for one change; a value that cannot be captured fails the task naming
   * table, column and LSN, or (errors.tolerance=all) skips that change with a warning.
   */
  private async guarded(relationOid: number, walStart: bigint, emit: () => Promise<void>): Promise<void> {
    try {
      await emit();
    } catch (error) {
      if (!(error instanceof ColumnValueError)) throw error;
      const table = this.relations.get(relationOid)?.table?.dataCollection ?? `relation ${relationOid}`;
      const lsn = formatLsn(walStart);
      if (!this.options.skipBadValues) {
        throw new DataError(`${table} at LSN ${lsn}: ${error.message}`, { cause: error });
      }
      this.context.logger.warn(
        'skipping a change with a value that cannot be captured (errors.tolerance=all)',
        {
          table,
          column: error.column,
          lsn,
          error: error.message,
        },
      );
    }
  }

  private async change(
    message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' }>,
    walStart: bigint,
  ): Promise<void> {
    const entry = this.relations.get(message.relationOid);
    if (entry === undefined) throw new Error(`pgoutput: change for unknown relation ${message.relationOid}`);
    if (entry.table !== null) await this.capturedChange(message, entry.table, walStart);
    const { relation } = entry;
    if (message.tag === 'insert' && this.incremental.isSignalTable(`${relation.schema}.${relation.table}`)) {
      const text = (name: string): string | null =>
        message.newTuple[relation.columns.findIndex((c) => c.name === name)] ?? null;
      await this.incremental.signalRow(text('id') ?? '', text('type') ?? '', text('data'));
    }
  }

  private async capturedChange(
    message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' }>,
    table: TableEvents,
    walStart: bigint,
  ): Promise<void> {
    if (message.tag === 'insert') {
      const ctx = await this.next(table.dataCollection, walStart);
      if (ctx === null || this.dispatcher.skips('c')) return;
      const after = table.rowValue(message.newTuple);
      await this.dispatchChange(
        this.records.change(table, 'c', table.keyValue(message.newTuple), null, after, ctx),
        'c',
        ctx.tsMs,
      );
      return;
    }
    if (message.tag === 'delete') {
      const ctx = await this.next(table.dataCollection, walStart);
      if (ctx === null || this.dispatcher.skips('d')) return;
      await this.emitDelete(table, message.oldTuple, message.oldKind === 'K', ctx);
      return;
    }
    const oldTuple = message.oldTuple;
    const newKey = table.keyValue(message.newTuple);
    const oldKey = oldTuple === null ? null : table.keyValue(oldTuple);
    if (oldTuple !== null && oldKey !== null && !sameKey(oldKey, newKey)) {
      // A primary key change is a delete of the old key and a create of the new one, as in Debezium.
      const deleteCtx = await this.next(table.dataCollection, walStart);
      if (deleteCtx !== null && !this.dispatcher.skips('d'))
        await this.emitDelete(table, oldTuple, message.oldKind === 'K', deleteCtx);
      const createCtx = await this.next(table.dataCollection, walStart);
      if (createCtx === null || this.dispatcher.skips('c')) return;
      const fallback = message.oldKind === 'O' ? oldTuple : null;
      const after = table.rowValue(message.newTuple, fallback);
      const unavailable = table.unavailableColumns(message.newTuple, fallback);
      await this.dispatchChange(
        this.records.change(table, 'c', newKey, null, after, createCtx, unavailable),
        'c',
        createCtx.tsMs,
      );
      return;
    }
    const ctx = await this.next(table.dataCollection, walStart);
    if (ctx === null || this.dispatcher.skips('u')) return;
    const fullOld = message.oldKind === 'O' ? oldTuple : null;
    const before = fullOld === null ? null : table.rowValue(fullOld);
    const after = table.rowValue(message.newTuple, fullOld);
    const unavailable = table.unavailableColumns(message.newTuple, fullOld);
    await this.dispatchChange(
      this.records.change(table, 'u', newKey, before, after, ctx, unavailable),
      'u',
      ctx.tsMs,
    );
  }

  private async emitDelete(
    table: TableEvents,
    oldTuple: Tuple,
    keyOnly: boolean,
    ctx: ChangeContext,
  ): Promise<void> {
    const key = table.keyValue(oldTuple);
    const before = keyOnly ? table.keyOnlyRowValue(oldTuple) : table.rowValue(oldTuple);
    // The dispatcher adds the tombstone (tombstones.on.delete).
    await this.dispatchChange(this.records.change(table, 'd', key, before, null, ctx), 'd', ctx.tsMs);
  }

  /** A streamed change: it replaces its key's row in an incremental snapshot's open window, and goes out. */
  private async dispatchChange(record: SourceRecord, op: 'c' | 'u' | 'd', tsMs: number): Promise<void> {
    this.incremental.streamed(record);
    await this.dispatcher.changeEvent(record, op, tsMs);
  }

  private async commit(commitLsn: bigint, endLsn: bigint): Promise<void> {
    const tx = this.tx;
    this.tx = null;
    this.lastCompleteEnd = endLsn;
    this.lastCompleteCommit = commitLsn;
    if (tx === null) return;
    // Every event of the transaction is now emitted (or was, before a restart).
    this.position = {
      lsn: this.position.lsn,
      lsnCommit: commitLsn,
      lsnFlush: endLsn,
      txId: tx.xid,
      tsUsec: tx.commitTimeMicros,
      eventSeq: tx.seq,
      txDone: true,
    };
    if (tx.tracker !== null) {
      await this.dispatcher.commitTransaction(tx.tracker, this.offsetAt(this.position), tx.commitTimeMs);
    }
    await this.dispatcher.flush();
  }
}

function maxLsn(a: bigint | null, b: bigint | null): bigint | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function sameKey(a: Struct | null, b: Struct | null): boolean {
  if (a === null || b === null) return a === b;
  return Object.keys(a).every((k) => {
    const x = a[k];
    const y = b[k];
    return Buffer.isBuffer(x) && Buffer.isBuffer(y)
      ? x.equals(y)
      : JSON.stringify(x, big) === JSON.stringify(y, big);
  });
}

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
