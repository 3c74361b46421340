import { DataError } from '../../runtime/plugin/index.js';
import type { BinaryHandlingMode, DecimalHandlingMode, TimePrecisionMode } from '../../runtime/cdc/index.js';
import {
  binarySchema,
  binaryValue,
  decimalSchema,
  decimalValue,
  dateSchema,
  durationSchema,
  timeSchema,
  timeValue,
  timestampSchema,
  timestampValue,
  zonedTimeSchema,
  zonedTimestampSchema,
} from '../../runtime/cdc/index.js';
import { LogicalName, bits, enumOf, logical, type Schema } from '../../runtime/record/index.js';
import { parseArrayLiteral } from './array-literal.js';
import {
  bitsToBytes,
  hstoreToJson,
  intervalIso,
  intervalMicros,
  negativeInfinityMicros,
  parseDate,
  parsePoint,
  parseTimeMicros,
  parseTimestampMicros,
  pointWkb,
  positiveInfinityMicros,
  zonedTime,
  zonedTimestamp,
} from './pg-text.js';
import type { IntervalHandlingMode } from './config.js';
import type { PgType, TypeRegistry } from './type-registry.js';

/**
 * PostgreSQL type → record-model schema and value, as Debezium maps them. Values arrive in
 * PostgreSQL's text format from both the snapshot and pgoutput, so one converter serves both.
 * Types without a mapping return undefined; the caller drops the column or (with
 * include.unknown.datatypes) passes its text as a string.
 */
export interface ColumnMapping {
  readonly schema: Schema;
  /** Converts the column's text form (never called for SQL NULL). */
  readonly convert: (text: string) => unknown;
}

export interface TypeMappingOptions {
  readonly decimalMode: DecimalHandlingMode;
  readonly intervalMode: IntervalHandlingMode;
  readonly timePrecisionMode: TimePrecisionMode;
  readonly binaryMode: BinaryHandlingMode;
}

const identity = (text: string): string => text;

function opt(schema: Schema): Schema {
  return { ...schema, optional: true };
}

function numericTypmod(typmod: number): { precision?: number; scale?: number } {
  if (typmod < 4) return {};
  return { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff };
}

function fractionDigits(typmod: number): number {
  return typmod < 0 ? 6 : typmod;
}

function hexBytes(text: string): Buffer {
  if (!text.startsWith('\\x')) throw new DataError(`bytea "${text.slice(0, 20)}" is not in hex format`);
  return Buffer.from(text.slice(2), 'hex');
}

function timestampMicros(text: string): bigint {
  if (text === 'infinity') return positiveInfinityMicros;
  if (text === '-infinity') return negativeInfinityMicros;
  return parseTimestampMicros(text);
}

/** Debezium keeps 'infinity' dates as the extreme int32 days. */
function dateDays(text: string): number {
  if (text === 'infinity') return 2147483647;
  if (text === '-infinity') return -2147483648;
  return parseDate(text);
}

function moneyText(text: string): string {
  const negative = text.includes('-') || text.startsWith('(');
  const digits = text.replace(/[^0-9.]/g, '');
  return negative ? `-${digits}` : digits;
}

function baseMapping(type: PgType, typmod: number, options: TypeMappingOptions): ColumnMapping | undefined {
  if (type.kind === 'e') return { schema: opt(enumOf(type.enumLabels ?? [])), convert: identity };
  if (type.kind === 'r' || type.kind === 'm')
    return { schema: opt({ type: 'string', optional: true }), convert: identity };
  if (type.schema !== 'pg_catalog') {
    // Extension types Debezium maps by name.
    if (type.name === 'hstore') return { schema: opt(logical(LogicalName.Json)), convert: hstoreToJson };
    if (type.name === 'citext' || type.name === 'ltree')
      return { schema: { type: 'string', optional: true }, convert: identity };
    return undefined;
  }
  switch (type.name) {
    case 'bool':
      return { schema: { type: 'boolean', optional: true }, convert: (t) => t === 't' };
    case 'int2':
      return { schema: { type: 'int16', optional: true }, convert: Number };
    case 'int4':
      return { schema: { type: 'int32', optional: true }, convert: Number };
    case 'int8':
    case 'oid':
      return { schema: { type: 'int64', optional: true }, convert: (t) => BigInt(t) };
    case 'float4':
      return { schema: { type: 'float32', optional: true }, convert: Number };
    case 'float8':
      return { schema: { type: 'float64', optional: true }, convert: Number };
    case 'numeric': {
      const { precision, scale } = numericTypmod(typmod);
      return {
        schema: decimalSchema(options.decimalMode, precision, scale, true),
        convert: (t) => decimalValue(options.decimalMode, t, scale),
      };
    }
    case 'money':
      return {
        schema: decimalSchema(options.decimalMode, undefined, 2, true),
        convert: (t) => decimalValue(options.decimalMode, moneyText(t), 2),
      };
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'char':
    case 'name':
    case 'inet':
    case 'cidr':
    case 'macaddr':
    case 'macaddr8':
    case 'tsvector':
    case 'tsquery':
    case 'pg_lsn':
    case 'line':
    case 'lseg':
    case 'box':
    case 'path':
    case 'polygon':
    case 'circle':
      // Geometric types other than point have no Debezium struct: their text form is passed on.
      return { schema: { type: 'string', optional: true }, convert: identity };
    case 'uuid':
      return { schema: opt(logical(LogicalName.Uuid)), convert: identity };
    case 'json':
    case 'jsonb':
      return { schema: opt(logical(LogicalName.Json)), convert: identity };
    case 'xml':
      return { schema: opt(logical(LogicalName.Xml)), convert: identity };
    case 'bytea':
      return {
        schema: binarySchema(options.binaryMode, true),
        convert: (t) => binaryValue(options.binaryMode, hexBytes(t)),
      };
    case 'bit':
    case 'varbit': {
      if (type.name === 'bit' && typmod === 1)
        return { schema: { type: 'boolean', optional: true }, convert: (t) => t === '1' };
      return { schema: opt(bits(typmod > 0 ? typmod : 2147483647)), convert: bitsToBytes };
    }
    case 'date':
      return { schema: dateSchema(options.timePrecisionMode, true), convert: dateDays };
    case 'time': {
      const schema = timeSchema(options.timePrecisionMode, fractionDigits(typmod), true);
      return { schema, convert: (t) => timeValue(schema, parseTimeMicros(t)) };
    }
    case 'timetz':
      return { schema: zonedTimeSchema(true), convert: zonedTime };
    case 'timestamp': {
      const schema = timestampSchema(options.timePrecisionMode, fractionDigits(typmod), true);
      return { schema, convert: (t) => timestampValue(schema, timestampMicros(t)) };
    }
    case 'timestamptz': {
      const width = fractionDigits(typmod);
      return { schema: zonedTimestampSchema(true), convert: (t) => zonedTimestamp(t, width) };
    }
    case 'interval':
      return options.intervalMode === 'string'
        ? { schema: opt(logical(LogicalName.Interval)), convert: intervalIso }
        : { schema: durationSchema(true), convert: intervalMicros };
    case 'point':
      return {
        schema: opt(logical(LogicalName.Point)),
        convert: (t) => {
          const { x, y } = parsePoint(t);
          return { x, y, wkb: pointWkb(x, y), srid: null };
        },
      };
    default:
      return undefined;
  }
}

/** The mapping for a column of type `oid` with modifier `typmod`; the registry must have resolved `oid`. */
export function columnMapping(
  registry: TypeRegistry,
  oid: number,
  typmod: number,
  options: TypeMappingOptions,
): ColumnMapping | undefined {
  const type = registry.known(oid);
  if (type === undefined) return undefined;
  if (type.kind === 'd') {
    return columnMapping(registry, type.baseTypeOid, typmod >= 0 ? typmod : type.domainTypmod, options);
  }
  if (type.category === 'A' && type.elementOid !== 0) {
    const element = columnMapping(registry, type.elementOid, typmod, options);
    if (element === undefined) return undefined;
    const delimiter = registry.known(type.elementOid)?.delimiter ?? ',';
    return {
      schema: { type: 'array', optional: true, valueSchema: opt(element.schema) },
      convert: (t) => parseArrayLiteral(t, delimiter).map((e) => (e === null ? null : element.convert(e))),
    };
  }
  return baseMapping(type, typmod, options);
}

/** What include.unknown.datatypes=true emits for unmapped types: the text form. */
export const unknownTypeMapping: ColumnMapping = {
  schema: { type: 'string', optional: true },
  convert: identity,
};
