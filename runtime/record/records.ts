import type { Schema } from './schema.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | string | null;
}

/** What connectors and converters exchange; `topic` is the Kafka topic. */
export interface ConnectRecord {
  readonly topic: string;
  /** Explicit partition; absent or null lets the producer partition by key. */
  readonly kafkaPartition?: number | null;
  readonly keySchema: Schema | null;
  readonly key: unknown;
  readonly valueSchema: Schema | null;
  /** null is a tombstone. */
  readonly value: unknown;
  /** Epoch milliseconds of the record (the source event time where known). */
  readonly timestamp?: number;
  readonly headers?: readonly RecordHeader[];
}

/** Where in the source a record came from: the keys of Kafka Connect's offset layout. */
export type SourcePartition = Readonly<Record<string, string | number | boolean>>;
export type SourceOffset = Readonly<Record<string, string | number | boolean | null>>;

export interface SourceRecord extends ConnectRecord {
  readonly sourcePartition: SourcePartition;
  readonly sourceOffset: SourceOffset;
}

export interface SinkRecord extends ConnectRecord {
  readonly kafkaPartition: number;
  /** Kafka offsets are int64. */
  readonly kafkaOffset: bigint;
}
