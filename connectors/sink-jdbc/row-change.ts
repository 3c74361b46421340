import type { Schema, SinkRecord, Struct } from '../../runtime/record/index.js';
import { boolean, int32, int64, sourceColumnName, string } from '../../runtime/record/index.js';
import { castSchema, castValue } from '../../runtime/transforms/cast-value.js';
import { isStruct } from '../../runtime/transforms/record-part.js';
import { asChangeEvent, type ChangeEvent } from '../../runtime/transforms/read-change-event.js';
import { unavailableColumnsOf } from '../../runtime/cdc/unavailable-columns.js';
import type { SinkConfig } from './config.js';
import { ruleMatches, type MappingRule } from './mapping-rules.js';
import type { RecordContext } from './record-context.js';
import type { TableRef } from './table-name.js';

export interface Column {
  readonly name: string;
  /** null for schemaless records: the dialect binds by the value's own type. */
  readonly schema: Schema | null;
  readonly value: unknown;
}

interface ChangeBase {
  readonly record: SinkRecord;
  /** The source operation (c, u, d, r, t), for metrics. */
  readonly op: string;
  readonly context: RecordContext;
}

/** What one record asks of the target, after the mapping rules. */
export type RowChange =
  | (ChangeBase & {
      kind: 'upsert';
      table: TableRef;
      key: readonly Column[];
      columns: readonly Column[];
      /** Target columns whose value the source did not send (unchanged TOAST): a partial update keeps them. */
      unavailable: readonly string[];
    })
  | (ChangeBase & { kind: 'delete'; table: TableRef; key: readonly Column[]; softDeleteColumn?: string })
  | (ChangeBase & { kind: 'truncate'; table: TableRef })
  | (ChangeBase & { kind: 'skip'; reason: string });

/** A record that cannot be applied; the reason goes to the dead-letter queue or the failure. */
export class BadRecordError extends Error {
  override readonly name = 'BadRecordError';
}

/** The op a record's value stands for, and the row it carries (after; before for deletes). */
function readValue(record: SinkRecord): {
  op: string;
  row: Struct | null;
  rowSchema: Schema | null;
  event: ChangeEvent | null;
} {
  if (record.value === null || record.value === undefined)
    return { op: 'd', row: null, rowSchema: null, event: null };
  const event = asChangeEvent(record.valueSchema, record.value);
  if (event)
    return {
      op: event.op,
      row: event.op === 'd' ? event.before : event.after,
      rowSchema: event.rowSchema,
      event,
    };
  if (!isStruct(record.value)) {
    throw new BadRecordError(
      `the value is a ${typeof record.value}, not a struct or a change event; use a converter that yields structs`,
    );
  }
  // A flat row (e.g. after ExtractNewRecordState) is written as it is.
  return { op: 'c', row: record.value, rowSchema: record.valueSchema, event: null };
}

/** The source's event time: source.ts_ms, else the envelope's ts_ms. */
function eventTime(source: Struct | null, event: ChangeEvent | null): bigint | null {
  const sourceTs = source?.ts_ms;
  if (typeof sourceTs === 'bigint') return sourceTs;
  if (typeof sourceTs === 'number') return BigInt(sourceTs);
  return event?.tsMs != null ? BigInt(event.tsMs) : null;
}

const KAFKA_KEY_COLUMNS = ['__connect_topic', '__connect_partition', '__connect_offset'];

/**
 * Reads a SinkRecord — a Debezium envelope, a flat row, or a tombstone — and applies the
 * mapping rules and key mode, giving the RowChange to apply.
 */
interface Target {
  readonly rule: MappingRule | undefined;
  readonly table: TableRef;
}

export class RowChangeReader {
  /** Per topic, where its last change event went; tombstones follow it. */
  private readonly lastTargets = new Map<string, Target>();

  constructor(
    private readonly config: SinkConfig,
    /** Identifier folding for quote.identifiers=false. */
    private readonly identifier: (name: string) => string,
  ) {}

  read(record: SinkRecord): RowChange {
    try {
      return this.readRecord(record);
    } catch (error) {
      if (error instanceof BadRecordError) throw error;
      throw new BadRecordError((error as Error).message, { cause: error });
    }
  }

  private readRecord(record: SinkRecord): RowChange {
    const { op, row, rowSchema, event } = readValue(record);
    const tombstone = record.value === null || record.value === undefined;
    const source = event?.source ?? null;
    const context: RecordContext = {
      record,
      op,
      tsMs: eventTime(source, event),
      source,
      sourceSchema: record.valueSchema?.fields?.find((field) => field.name === 'source')?.schema ?? null,
    };
    const base = { record, op, context };
    if (op === 'm') return { ...base, kind: 'skip', reason: 'logical decoding message' };
    const target = tombstone ? this.tombstoneTarget(record, context) : this.target(record, context, source);
    if (target === null) {
      return {
        ...base,
        kind: 'skip',
        reason: 'tombstone with no known table; the delete event before it carried the delete',
      };
    }
    const { rule, table: folded } = target;
    if (op === 't') {
      return this.config.truncateEnabled
        ? { ...base, kind: 'truncate', table: folded }
        : { ...base, kind: 'skip', reason: 'truncate.enabled=false' };
    }
    if (!['c', 'u', 'r', 'd'].includes(op))
      throw new BadRecordError(`unknown op "${op}"; expected c, u, r, d or t`);

    const deletes = this.config.deleteEnabled || rule?.softDelete !== undefined;
    let asDelete = op === 'd';
    if (!asDelete && rule?.filter && row && !rule.filter.matches(row, context)) {
      // The row left the filtered set: remove it from the target (idempotent when it never was there).
      if (!deletes) return { ...base, kind: 'skip', reason: `filtered out by ${rule.label}` };
      asDelete = true;
    }
    if (asDelete && !deletes) return { ...base, kind: 'skip', reason: 'delete.enabled=false' };

    const key = this.keyColumns(record, row, rowSchema, rule);
    if (asDelete) {
      if (key.length === 0)
        throw new BadRecordError('a delete needs a primary key, and this record has none');
      return {
        ...base,
        kind: 'delete',
        table: folded,
        key,
        ...(rule?.softDelete ? { softDeleteColumn: this.identifier(rule.softDelete) } : {}),
      };
    }
    if (row === null) throw new BadRecordError(`op ${op} carries no row (after is null)`);
    if (key.length === 0 && this.config.insertMode !== 'insert') {
      throw new BadRecordError(
        `insert.mode=${this.config.insertMode} needs a primary key, and this record has none (primary.key.mode=${this.config.primaryKeyMode})`,
      );
    }
    const unavailableFields = this.unavailableFields(record, op, row, rowSchema);
    const { columns, unavailable } = this.rowColumns(row, rowSchema, rule, key, context, unavailableFields);
    return { ...base, kind: 'upsert', table: folded, key, columns, unavailable };
  }

  /**
   * Row fields the source did not send: those the __siphon.unavailable.columns header names,
   * and in updates those holding Debezium's placeholder (topics written by Debezium itself).
   */
  private unavailableFields(
    record: SinkRecord,
    op: string,
    row: Struct,
    rowSchema: Schema | null,
  ): Set<string> {
    const fields = new Set(unavailableColumnsOf(record.headers));
    const placeholder = this.config.unavailablePlaceholder;
    if (placeholder === null || op !== 'u') return fields;
    for (const field of rowSchema?.fields?.map((f) => f.name) ?? Object.keys(row)) {
      if (isPlaceholder(Object.hasOwn(row, field) ? row[field] : undefined, placeholder)) fields.add(field);
    }
    return fields;
  }

  private target(record: SinkRecord, context: RecordContext, source: Struct | null): Target {
    const rule = this.config.mappings.find((candidate) => ruleMatches(candidate, record.topic, source));
    const table = (rule?.table ?? this.config.tableNameFormat).resolve(context);
    const target = {
      rule,
      table: {
        schema: table.schema === null ? null : this.identifier(table.schema),
        name: this.identifier(table.name),
      },
    };
    this.lastTargets.set(record.topic, target);
    return target;
  }

  /**
   * A tombstone has no source block, so names like ${source.table} cannot be resolved from
   * it: it goes where the topic's last change event went (one entry per topic).
   */
  private tombstoneTarget(record: SinkRecord, context: RecordContext): Target | null {
    const known = this.lastTargets.get(record.topic);
    if (known) return known;
    try {
      return this.target(record, context, null);
    } catch {
      return null;
    }
  }

  /** Key columns with target names, in key order; [] without a key. */
  private keyColumns(
    record: SinkRecord,
    row: Struct | null,
    rowSchema: Schema | null,
    rule: MappingRule | undefined,
  ): Column[] {
    // A field named otherwise than its source column (field.name.adjustment.mode, Avro's
    // name rules) writes the column named in its schema; a mapping rule's rename wins.
    const rename = (name: string, schema: Schema | null = null) =>
      this.identifier(rule?.rename.get(name) ?? sourceColumnName(name, schema));
    const fromStruct = (
      struct: Struct | null,
      schema: Schema | null,
      names: readonly string[],
      what: string,
    ): Column[] =>
      names.map((name) => {
        if (!struct || !Object.hasOwn(struct, name))
          throw new BadRecordError(`key field "${name}" is not in the ${what}`);
        const value = struct[name];
        if (value === null || value === undefined)
          throw new BadRecordError(`key field "${name}" is null in the ${what}`);
        const schemaOf = schema?.fields?.find((field) => field.name === name)?.schema ?? null;
        const type = rule?.casts.get(name);
        return {
          name: rename(name, schemaOf),
          schema: type && schemaOf ? castSchema(schemaOf, type) : schemaOf,
          value: type ? castValue(value, type) : value,
        };
      });
    const keyStruct = isStruct(record.key) ? record.key : null;
    if (rule?.key) {
      const names = rule.key;
      const inRow = row !== null && names.every((name) => Object.hasOwn(row, name));
      return inRow
        ? fromStruct(row, rowSchema, names, 'row')
        : fromStruct(keyStruct, record.keySchema, names, 'record key');
    }
    switch (this.config.primaryKeyMode) {
      case 'none':
        return [];
      case 'kafka': {
        const [topic, partition, offset] =
          this.config.primaryKeyFields.length === 3 ? this.config.primaryKeyFields : KAFKA_KEY_COLUMNS;
        return [
          { name: this.identifier(topic ?? ''), schema: string(), value: record.topic },
          { name: this.identifier(partition ?? ''), schema: int32(), value: record.kafkaPartition },
          { name: this.identifier(offset ?? ''), schema: int64(), value: record.kafkaOffset },
        ];
      }
      case 'record_value':
        return fromStruct(row, rowSchema, this.config.primaryKeyFields, 'row');
      case 'record_key': {
        if (record.key === null || record.key === undefined)
          throw new BadRecordError('primary.key.mode=record_key, but the record has no key');
        if (keyStruct) {
          const names =
            this.config.primaryKeyFields.length > 0 ? this.config.primaryKeyFields : Object.keys(keyStruct);
          return fromStruct(keyStruct, record.keySchema, names, 'record key');
        }
        const [name] = this.config.primaryKeyFields;
        if (name === undefined) {
          throw new BadRecordError(
            'the record key is a primitive; name its column in primary.key.fields (one name)',
          );
        }
        return [{ name: rename(name), schema: record.keySchema, value: record.key }];
      }
    }
  }

  private rowColumns(
    row: Struct,
    rowSchema: Schema | null,
    rule: MappingRule | undefined,
    key: readonly Column[],
    context: RecordContext,
    unavailableFields: ReadonlySet<string>,
  ): { columns: Column[]; unavailable: string[] } {
    const columns = new Map<string, Column>();
    const unavailable: string[] = [];
    const sourceOf = new Map<string, string>();
    const keyNames = new Set(key.map((column) => column.name));
    const fieldNames = rowSchema?.fields?.map((field) => field.name) ?? Object.keys(row);
    for (const field of fieldNames) {
      const schema = rowSchema?.fields?.find((candidate) => candidate.name === field)?.schema ?? null;
      const name = this.identifier(rule?.rename.get(field) ?? sourceColumnName(field, schema));
      const kept =
        keyNames.has(name) ||
        (!rule?.exclude.has(field) && (rule?.include === undefined || rule.include.has(field)));
      if (!kept) continue;
      const earlier = sourceOf.get(name);
      if (earlier !== undefined) {
        throw new BadRecordError(
          `${rule?.label ?? 'mapping'} maps both "${earlier}" and "${field}" onto column "${name}"; rename one of them elsewhere or exclude one`,
        );
      }
      sourceOf.set(name, field);
      if (unavailableFields.has(field) && !keyNames.has(name)) {
        unavailable.push(name);
        continue;
      }
      const type = rule?.casts.get(field);
      let value: unknown = Object.hasOwn(row, field) ? (row[field] ?? null) : null;
      if (type) {
        try {
          value = castValue(value, type);
        } catch (error) {
          throw new BadRecordError(
            `${rule?.label ?? 'mapping'} cast of "${field}" to ${type}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
      columns.set(name, { name, schema: type && schema ? castSchema(schema, type) : schema, value });
    }
    for (const keyColumn of key) columns.set(keyColumn.name, keyColumn);
    for (const computed of rule?.values ?? []) {
      const name = this.identifier(computed.column);
      const { schema, value } = computed.compute(context);
      columns.set(name, { name, schema, value });
    }
    if (rule?.softDelete) {
      const name = this.identifier(rule.softDelete);
      columns.set(name, { name, schema: boolean(), value: false });
    }
    return { columns: [...columns.values()], unavailable };
  }
}

/** Debezium's placeholder in the forms it writes it: the string, its UTF-8 bytes, a one-element array. */
function isPlaceholder(value: unknown, placeholder: string): boolean {
  if (typeof value === 'string') return value === placeholder;
  if (Buffer.isBuffer(value)) return value.equals(Buffer.from(placeholder));
  return Array.isArray(value) && value.length === 1 && value[0] === placeholder;
}
