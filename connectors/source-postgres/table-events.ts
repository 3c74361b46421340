import {
  dataCollectionTopic,
  envelopeSchema,
  fieldNamesOf,
  recordNames,
  topicNameProblem,
  type FieldNameAdjustmentMode,
  type MessageKeyColumns,
  type TableFilter,
  type UncapturedTables,
  type UncapturedTablesReporter,
} from '../../runtime/cdc/index.js';
import { ConfigError, DataError, type TaskLogger } from '../../runtime/plugin/index.js';
import { LogicalName, withSourceColumnName, type Schema, type Struct } from '../../runtime/record/index.js';
import { constantDefaultText } from './column-default.js';
import { postgresSourceSchema } from './source-info.js';
import {
  columnMapping,
  unknownTypeMapping,
  type ColumnMapping,
  type TypeMappingOptions,
} from './type-mapping.js';
import type { TypeRegistry } from './type-registry.js';
import { newStruct } from '../../runtime/record/index.js';

export interface ColumnDescriptor {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
}

interface MappedColumn {
  readonly name: string;
  /** The column's constant default as a record value, when it has one. */
  readonly defaultValue?: unknown;
  /** The column's field name under field.name.adjustment.mode. */
  readonly field: string;
  /** Position of the column in the source tuple (relation message or SELECT list). */
  readonly position: number;
  readonly mapping: ColumnMapping;
}

export interface TableEventOptions extends TypeMappingOptions {
  readonly topicPrefix: string;
  /** Where a sanitised topic name is logged (once per table). */
  readonly logger: TaskLogger;
  readonly fieldNameMode: FieldNameAdjustmentMode;
  /** errors.tolerance=all: a row with a value that cannot be captured is skipped (ColumnValueError). */
  readonly skipBadValues: boolean;
  /** Tables whose schema cannot be built: skipped, reported in the task's status. */
  readonly uncaptured: UncapturedTables<UncapturedTablesReporter>;
  readonly filter: TableFilter;
  readonly messageKeyColumns: MessageKeyColumns;
  readonly includeUnknownDatatypes: boolean;
  readonly unavailableValuePlaceholder: string;
}

export type ColumnTexts = readonly (string | null | undefined)[];

/**
 * The record-model view of one captured table: topic, key/value/envelope schemas and the
 * converters from column texts. Rebuilt whenever pgoutput sends a new relation message
 * (ADD/DROP COLUMN, type change), which yields a new schema version downstream.
 *
 * As in Debezium, key columns and NOT NULL columns are required fields, the others optional.
 * A delete under the default replica identity carries only the key columns in `before`;
 * its other required fields hold their type's zero value there, as Debezium's do.
 */
export class TableEvents {
  readonly topic: string;
  readonly keySchema: Schema | null;
  readonly valueSchema: Schema;
  readonly envelopeSchema: Schema;
  /** Columns the key is built from (primary key or message.key.columns), empty without a key. */
  readonly keyColumnNames: readonly string[];

  private constructor(
    readonly schemaName: string,
    readonly tableName: string,
    private readonly valueColumns: readonly MappedColumn[],
    private readonly keyColumns: readonly MappedColumn[],
    private readonly requiredColumns: ReadonlySet<string>,
    private readonly placeholder: string,
    /** Columns left out because their type has no mapping (reported once by the caller). */
    readonly unmappedColumns: readonly string[],
    topic: string,
  ) {
    const names = recordNames(topic);
    this.topic = topic;
    this.keyColumnNames = keyColumns.map((c) => c.name);
    this.valueSchema = {
      type: 'struct',
      optional: true,
      name: names.value,
      fields: valueColumns.map((c, index) => ({
        name: c.field,
        index,
        schema: withSourceColumnName(
          {
            ...c.mapping.schema,
            optional: !requiredColumns.has(c.name),
            ...(c.defaultValue === undefined ? {} : { defaultValue: c.defaultValue }),
          },
          c.name,
          c.field,
        ),
      })),
    };
    this.keySchema =
      keyColumns.length === 0
        ? null
        : {
            type: 'struct',
            optional: false,
            name: names.key,
            fields: keyColumns.map((c, index) => ({
              name: c.field,
              index,
              schema: withSourceColumnName({ ...c.mapping.schema, optional: false }, c.name, c.field),
            })),
          };
    this.envelopeSchema = envelopeSchema(names.envelope, this.valueSchema, postgresSourceSchema);
  }

  /**
   * Builds the schema of `<schemaName>.<tableName>` from its columns (in tuple order) and
   * its primary key column names. `registry` must have resolved every column type.
   */
  static build(
    schemaName: string,
    tableName: string,
    columns: readonly ColumnDescriptor[],
    primaryKey: readonly string[],
    notNull: ReadonlySet<string>,
    registry: TypeRegistry,
    options: TableEventOptions,
    /** Column name → default expression (pg_attrdef); constants become schema defaults. */
    defaults: ReadonlyMap<string, string> = new Map(),
  ): TableEvents {
    const unmapped: string[] = [];
    const mapped: MappedColumn[] = [];
    const byName = new Map<string, MappedColumn>();
    const fields = fieldNamesOf(
      `${schemaName}.${tableName}`,
      columns.map((c) => c.name),
      options.fieldNameMode,
    );
    columns.forEach((column, position) => {
      const mapping =
        columnMapping(registry, column.typeOid, column.typmod, options) ??
        (options.includeUnknownDatatypes ? unknownTypeMapping : undefined);
      if (mapping === undefined) {
        unmapped.push(column.name);
        return;
      }
      const entry = {
        name: column.name,
        field: fields[position]!,
        position,
        mapping,
        ...defaultOf(defaults.get(column.name), mapping),
      };
      byName.set(column.name, entry);
      if (options.filter.includesColumn(schemaName, tableName, column.name)) mapped.push(entry);
    });
    const keyNames = options.messageKeyColumns.columnsFor(schemaName, tableName) ?? primaryKey;
    const keyColumns = keyNames.map((name) => {
      const column = byName.get(name);
      if (column === undefined) {
        throw new ConfigError(
          'message.key.columns',
          `key column "${name}" of ${schemaName}.${tableName} does not exist or has an unmappable type; fix message.key.columns or the table`,
        );
      }
      return column;
    });
    const topic = dataCollectionTopic(`${options.topicPrefix}.${schemaName}.${tableName}`, options.logger);
    const topicProblem = topicNameProblem(topic);
    if (topicProblem !== undefined) throw new ConfigError('topic.prefix', topicProblem);
    return new TableEvents(
      schemaName,
      tableName,
      mapped,
      keyColumns,
      new Set([...notNull, ...keyNames]),
      options.unavailableValuePlaceholder,
      unmapped,
      topic,
    );
  }

  get dataCollection(): string {
    return `${this.schemaName}.${this.tableName}`;
  }

  /** The row struct; `fallback` supplies values for unchanged TOAST columns (the old row under FULL identity). */
  rowValue(texts: ColumnTexts, fallback?: ColumnTexts | null): Struct {
    const row = newStruct();
    for (const column of this.valueColumns) {
      let text = texts[column.position];
      if (text === undefined && fallback) text = fallback[column.position];
      row[column.field] =
        text === undefined ? this.unavailable(column.mapping.schema) : convert(column, text);
    }
    return row;
  }

  /**
   * The `before` of a delete whose old tuple has only the key columns (replica identity
   * DEFAULT or USING INDEX): the other required fields get their type's zero value, as in
   * Debezium, since a required field cannot be null.
   */
  keyOnlyRowValue(texts: ColumnTexts): Struct {
    const row = this.rowValue(texts);
    for (const column of this.valueColumns) {
      if (row[column.field] === null && this.requiredColumns.has(column.name)) {
        row[column.field] = zeroValue(column.mapping.schema);
      }
    }
    return row;
  }

  /** Value columns whose value the tuple lacks (unchanged TOAST) and `fallback` does not supply. */
  unavailableColumns(texts: ColumnTexts, fallback?: ColumnTexts | null): string[] {
    return this.valueColumns
      .filter((column) => texts[column.position] === undefined && fallback?.[column.position] === undefined)
      .map((column) => column.name);
  }

  /** The key struct, or null for a table without a key. */
  keyValue(texts: ColumnTexts): Struct | null {
    if (this.keyColumns.length === 0) return null;
    const key = newStruct();
    for (const column of this.keyColumns) {
      const text = texts[column.position];
      key[column.field] = text === undefined || text === null ? null : convert(column, text);
    }
    return key;
  }

  /** Debezium's `unavailable.value.placeholder` in the column's own type where it can carry it. */
  private unavailable(schema: Schema): unknown {
    if (schema.type === 'string') return this.placeholder;
    if (schema.type === 'bytes' && schema.name === undefined) return Buffer.from(this.placeholder);
    if (schema.type === 'array' && schema.valueSchema?.type === 'string') return [this.placeholder];
    return null;
  }
}

/** A constant default converted like a value of the column; none for expressions or texts the type rejects. */
function defaultOf(expression: string | undefined, mapping: ColumnMapping): { defaultValue?: unknown } {
  const text = expression === undefined ? undefined : constantDefaultText(expression);
  if (text === undefined) return {};
  try {
    const value = mapping.convert(text);
    // An Avro schema's default is JSON: a long past 2^53 would not survive it exactly.
    if (
      typeof value === 'bigint' &&
      (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    )
      return {};
    return { defaultValue: value };
  } catch {
    return {};
  }
}

/** A column value the type mapping cannot represent (e.g. an interval beyond int64 microseconds). */
export class ColumnValueError extends DataError {
  override readonly name: string = 'ColumnValueError';
  constructor(
    readonly column: string,
    message: string,
    options: ErrorOptions,
  ) {
    super(`column "${column}": ${message}`, options);
  }
}

function convert(column: MappedColumn, text: string | null): unknown {
  if (text === null) return null;
  try {
    return column.mapping.convert(text);
  } catch (error) {
    throw new ColumnValueError(column.name, (error as Error).message, { cause: error });
  }
}

/** A valid value of `schema` standing for "not sent": 0, "", false, empty, or the epoch for zoned types. */
function zeroValue(schema: Schema): unknown {
  switch (schema.name) {
    case LogicalName.ZonedTimestamp:
      return '1970-01-01T00:00:00Z';
    case LogicalName.ZonedTime:
      return '00:00:00Z';
    case LogicalName.Uuid:
      return '00000000-0000-0000-0000-000000000000';
    case LogicalName.Interval:
      return 'PT0S';
    case LogicalName.Decimal:
      return '0';
    case LogicalName.Enum:
      return schema.parameters?.allowed?.split(',')[0] ?? '';
    case LogicalName.VariableScaleDecimal:
      return { scale: 0, value: Buffer.alloc(1) };
  }
  switch (schema.type) {
    case 'int64':
      return 0n;
    case 'int8':
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'array':
      return [];
    case 'map':
      return new Map();
    case 'struct':
      return Object.fromEntries(
        (schema.fields ?? []).map((f) => [f.name, f.schema.optional ? null : zeroValue(f.schema)]),
      );
  }
}
