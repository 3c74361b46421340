import { randomUUID } from 'node:crypto';
import type { Schema, SourceOffset, SourcePartition, SourceRecord } from '../record/index.js';
import { int64, map, string, struct } from '../record/index.js';

/**
 * Debezium's notifications (`notification.enabled.channels`): what a snapshot is doing, as
 * `{id, aggregate_type, type, additional_data, timestamp}`. Channel `sink` writes them as
 * records to `notification.sink.topic.name` (through the connector's converters, in order
 * with the snapshot's records); channel `log` logs them.
 */
export type NotificationChannel = 'sink' | 'log';

export const notificationChannels: readonly NotificationChannel[] = ['sink', 'log'];

export type SnapshotAggregate = 'Initial Snapshot' | 'Incremental Snapshot';

/** Debezium's snapshot notification types. */
export type SnapshotNotificationType =
  'STARTED' | 'IN_PROGRESS' | 'TABLE_SCAN_COMPLETED' | 'COMPLETED' | 'ABORTED' | 'PAUSED' | 'RESUMED';

export interface SnapshotNotification {
  readonly aggregateType: SnapshotAggregate;
  readonly type: SnapshotNotificationType;
  readonly additionalData: Readonly<Record<string, string>>;
}

/** Where notifications go; the EventDispatcher implements it. */
export interface SnapshotNotifier {
  notify(notification: SnapshotNotification): void;
}

export const notificationValueSchema: Schema = struct('io.debezium.connector.common.Notification', [
  ['id', string()],
  ['aggregate_type', string()],
  ['type', string()],
  ['additional_data', map(string(), string())],
  ['timestamp', int64()],
]);

/** A notification as a record on the sink topic, keyed by its id. */
export function notificationRecord(
  topic: string,
  notification: SnapshotNotification,
  partition: SourcePartition,
  offset: SourceOffset,
  nowMs: number,
): SourceRecord {
  const id = randomUUID();
  return {
    topic,
    keySchema: string(),
    key: id,
    valueSchema: notificationValueSchema,
    value: {
      id,
      aggregate_type: notification.aggregateType,
      type: notification.type,
      additional_data: new Map(Object.entries(notification.additionalData)),
      timestamp: BigInt(nowMs),
    },
    timestamp: nowMs,
    sourcePartition: partition,
    sourceOffset: offset,
  };
}
