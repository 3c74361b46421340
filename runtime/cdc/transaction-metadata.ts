import type { Schema, SourceOffset, SourcePartition, SourceRecord } from '../record/index.js';
import { array, int64, named, optional, string, struct } from '../record/index.js';
import type { TransactionBlock } from './change-event.js';

/**
 * `provide.transaction.metadata`: BEGIN and END records on `<topic.prefix>.transaction`
 * (END with per-table event counts) and a `transaction` block in each change event.
 * Schemas as Debezium 3.x: key and value version 1, `event_count` and `data_collections`
 * optional (null in BEGIN).
 */
export const transactionKeySchema: Schema = named(
  struct(undefined, [['id', string()]]),
  'io.debezium.connector.common.TransactionMetadataKey',
  { version: 1 },
);

const dataCollectionSchema: Schema = named(
  struct(undefined, [
    ['data_collection', string()],
    ['event_count', int64()],
  ]),
  'event.collection',
  { version: 1 },
);

export const transactionValueSchema: Schema = named(
  struct(undefined, [
    ['status', string()],
    ['id', string()],
    ['event_count', optional(int64())],
    ['data_collections', optional(array(dataCollectionSchema))],
    ['ts_ms', int64()],
  ]),
  'io.debezium.connector.common.TransactionMetadataValue',
  { version: 1 },
);

export function transactionTopic(topicPrefix: string): string {
  return `${topicPrefix}.transaction`;
}

/**
 * Counts one transaction's events, overall and per data collection, for the event blocks
 * and the END record. Memory is one counter per table the transaction touched.
 */
export class TransactionTracker {
  private readonly perCollection = new Map<string, bigint>();
  private total = 0n;
  /** Whether its BEGIN record went out (in this run, or before a restart that resumes inside it). */
  begun = false;

  constructor(readonly id: string) {}

  /** Counts an event of `dataCollection` (`<namespace>.<table>`) and returns its block. */
  next(dataCollection: string): TransactionBlock {
    this.total += 1n;
    const order = (this.perCollection.get(dataCollection) ?? 0n) + 1n;
    this.perCollection.set(dataCollection, order);
    return { id: this.id, total_order: this.total, data_collection_order: order };
  }

  get eventCount(): bigint {
    return this.total;
  }

  beginRecord(topic: string, partition: SourcePartition, offset: SourceOffset, tsMs: number): SourceRecord {
    return this.record(topic, partition, offset, tsMs, {
      status: 'BEGIN',
      id: this.id,
      event_count: null,
      data_collections: null,
      ts_ms: BigInt(tsMs),
    });
  }

  endRecord(topic: string, partition: SourcePartition, offset: SourceOffset, tsMs: number): SourceRecord {
    return this.record(topic, partition, offset, tsMs, {
      status: 'END',
      id: this.id,
      event_count: this.total,
      data_collections: [...this.perCollection].map(([data_collection, event_count]) => ({
        data_collection,
        event_count,
      })),
      ts_ms: BigInt(tsMs),
    });
  }

  private record(
    topic: string,
    partition: SourcePartition,
    offset: SourceOffset,
    tsMs: number,
    value: Record<string, unknown>,
  ): SourceRecord {
    return {
      topic,
      keySchema: transactionKeySchema,
      key: { id: this.id },
      valueSchema: transactionValueSchema,
      value,
      timestamp: tsMs,
      sourcePartition: partition,
      sourceOffset: offset,
    };
  }
}
