import type { SourceTaskContext, TaskLogger } from '../plugin/index.js';
import type { SourceOffset, SourcePartition, SourceRecord } from '../record/index.js';
import type { CdcOptions } from './cdc-config.js';
import { CdcMetrics, changeEventMetrics, type ChangeEventMetrics } from './cdc-metrics.js';
import type { Op } from './change-event.js';
import { heartbeatRecord, heartbeatTopic } from './heartbeat.js';
import { SnapshotLookahead, type SnapshotTablePlace } from './snapshot-lookahead.js';
import { transactionTopic, type TransactionTracker } from './transaction-metadata.js';
import { notificationRecord, type SnapshotNotification, type SnapshotNotifier } from './notifications.js';

/** The options the dispatcher applies, as both sources read them. */
export type DispatcherOptions = Pick<
  CdcOptions,
  | 'topicPrefix'
  | 'skippedOperations'
  | 'tombstonesOnDelete'
  | 'provideTransactionMetadata'
  | 'heartbeatIntervalMs'
  | 'heartbeatTopicsPrefix'
  | 'maxBatchSize'
  | 'notificationTopic'
  | 'notificationsLogged'
>;

/**
 * The one place a CDC source hands its records to (Debezium's EventDispatcher). The source
 * decodes and builds change events; the dispatcher applies what every source shares:
 * `skipped.operations` (asked with `skips` before an event is built), a tombstone after
 * each delete (`tombstones.on.delete`), BEGIN/END records and the counts behind each
 * event's transaction block (`provide.transaction.metadata`), heartbeats
 * (`heartbeat.interval.ms`), the snapshot's first/last markers (one record of look-ahead),
 * batches of at most `max.batch.size` records into the runtime's bounded queue (whose
 * `emit` waits while it is full: the backpressure reaches the source's socket through the
 * caller), and the change-event metrics, once per batch.
 */
export class EventDispatcher implements SnapshotNotifier {
  private pending: SourceRecord[] = [];
  /** Sink notifications waiting for a record whose offset they can carry (none dispatched yet). */
  private waitingNotifications: SnapshotNotification[] = [];
  /** Change events per op in `pending`, applied to the metrics once per batch (cheaper than per record). */
  private readonly opCounts = new Map<Op, number>();
  private lastSourceTsMs: number | undefined;
  private lastSourceOffset: SourceOffset | null = null;
  private readonly transactionTopic: string;
  private readonly heartbeatTopic: string;
  private lastHeartbeatMs = Date.now();
  private readonly snapshot = new SnapshotLookahead();

  constructor(
    private readonly options: DispatcherOptions,
    private readonly queue: Pick<SourceTaskContext, 'emit'>,
    private readonly partition: SourcePartition,
    private readonly metrics: ChangeEventMetrics,
    private readonly logger: Pick<TaskLogger, 'info'> = { info: () => undefined },
  ) {
    this.transactionTopic = transactionTopic(options.topicPrefix);
    this.heartbeatTopic = heartbeatTopic(options.heartbeatTopicsPrefix, options.topicPrefix);
  }

  /**
   * The offset of the last record dispatched, as JSON: the task compares it with what was
   * committed. Serialized when asked, not per record.
   */
  get lastOffset(): string | null {
    return this.lastSourceOffset === null ? null : JSON.stringify(this.lastSourceOffset);
  }

  /** Records waiting for the next batch. */
  get size(): number {
    return this.pending.length;
  }

  /** Whether `skipped.operations` drops events of `op` (ask before building them). */
  skips(op: Op): boolean {
    return op !== 'r' && op !== 'm' && this.options.skippedOperations.has(op);
  }

  /** A change event; `sourceTsMs` (commit time) sets the lag. A delete is followed by its tombstone. */
  async changeEvent(record: SourceRecord, op: Op, sourceTsMs?: number): Promise<void> {
    this.opCounts.set(op, (this.opCounts.get(op) ?? 0) + 1);
    if (sourceTsMs !== undefined) this.lastSourceTsMs = sourceTsMs;
    // Inline rather than through add(): this runs per row.
    this.pending.push(record);
    this.lastSourceOffset = record.sourceOffset;
    if (op === 'd' && this.options.tombstonesOnDelete) {
      if (this.pending.length >= this.options.maxBatchSize) await this.flush();
      this.pending.push(tombstoneOf(record));
    }
    if (this.pending.length >= this.options.maxBatchSize) await this.flush();
  }

  /** A record that is not a change event (a schema change, transaction metadata, a heartbeat). */
  async add(record: SourceRecord): Promise<void> {
    this.pending.push(record);
    this.lastSourceOffset = record.sourceOffset;
    if (this.pending.length >= this.options.maxBatchSize) await this.flush();
  }

  /**
   * A snapshot notification (notification.enabled.channels): logged, and/or a record on the
   * sink topic in order with the records around it, carrying the offset of the record
   * before it (a notification has no position of its own).
   */
  notify(notification: SnapshotNotification): void {
    if (this.options.notificationsLogged) {
      this.logger.info('snapshot notification', {
        aggregateType: notification.aggregateType,
        type: notification.type,
        ...notification.additionalData,
      });
    }
    if (this.options.notificationTopic === null) return;
    if (this.lastSourceOffset === null) this.waitingNotifications.push(notification);
    else this.pending.push(this.toRecord(notification, this.lastSourceOffset));
  }

  private toRecord(notification: SnapshotNotification, offset: SourceOffset): SourceRecord {
    return notificationRecord(
      this.options.notificationTopic!,
      notification,
      this.partition,
      offset,
      Date.now(),
    );
  }

  /** Hands the pending records to the runtime's queue (waiting while it is full). */
  async flush(): Promise<void> {
    if (this.waitingNotifications.length > 0 && this.lastSourceOffset !== null) {
      const offset = this.lastSourceOffset;
      this.pending.push(...this.waitingNotifications.map((n) => this.toRecord(n, offset)));
      this.waitingNotifications = [];
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.updateMetrics();
    await this.queue.emit(batch);
  }

  // --- transaction metadata ---------------------------------------------------------------

  /** The BEGIN record, before the transaction's first event; `offset` resumes right before that event. */
  async beginTransaction(transaction: TransactionTracker, offset: SourceOffset, tsMs: number): Promise<void> {
    transaction.begun = true;
    await this.add(transaction.beginRecord(this.transactionTopic, this.partition, offset, tsMs));
  }

  /** The END record of a committed transaction whose BEGIN went out. */
  async commitTransaction(
    transaction: TransactionTracker | null,
    offset: SourceOffset,
    tsMs: number,
  ): Promise<void> {
    if (transaction === null || !transaction.begun) return;
    await this.add(transaction.endRecord(this.transactionTopic, this.partition, offset, tsMs));
  }

  // --- heartbeats ---------------------------------------------------------------------------

  /** Whether `heartbeat.interval.ms` passed since the last heartbeat. */
  heartbeatDue(nowMs: number): boolean {
    return (
      this.options.heartbeatIntervalMs > 0 && nowMs - this.lastHeartbeatMs >= this.options.heartbeatIntervalMs
    );
  }

  /** How long a source waiting for data may wait before the next heartbeat is due (1 s when off). */
  msUntilHeartbeat(nowMs: number): number {
    const interval = this.options.heartbeatIntervalMs;
    if (interval <= 0) return 1000;
    return Math.max(0, this.lastHeartbeatMs + interval - nowMs);
  }

  /** A heartbeat carrying the source's current `offset`, emitted at once so the runtime commits it. */
  async heartbeat(offset: SourceOffset, nowMs: number): Promise<void> {
    this.lastHeartbeatMs = nowMs;
    await this.add(
      heartbeatRecord(this.heartbeatTopic, this.options.topicPrefix, this.partition, offset, nowMs),
    );
    await this.flush();
  }

  // --- snapshot markers ------------------------------------------------------------------------

  /** The snapshot starts reading a table (its records built with `source.snapshot` "true"). */
  startSnapshotTable(place: SnapshotTablePlace): void {
    this.snapshot.startTable(place);
  }

  /** A snapshot read (`r`), dispatched with Debezium's marker once the next one is known. */
  async snapshotRecord(record: SourceRecord): Promise<void> {
    this.opCounts.set('r', (this.opCounts.get('r') ?? 0) + 1);
    const marked = this.snapshot.next(record);
    if (marked !== null) await this.add(marked);
  }

  /** The snapshot completed: its last record goes out as "last" with `finalOffset`; then flushes. */
  async endSnapshot(finalOffset: SourceOffset): Promise<void> {
    const last = this.snapshot.end(finalOffset);
    if (last !== null) await this.add(last);
    await this.flush();
  }

  private updateMetrics(): void {
    if (this.opCounts.size === 0) return;
    for (const [op, count] of this.opCounts) this.metrics.countEvents(op, count);
    this.opCounts.clear();
    this.metrics.batchEmitted(Date.now(), this.lastSourceTsMs);
  }
}

/** A source task's dispatcher: batches go to the task's queue, metrics are labelled with its connector. */
export function taskEventDispatcher(
  options: DispatcherOptions,
  context: Pick<SourceTaskContext, 'emit' | 'connectorName' | 'metrics' | 'logger'>,
  partition: SourcePartition,
): EventDispatcher {
  return new EventDispatcher(
    options,
    context,
    partition,
    changeEventMetrics(new CdcMetrics(context.metrics), context.connectorName),
    context.logger,
  );
}

/** The tombstone that follows a delete: its key, a null value, the delete's offset. */
function tombstoneOf(deleted: SourceRecord): SourceRecord {
  return {
    topic: deleted.topic,
    keySchema: deleted.keySchema,
    key: deleted.key,
    valueSchema: null,
    value: null,
    timestamp: deleted.timestamp,
    sourcePartition: deleted.sourcePartition,
    sourceOffset: deleted.sourceOffset,
  };
}
