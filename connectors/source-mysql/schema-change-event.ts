import type {
  Schema,
  SourceOffset,
  SourcePartition,
  SourceRecord,
  Struct,
} from '../../runtime/record/index.js';
import { mysqlSourceSchema } from './source-info.js';
import type { TableSchema } from './table-schema.js';

/**
 * Debezium's schema change events on the `<topic.prefix>` topic (include.schema.changes):
 * key {databaseName}, value {source, ts_ms, databaseName, schemaName, ddl, tableChanges}.
 * Column entries carry the subset of Debezium's column description Siphon knows:
 * name, typeName, typeExpression, charsetName, position and optional.
 */
const columnSchema: Schema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.schema.Column',
  fields: [
    { name: 'name', index: 0, schema: { type: 'string', optional: false } },
    { name: 'typeName', index: 1, schema: { type: 'string', optional: false } },
    { name: 'typeExpression', index: 2, schema: { type: 'string', optional: true } },
    { name: 'charsetName', index: 3, schema: { type: 'string', optional: true } },
    { name: 'position', index: 4, schema: { type: 'int32', optional: false } },
    { name: 'optional', index: 5, schema: { type: 'boolean', optional: true } },
  ],
};

const tableSchema: Schema = {
  type: 'struct',
  optional: true,
  name: 'io.debezium.connector.schema.Table',
  fields: [
    { name: 'defaultCharsetName', index: 0, schema: { type: 'string', optional: true } },
    {
      name: 'primaryKeyColumnNames',
      index: 1,
      schema: { type: 'array', optional: true, valueSchema: { type: 'string', optional: false } },
    },
    { name: 'columns', index: 2, schema: { type: 'array', optional: false, valueSchema: columnSchema } },
  ],
};

const changeSchema: Schema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.schema.Change',
  fields: [
    { name: 'type', index: 0, schema: { type: 'string', optional: false } },
    { name: 'id', index: 1, schema: { type: 'string', optional: false } },
    { name: 'table', index: 2, schema: tableSchema },
  ],
};

export const schemaChangeKeySchema: Schema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.mysql.SchemaChangeKey',
  fields: [{ name: 'databaseName', index: 0, schema: { type: 'string', optional: false } }],
};

export const schemaChangeValueSchema: Schema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.mysql.SchemaChangeValue',
  fields: [
    { name: 'source', index: 0, schema: mysqlSourceSchema },
    { name: 'ts_ms', index: 1, schema: { type: 'int64', optional: false } },
    { name: 'databaseName', index: 2, schema: { type: 'string', optional: true } },
    { name: 'schemaName', index: 3, schema: { type: 'string', optional: true } },
    { name: 'ddl', index: 4, schema: { type: 'string', optional: true } },
    { name: 'tableChanges', index: 5, schema: { type: 'array', optional: false, valueSchema: changeSchema } },
  ],
};

export interface SchemaChange {
  readonly type: 'CREATE' | 'ALTER' | 'DROP';
  readonly db: string;
  readonly table: string;
  /** null for DROP. */
  readonly schema: TableSchema | null;
}

function tableValue(schema: TableSchema): Struct {
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
