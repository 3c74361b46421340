import {
  array,
  boolean,
  int32,
  int64,
  optional,
  string,
  struct,
  type Schema,
  type SourceOffset,
  type SourcePartition,
  type SourceRecord,
  type Struct,
} from '../../runtime/record/index.js';
import { mysqlSourceSchema } from './source-info.js';
import type { TableStructure } from './table-structure.js';

/**
 * Debezium's schema change events on the `<topic.prefix>` topic (include.schema.changes):
 * key {databaseName}, value {source, ts_ms, databaseName, schemaName, ddl, tableChanges}.
 * Column entries carry the subset of Debezium's column description Siphon knows:
 * name, typeName, typeExpression, charsetName, position and optional.
 */
const columnSchema: Schema = struct('io.debezium.connector.schema.Column', [
  ['name', string()],
  ['typeName', string()],
  ['typeExpression', optional(string())],
  ['charsetName', optional(string())],
  ['position', int32()],
  ['optional', optional(boolean())],
]);

const tableSchema: Schema = optional(
  struct('io.debezium.connector.schema.Table', [
    ['defaultCharsetName', optional(string())],
    ['primaryKeyColumnNames', optional(array(string()))],
    ['columns', array(columnSchema)],
  ]),
);

const changeSchema: Schema = struct('io.debezium.connector.schema.Change', [
  ['type', string()],
  ['id', string()],
  ['table', tableSchema],
]);

export const schemaChangeKeySchema: Schema = struct('io.debezium.connector.mysql.SchemaChangeKey', [
  ['databaseName', string()],
]);

export const schemaChangeValueSchema: Schema = struct('io.debezium.connector.mysql.SchemaChangeValue', [
  ['source', mysqlSourceSchema],
  ['ts_ms', int64()],
  ['databaseName', optional(string())],
  ['schemaName', optional(string())],
  ['ddl', optional(string())],
  ['tableChanges', array(changeSchema)],
]);

export interface SchemaChange {
  readonly type: 'CREATE' | 'ALTER' | 'DROP';
  readonly db: string;
  readonly table: string;
  /** null for DROP. */
  readonly schema: TableStructure | null;
}

function tableValue(schema: TableStructure): Struct {
  return {
    defaultCharsetName: schema.defaultCharset,
    primaryKeyColumnNames: [...schema.primaryKey],
    columns: schema.columns.map((column, index) => ({
      name: column.name,
      typeName: column.json
        ? 'JSON'
        : (column.columnType.split(/[ (]/)[0] ?? column.columnType).toUpperCase(),
      typeExpression: column.columnType,
      charsetName: column.charset,
      position: index + 1,
      optional: column.nullable,
    })),
  };
}

export function schemaChangeRecord(
  topicPrefix: string,
  databaseName: string,
  ddl: string,
  changes: readonly SchemaChange[],
  source: Struct,
  partition: SourcePartition,
  offset: SourceOffset,
  eventTimeMs: number,
): SourceRecord {
  return {
    topic: topicPrefix,
    keySchema: schemaChangeKeySchema,
    key: { databaseName },
    valueSchema: schemaChangeValueSchema,
    value: {
      source,
      ts_ms: BigInt(Date.now()),
      databaseName,
      schemaName: null,
      ddl,
      tableChanges: changes.map((change) => ({
        type: change.type,
        id: `"${change.db}"."${change.table}"`,
        table: change.schema === null ? null : tableValue(change.schema),
      })),
    },
    timestamp: eventTimeMs,
    sourcePartition: partition,
    sourceOffset: offset,
  };
}
