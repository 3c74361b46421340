import {
  dataCollectionTopic,
  envelopeSchema,
  fieldNamesOf,
  type FieldNameAdjustmentMode,
  envelopeValue,
  epochMicrosNow,
  recordNames,
  topicNameProblem,
} from '../../runtime/cdc/index.js';
import { ConfigError, type TaskLogger } from '../../runtime/plugin/index.js';
import type { MessageKeyColumns, Op, TableFilter, TransactionBlock } from '../../runtime/cdc/index.js';
import {
  withSourceColumnName,
  type Schema,
  type SourceOffset,
  type SourcePartition,
  type SourceRecord,
  type Struct,
} from '../../runtime/record/index.js';
import { columnConverter } from './type-mapping.js';
import type { ColumnConverter, TypeOptions } from './type-mapping.js';
import { mysqlSourceSchema } from './source-info.js';
import type { TableStructure } from './table-structure.js';
import { newStruct } from '../../runtime/record/index.js';

export interface TableEventOptions {
  readonly topicPrefix: string;
  /** Where a sanitised topic name is logged (once per table). */
  readonly logger: TaskLogger;
  readonly fieldNameMode: FieldNameAdjustmentMode;
  readonly filter: TableFilter;
  readonly keyColumns: MessageKeyColumns;
  readonly types: TypeOptions;
}

interface ConvertedColumn {
  readonly name: string;
  /** The column's field name under field.name.adjustment.mode. */
  readonly field: string;
  readonly converter: ColumnConverter;
}

/**
 * The change events of one table in one structure: topic `<prefix>.<db>.<table>`, key =
 * the primary key (or message.key.columns), value = Debezium's envelope around the
 * row's captured columns. Built once per table structure; rebuilt after DDL.
 */
export class TableEvents {
  readonly topic: string;
  readonly keySchema: Schema | null;
  readonly rowSchema: Schema;
  readonly envelopeSchema: Schema;
  private readonly columns: readonly ConvertedColumn[];
  private readonly keyColumns: readonly ConvertedColumn[];
  /** Columns the key is built from (primary key or message.key.columns), empty without a key. */
  readonly keyColumnNames: readonly string[];

  constructor(
    readonly table: TableStructure,
    options: TableEventOptions,
  ) {
    this.topic = dataCollectionTopic(`${options.topicPrefix}.${table.db}.${table.table}`, options.logger);
    const topicProblem = topicNameProblem(this.topic);
    if (topicProblem !== undefined) throw new ConfigError('topic.prefix', topicProblem);
    const names = recordNames(this.topic);
    const fields = fieldNamesOf(
      `${table.db}.${table.table}`,
      table.columns.map((column) => column.name),
      options.fieldNameMode,
    );
    const converted = table.columns.map((column, i) => ({
      name: column.name,
      field: fields[i]!,
      converter: columnConverter(column, options.types),
      included: options.filter.includesColumn(table.db, table.table, column.name),
    }));
    this.columns = converted.filter((column) => column.included);
    this.rowSchema = structSchema(names.value, this.columns);
    this.envelopeSchema = envelopeSchema(names.envelope, this.rowSchema, mysqlSourceSchema);
    const keyNames = options.keyColumns.columnsFor(table.db, table.table) ?? table.primaryKey;
    const keyColumns = keyNames.map((name) => {
      const column = converted.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
      if (!column) {
        throw new ConfigError(
          'message.key.columns',
          `message.key.columns names column "${name}" of ${table.db}.${table.table}, which has no such column; fix the entry for this table`,
        );
      }
      return column;
    });
    this.keyColumns = keyColumns;
    this.keyColumnNames = keyColumns.map((column) => column.name);
    this.keySchema = keyColumns.length === 0 ? null : structSchema(names.key, keyColumns);
  }

  /** The row struct of the captured columns; `row` is keyed by column name, as the drivers return it. */
  rowValue(row: Readonly<Record<string, unknown>>): Struct {
    return structValue(this.columns, row);
  }

  keyValue(row: Readonly<Record<string, unknown>>): Struct | null {
    return this.keySchema === null ? null : structValue(this.keyColumns, row);
  }

  /** A change event; `eventTimeMs` is when the change happened in the database. */
  changeRecord(
    op: Op,
    before: Readonly<Record<string, unknown>> | null,
    after: Readonly<Record<string, unknown>> | null,
    source: Struct,
    partition: SourcePartition,
    offset: SourceOffset,
    eventTimeMs: number,
    transaction: TransactionBlock | null = null,
  ): SourceRecord {
    const keyRow = after ?? before;
    return {
      topic: this.topic,
      keySchema: this.keySchema,
      key: keyRow === null ? null : this.keyValue(keyRow),
      valueSchema: this.envelopeSchema,
      value: envelopeValue({
        op,
        before: before === null ? null : this.rowValue(before),
        after: after === null ? null : this.rowValue(after),
        source,
        tsUs: epochMicrosNow(),
        transaction,
      }),
      timestamp: eventTimeMs,
      sourcePartition: partition,
      sourceOffset: offset,
    };
  }
}

function structSchema(name: string, columns: readonly ConvertedColumn[]): Schema {
  return {
    type: 'struct',
    optional: false,
    name,
    fields: columns.map((column, index) => ({
      name: column.field,
      index,
      schema: withSourceColumnName(column.converter.schema, column.name, column.field),
    })),
  };
}

function structValue(columns: readonly ConvertedColumn[], row: Readonly<Record<string, unknown>>): Struct {
  const value = newStruct();
  for (const column of columns) {
    const raw = row[column.name];
    value[column.field] = raw === null || raw === undefined ? null : column.converter.convert(raw);
  }
  return value;
}
