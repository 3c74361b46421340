import { asChangeEvent, unavailableColumnsOf, type ChangeEvent } from '../../runtime/cdc/index.js';
import { DataError } from '../../runtime/plugin/index.js';
import type { CastType, Schema, SinkRecord, Struct } from '../../runtime/record/index.js';
import {
  boolean,
  castSchema,
  castValue,
  int32,
  int64,
  isStruct,
  sourceColumnName,
  string,
} from '../../runtime/record/index.js';
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
export class BadRecordError extends DataError {
  override readonly name: string = 'BadRecordError';
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

interface Target {
  readonly rule: MappingRule | undefined;
  readonly table: TableRef;
}

/**
 * Reads a SinkRecord — a Debezium envelope, a flat row, or a tombstone — and applies the
 * mapping rules and key mode, giving the RowChange to apply.
 */
export class RowChangeReader {
  /** Per topic, where its last change event went; tombstones follow it. */
  private readonly lastTargets = new Map<string, Target>();
  /** Targets by rule, schema and table name; see internedTarget. */
  private readonly targets = new Map<MappingRule | undefined, Map<string | null, Map<string, Target>>>();
  private internedCount = 0;
  private readonly rowPlans = new WeakMap<Schema, Map<MappingRule | undefined, RowPlan>>();

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
      sourceSchema: fieldSchema(record.valueSchema, 'source'),
    };
    // Changes are built as literals, not spread from a base: this runs once per record.
    if (op === 'm') return { record, op, context, kind: 'skip', reason: 'logical decoding message' };
    const target = tombstone ? this.tombstoneTarget(record, context) : this.target(record, context, source);
    if (target === null) {
      return {
        record,
        op,
        context,
        kind: 'skip',
        reason: 'tombstone with no known table; the delete event before it carried the delete',
      };
    }
    const { rule, table: folded } = target;
    if (op === 't') {
      return this.config.truncateEnabled
        ? { record, op, context, kind: 'truncate', table: folded }
        : { record, op, context, kind: 'skip', reason: 'truncate.enabled=false' };
    }
    if (!ROW_OPS.has(op)) throw new BadRecordError(`unknown op "${op}"; expected c, u, r, d or t`);

    const deletes = this.config.deleteEnabled || rule?.softDelete !== undefined;
    let asDelete = op === 'd';
    if (!asDelete && rule?.filter && row && !rule.filter.matches(row, context)) {
      // The row left the filtered set: remove it from the target (idempotent when it never was there).
      if (!deletes) return { record, op, context, kind: 'skip', reason: `filtered out by ${rule.label}` };
      asDelete = true;
    }
    if (asDelete && !deletes) return { record, op, context, kind: 'skip', reason: 'delete.enabled=false' };

    const key = this.keyColumns(record, row, rowSchema, rule);
    if (asDelete) {
      if (key.length === 0)
        throw new BadRecordError('a delete needs a primary key, and this record has none');
      return rule?.softDelete
        ? {
            record,
            op,
            context,
            kind: 'delete',
            table: folded,
            key,
            softDeleteColumn: this.identifier(rule.softDelete),
          }
        : { record, op, context, kind: 'delete', table: folded, key };
    }
    if (row === null) throw new BadRecordError(`op ${op} carries no row (after is null)`);
    if (key.length === 0 && this.config.insertMode !== 'insert') {
      throw new BadRecordError(
        `insert.mode=${this.config.insertMode} needs a primary key, and this record has none (primary.key.mode=${this.config.primaryKeyMode})`,
      );
    }
    const plan = this.rowPlan(row, rowSchema, rule);
    const unavailableFields = this.unavailableFields(record, op, row, plan);
    const { columns, unavailable } = this.rowColumns(row, plan, rule, key, context, unavailableFields);
    return { record, op, context, kind: 'upsert', table: folded, key, columns, unavailable };
  }

  /**
   * Row fields the source did not send: those the __siphon.unavailable.columns header names,
   * and in updates those holding Debezium's placeholder (topics written by Debezium itself).
   */
  private unavailableFields(record: SinkRecord, op: string, row: Struct, plan: RowPlan): ReadonlySet<string> {
    const placeholder = this.config.unavailablePlaceholder;
    const checkPlaceholder = placeholder !== null && op === 'u';
    if (!checkPlaceholder && (record.headers === undefined || record.headers.length === 0)) return NO_FIELDS;
    const fields = new Set(unavailableColumnsOf(record.headers));
    if (!checkPlaceholder) return fields;
    for (const { field } of plan.fields) {
      if (isPlaceholder(Object.hasOwn(row, field) ? row[field] : undefined, placeholder)) fields.add(field);
    }
    return fields;
  }

  private target(record: SinkRecord, context: RecordContext, source: Struct | null): Target {
    let rule: MappingRule | undefined;
    for (const candidate of this.config.mappings) {
      if (ruleMatches(candidate, record.topic, source)) {
        rule = candidate;
        break;
      }
    }
    const table = (rule?.table ?? this.config.tableNameFormat).resolve(context);
    const target = this.internedTarget(
      rule,
      table.schema === null ? null : this.identifier(table.schema),
      this.identifier(table.name),
    );
    this.lastTargets.set(record.topic, target);
    return target;
  }

  /**
   * One Target object per rule and table, so the many changes of a batch share one TableRef
   * (whose key is then computed once). Bounded: names built from per-record values are not kept.
   */
  private internedTarget(rule: MappingRule | undefined, schema: string | null, name: string): Target {
    if (this.internedCount >= MAX_INTERNED_TARGETS) {
      this.targets.clear();
      this.internedCount = 0;
    }
    let bySchema = this.targets.get(rule);
    if (bySchema === undefined) {
      bySchema = new Map();
      this.targets.set(rule, bySchema);
    }
    let byName = bySchema.get(schema);
    if (byName === undefined) {
      byName = new Map();
      bySchema.set(schema, byName);
    }
    let target = byName.get(name);
    if (target === undefined) {
      target = { rule, table: { schema, name } };
      byName.set(name, target);
      this.internedCount++;
    }
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
    const keyStruct = isStruct(record.key) ? record.key : null;
    if (rule?.key) {
      const names = rule.key;
      const inRow = row !== null && names.every((name) => Object.hasOwn(row, name));
      return inRow
        ? this.structKey(row, rowSchema, names, 'row', rule)
        : this.structKey(keyStruct, record.keySchema, names, 'record key', rule);
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
        return this.structKey(row, rowSchema, this.config.primaryKeyFields, 'row', rule);
      case 'record_key': {
        if (record.key === null || record.key === undefined)
          throw new BadRecordError('primary.key.mode=record_key, but the record has no key');
        if (keyStruct) {
          const names =
            this.config.primaryKeyFields.length > 0 ? this.config.primaryKeyFields : Object.keys(keyStruct);
          return this.structKey(keyStruct, record.keySchema, names, 'record key', rule);
        }
        const [name] = this.config.primaryKeyFields;
        if (name === undefined) {
          throw new BadRecordError(
            'the record key is a primitive; name its column in primary.key.fields (one name)',
          );
        }
        return [{ name: this.columnName(name, null, rule), schema: record.keySchema, value: record.key }];
      }
    }
  }

  /** Key columns from the fields `names` of a struct (the record key or the row). */
  private structKey(
    struct: Struct | null,
    schema: Schema | null,
    names: readonly string[],
    what: string,
    rule: MappingRule | undefined,
  ): Column[] {
    const columns: Column[] = [];
    for (const name of names) {
      if (!struct || !Object.hasOwn(struct, name))
        throw new BadRecordError(`key field "${name}" is not in the ${what}`);
      const value = struct[name];
      if (value === null || value === undefined)
        throw new BadRecordError(`key field "${name}" is null in the ${what}`);
      const schemaOf = fieldSchema(schema, name);
      const type = rule?.casts.get(name);
      columns.push({
        name: this.columnName(name, schemaOf, rule),
        schema: type && schemaOf ? castSchema(schemaOf, type) : schemaOf,
        value: type ? castValue(value, type) : value,
      });
    }
    return columns;
  }

  /**
   * The target column of a field: a mapping rule's rename wins; otherwise a field named
   * otherwise than its source column (field.name.adjustment.mode, Avro's name rules)
   * writes the column named in its schema.
   */
  private columnName(field: string, schema: Schema | null, rule: MappingRule | undefined): string {
    return this.identifier(rule?.rename.get(field) ?? sourceColumnName(field, schema));
  }

  /**
   * How the fields of rows with this schema become columns under `rule`; worked out once per
   * schema (schemas are shared by the records of a topic), per record for schemaless rows.
   */
  private rowPlan(row: Struct, rowSchema: Schema | null, rule: MappingRule | undefined): RowPlan {
    if (rowSchema?.fields === undefined) return this.buildRowPlan(Object.keys(row), null, rule);
    let byRule = this.rowPlans.get(rowSchema);
    if (byRule === undefined) {
      byRule = new Map();
      this.rowPlans.set(rowSchema, byRule);
    }
    let plan = byRule.get(rule);
    if (plan === undefined) {
      plan = this.buildRowPlan(
        rowSchema.fields.map((field) => field.name),
        rowSchema,
        rule,
      );
      byRule.set(rule, plan);
    }
    return plan;
  }

  private buildRowPlan(
    fields: readonly string[],
    rowSchema: Schema | null,
    rule: MappingRule | undefined,
  ): RowPlan {
    const seen = new Set<string>();
    let sharedNames = false;
    const plans = fields.map((field): FieldPlan => {
      const schema = fieldSchema(rowSchema, field);
      const name = this.columnName(field, schema, rule);
      if (seen.has(name)) sharedNames = true;
      seen.add(name);
      const cast = rule?.casts.get(field);
      return {
        field,
        name,
        schema: cast && schema ? castSchema(schema, cast) : schema,
        cast,
        excluded:
          rule !== undefined &&
          (rule.exclude.has(field) || (rule.include !== undefined && !rule.include.has(field))),
      };
    });
    return { fields: plans, sharedNames };
  }

  private rowColumns(
    row: Struct,
    plan: RowPlan,
    rule: MappingRule | undefined,
    key: readonly Column[],
    context: RecordContext,
    unavailableFields: ReadonlySet<string>,
  ): { columns: Column[]; unavailable: string[] } {
    const columns: Column[] = [];
    const unavailable: string[] = [];
    // Only a plan where two fields land on one column needs the per-record clash check.
    const sourceOf = plan.sharedNames ? new Map<string, string>() : null;
    for (const { field, name, schema, cast, excluded } of plan.fields) {
      const isKey = hasColumn(key, name);
      if (excluded && !isKey) continue;
      if (sourceOf !== null) {
        const earlier = sourceOf.get(name);
        if (earlier !== undefined) {
          throw new BadRecordError(
            `${rule?.label ?? 'mapping'} maps both "${earlier}" and "${field}" onto column "${name}"; rename one of them elsewhere or exclude one`,
          );
        }
        sourceOf.set(name, field);
      }
      if (unavailableFields.size > 0 && unavailableFields.has(field) && !isKey) {
        unavailable.push(name);
        continue;
      }
      let value: unknown = Object.hasOwn(row, field) ? (row[field] ?? null) : null;
      if (cast) {
        try {
          value = castValue(value, cast);
        } catch (error) {
          throw new BadRecordError(
            `${rule?.label ?? 'mapping'} cast of "${field}" to ${cast}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
      columns.push({ name, schema, value });
    }
    // A key column, computed value or soft-delete flag replaces a row column of that name in place.
    for (const keyColumn of key) setColumn(columns, keyColumn);
    for (const computed of rule?.values ?? []) {
      const name = this.identifier(computed.column);
      const { schema, value } = computed.compute(context);
      setColumn(columns, { name, schema, value });
    }
    if (rule?.softDelete) {
      const name = this.identifier(rule.softDelete);
      setColumn(columns, { name, schema: boolean(), value: false });
    }
    return { columns, unavailable };
  }
}

/** What a RowPlan knows of one field. */
interface FieldPlan {
  readonly field: string;
  /** The target column. */
  readonly name: string;
  /** The field's schema as written (after a cast); null without a schema. */
  readonly schema: Schema | null;
  readonly cast: CastType | undefined;
  /** Left out by the rule's include/exclude (a key column is kept all the same). */
  readonly excluded: boolean;
}

interface RowPlan {
  readonly fields: readonly FieldPlan[];
  /** Two fields have the same target column: each record is checked for the clash. */
  readonly sharedNames: boolean;
}

const ROW_OPS = new Set(['c', 'u', 'r', 'd']);
const NO_FIELDS: ReadonlySet<string> = new Set();
const MAX_INTERNED_TARGETS = 10_000;

/** Field schemas by name per struct schema (first field of a name wins, as a search would). */
const fieldSchemas = new WeakMap<Schema, ReadonlyMap<string, Schema>>();

function fieldSchema(schema: Schema | null, name: string): Schema | null {
  if (schema === null || schema.fields === undefined) return null;
  let byName = fieldSchemas.get(schema);
  if (byName === undefined) {
    const map = new Map<string, Schema>();
    for (const field of schema.fields) if (!map.has(field.name)) map.set(field.name, field.schema);
    fieldSchemas.set(schema, map);
    byName = map;
  }
  return byName.get(name) ?? null;
}

function hasColumn(columns: readonly Column[], name: string): boolean {
  for (const column of columns) if (column.name === name) return true;
  return false;
}

/** Replaces the column of the same name where it is, or appends it. */
function setColumn(columns: Column[], column: Column): void {
  for (let index = 0; index < columns.length; index++) {
    if (columns[index]?.name === column.name) {
      columns[index] = column;
      return;
    }
  }
  columns.push(column);
}

/** Debezium's placeholder in the forms it writes it: the string, its UTF-8 bytes, a one-element array. */
function isPlaceholder(value: unknown, placeholder: string): boolean {
  if (typeof value === 'string') return value === placeholder;
  if (Buffer.isBuffer(value)) return value.equals(Buffer.from(placeholder));
  return Array.isArray(value) && value.length === 1 && value[0] === placeholder;
}
