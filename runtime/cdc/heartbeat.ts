import type { Schema, SourceOffset, SourcePartition, SourceRecord } from '../record/index.js';

/**
 * Debezium heartbeats: a record on `<heartbeat.topics.prefix>.<topic.prefix>` every
 * `heartbeat.interval.ms`, carrying the connector's current offset so that the runtime
 * commits it and the source can acknowledge its position even when no captured table changes.
 */
export const heartbeatKeySchema: Schema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.common.ServerNameKey',
  fields: [{ name: 'serverName', index: 0, schema: { type: 'string', optional: false } }],
};

export const heartbeatValueSchema: Schema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.common.Heartbeat',
  fields: [{ name: 'ts_ms', index: 0, schema: { type: 'int64', optional: false } }],
};

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
