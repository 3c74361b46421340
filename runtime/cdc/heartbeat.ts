import type { Schema, SourceOffset, SourcePartition, SourceRecord } from '../record/index.js';
import { int64, string, struct } from '../record/index.js';

/**
 * Debezium heartbeats: a record on `<heartbeat.topics.prefix>.<topic.prefix>` every
 * `heartbeat.interval.ms`, carrying the connector's current offset so that the runtime
 * commits it and the source can acknowledge its position even when no captured table changes.
 */
export const heartbeatKeySchema: Schema = struct('io.debezium.connector.common.ServerNameKey', [
  ['serverName', string()],
]);

export const heartbeatValueSchema: Schema = struct('io.debezium.connector.common.Heartbeat', [
  ['ts_ms', int64()],
]);

export function heartbeatTopic(topicsPrefix: string, topicPrefix: string): string {
  return `${topicsPrefix}.${topicPrefix}`;
}

export function heartbeatRecord(
  topic: string,
  serverName: string,
  partition: SourcePartition,
  offset: SourceOffset,
  nowMs: number,
): SourceRecord {
  return {
    topic,
    keySchema: heartbeatKeySchema,
    key: { serverName },
    valueSchema: heartbeatValueSchema,
    value: { ts_ms: BigInt(nowMs) },
    timestamp: nowMs,
    sourcePartition: partition,
    sourceOffset: offset,
  };
}
