export type { Schema, SchemaType, Field, Struct, SchemaAndValue } from './schema.js';
export type {
  ConnectRecord,
  SourceRecord,
  SinkRecord,
  RecordHeader,
  SourcePartition,
  SourceOffset,
} from './records.js';
export {
  int8,
  int16,
  int32,
  int64,
  float32,
  float64,
  boolean,
  string,
  bytes,
  struct,
  array,
  map,
  optional,
  withDefault,
  withDoc,
  named,
  fieldOf,
} from './schema-builders.js';
export {
  LogicalName,
  logicalTypes,
  logical,
  decimal,
  enumOf,
  enumSet,
  bits,
  logicalTypeOf,
} from './logical-types.js';
export type { LogicalTypeName, LogicalTypeDef, PlainLogicalName } from './logical-types.js';
export { validateValue, RecordValueError } from './validate-value.js';
export {
  decimalToUnscaled,
  unscaledToDecimal,
  unscaledToBytes,
  bytesToUnscaled,
  unscaledPrecision,
} from './decimal-value.js';
export { newStruct, copyStruct, isStruct } from './struct-value.js';
export { sourceColumnNameParameter, withSourceColumnName, sourceColumnName } from './source-column-name.js';
