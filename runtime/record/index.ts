export type { Schema, SchemaType, Field, Struct, SchemaAndValue } from './schema.js';
export type {
  ConnectRecord,
  SourceRecord,
  SinkRecord,
  RecordHeader,
  SourcePartition,
  SourceOffset,
} from './records.js';
