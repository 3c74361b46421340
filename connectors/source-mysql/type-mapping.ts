import { DataError } from '../../runtime/plugin/index.js';
import {
  binarySchema,
  binaryValue,
  dateSchema,
  decimalSchema,
  decimalValue,
  epochDay,
  timeSchema,
  timeValue,
  timestampSchema,
  timestampValue,
  zonedTimestampSchema,
} from '../../runtime/cdc/index.js';
import type { BinaryHandlingMode, DecimalHandlingMode, TimePrecisionMode } from '../../runtime/cdc/index.js';
import { bits, enumOf, enumSet, logical, LogicalName } from '../../runtime/record/index.js';
import type { Schema } from '../../runtime/record/index.js';
import type { BigintUnsignedHandlingMode } from './config.js';
import { encodeWkb } from './geometry-wkb.js';
import { baseType, typeArguments } from './table-structure.js';
import type { TableColumn } from './table-structure.js';

/**
 * MySQL/MariaDB column types → Debezium's schemas and values: the one mapping the
 * snapshot and the binlog reader share. Both hand over values in the same raw forms
 * (mysql2 and zongji with `dateStrings`, `jsonStrings`, exact big numbers):
 * integers as number or decimal string, DECIMAL as string, temporal values as MySQL
 * text ('2024-03-01 10:15:30.123456', TIMESTAMP in UTC), BIT and binary types as
 * Buffer, text as string, GEOMETRY as mysql2's parsed object.
 *
 * Zero dates ('0000-00-00', '2024-00-10') become null in nullable columns and the epoch
 * in NOT NULL columns, as in Debezium.
 */
export interface TypeOptions {
  readonly decimalMode: DecimalHandlingMode;
  readonly timePrecisionMode: TimePrecisionMode;
  readonly binaryMode: BinaryHandlingMode;
  readonly bigintUnsignedMode: BigintUnsignedHandlingMode;
  readonly tinyint1AsBoolean: boolean;
}

export interface ColumnConverter {
  readonly schema: Schema;
  /** Converts a non-null raw value. */
  convert(raw: unknown): unknown;
}

export function columnConverter(column: TableColumn, options: TypeOptions): ColumnConverter {
  const converter = required(column, options);
  const defaultValue = constantDefault(column, converter);
  const schema = {
    ...converter.schema,
    ...(column.nullable ? { optional: true } : {}),
    ...(defaultValue === undefined ? {} : { defaultValue }),
  };
  return { schema, convert: converter.convert };
}

/**
 * A constant DEFAULT converted like a value of the column, for the schema (so a sink can
 * fill rows that existed before ADD COLUMN … DEFAULT). Binary, bit and spatial values come
 * as bytes, not text, and int64 past 2^53 would not survive an Avro JSON default: left out.
 */
function constantDefault(column: TableColumn, converter: ColumnConverter): unknown {
  if (column.defaultText === undefined) return undefined;
  if (
    /^(bit|binary|varbinary|tinyblob|blob|mediumblob|longblob|geometry|point|linestring|polygon|multi|geometrycollection)/.test(
      column.columnType,
    )
  )
    return undefined;
  try {
    const value = converter.convert(column.defaultText);
    if (
      typeof value === 'bigint' &&
      (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    )
      return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** Schema and conversion for a NOT NULL column; `columnConverter` makes them optional. */
function required(column: TableColumn, options: TypeOptions): ColumnConverter {
  const type = column.columnType;
  const base = baseType(type);
  const args = typeArguments(type);
  const unsigned = /\bunsigned\b/.test(type);
  // Zero dates: null where the column allows it, else the epoch.
  const zero = <T>(epochValue: T): T | null => (column.nullable ? null : epochValue);
  if (column.json) return { schema: logical(LogicalName.Json), convert: text };
  switch (base) {
    case 'tinyint':
      if (options.tinyint1AsBoolean && args[0] === 1) {
        return { schema: { type: 'boolean', optional: false }, convert: (raw) => Number(raw) !== 0 };
      }
      return { schema: { type: 'int16', optional: false }, convert: Number };
    case 'smallint':
      return { schema: { type: unsigned ? 'int32' : 'int16', optional: false }, convert: Number };
    case 'mediumint':
      return { schema: { type: 'int32', optional: false }, convert: Number };
    case 'int':
      return unsigned
        ? { schema: { type: 'int64', optional: false }, convert: (raw) => BigInt(raw as number | string) }
        : { schema: { type: 'int32', optional: false }, convert: Number };
    case 'bigint':
      if (unsigned && options.bigintUnsignedMode === 'precise') {
        return { schema: decimalSchema('precise', 20, 0, false), convert: (raw) => String(raw) };
      }
      // Debezium's `long` mode: unsigned values above 2^63-1 wrap to negative.
      return {
        schema: { type: 'int64', optional: false },
        convert: (raw) => BigInt.asIntN(64, BigInt(raw as number | string)),
      };
    case 'float':
      return {
        schema: { type: args[0] !== undefined && args[0] > 24 ? 'float64' : 'float32', optional: false },
        convert: Number,
      };
    case 'double':
      return { schema: { type: 'float64', optional: false }, convert: Number };
    case 'decimal': {
      const precision = args[0] ?? 10;
      const scale = args[1] ?? 0;
      return {
        schema: decimalSchema(options.decimalMode, precision, scale, false),
        convert: (raw) => decimalValue(options.decimalMode, String(raw), scale),
      };
    }
    case 'bit':
      if ((args[0] ?? 1) === 1) {
        return {
          schema: { type: 'boolean', optional: false },
          convert: (raw) => bitBuffer(raw).some((byte) => byte !== 0),
        };
      }
      return { schema: bits(args[0]!), convert: (raw) => bitsValue(bitBuffer(raw), args[0]!) };
    case 'date':
      return {
        schema: dateSchema(options.timePrecisionMode, false),
        convert: (raw) => {
          const parts = dateParts(text(raw));
          return parts ? epochDay(parts.year, parts.month, parts.day) : zero(0);
        },
      };
    case 'time': {
      const schema = timeSchema(options.timePrecisionMode, args[0] ?? 0, false);
      return { schema, convert: (raw) => timeValue(schema, timeMicros(text(raw))) };
    }
    case 'datetime': {
      const schema = timestampSchema(options.timePrecisionMode, args[0] ?? 0, false);
      return {
        schema,
        convert: (raw) => {
          const micros = dateTimeMicros(text(raw));
          return micros === null ? zero(timestampValue(schema, 0n)) : timestampValue(schema, micros);
        },
      };
    }
    case 'timestamp':
      return {
        schema: zonedTimestampSchema(false),
        convert: (raw) => zonedTimestamp(text(raw)) ?? zero('1970-01-01T00:00:00Z'),
      };
    case 'year':
      // The binlog decoder reads YEAR 0000 as 1900 (it adds 1900 to the stored byte); YEAR holds
      // 1901–2155 and 0000 only, so 1900 is always 0000, as the snapshot reads it.
      return {
        schema: logical(LogicalName.Year),
        convert: (raw) => (Number(raw) === 1900 ? 0 : Number(raw)),
      };
    case 'enum':
      return { schema: enumOf(enumValues(type)), convert: text };
    case 'set':
      return { schema: enumSet(enumValues(type)), convert: text };
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return {
        schema: binarySchema(options.binaryMode, false),
        convert: (raw) =>
          binaryValue(options.binaryMode, Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))),
      };
    case 'geometry':
    case 'point':
    case 'linestring':
    case 'polygon':
    case 'multipoint':
    case 'multilinestring':
    case 'multipolygon':
    case 'geometrycollection':
      return {
        schema: logical(LogicalName.Geometry),
        convert: (raw) => ({ wkb: encodeWkb(base, raw), srid: null }),
      };
    default:
      // char, varchar, *text, MariaDB's uuid/inet4/inet6 (decoded to text by the drivers).
      return { schema: { type: 'string', optional: false }, convert: text };
  }
}

function text(raw: unknown): string {
  return Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
}

/** The values of `enum('a','b')` / `set('x','y')` as information_schema spells them. */
export function enumValues(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const values: string[] = [];
  let i = open + 1;
  while (i > 0 && i < columnType.length && columnType[i] === "'") {
    let value = '';
    i++;
    while (i < columnType.length) {
      if (columnType[i] === "'" && columnType[i + 1] === "'") {
        value += "'";
        i += 2;
      } else if (columnType[i] === "'") {
        i++;
        break;
      } else {
        value += columnType[i++];
      }
    }
    values.push(value);
    if (columnType[i] === ',') i++;
  }
  return values;
}

function bitBuffer(raw: unknown): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  throw new DataError(`a BIT value arrived as ${typeof raw}, expected a Buffer`);
}

/** Debezium's Bits: the bit string little-endian, in ceil(length / 8) bytes. */
function bitsValue(bigEndian: Buffer, length: number): Buffer {
  const size = Math.ceil(length / 8);
  const padded = Buffer.alloc(size);
  bigEndian.copy(padded, Math.max(0, size - bigEndian.length), Math.max(0, bigEndian.length - size));
  return Buffer.from(padded.reverse());
}

interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** 'YYYY-MM-DD' → parts, or null for MySQL's zero and partial-zero dates. */
function dateParts(value: string): DateParts | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) throw new DataError(`"${value}" is not a MySQL date`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month === 0 || day === 0 ? null : { year, month, day };
}

/** Microseconds in the fraction digits `.123` or `.123456`. */
function fractionMicros(fraction: string | undefined): bigint {
  return BigInt((fraction ?? '').padEnd(6, '0').slice(0, 6) || '0');
}

/** '[-]HHH:MM:SS[.ffffff]' (MySQL TIME, which may be negative or above 24 hours) → microseconds. */
export function timeMicros(value: string): bigint {
  const match = /^(-?)(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!match) throw new DataError(`"${value}" is not a MySQL time`);
  const seconds = BigInt(match[2]!) * 3600n + BigInt(match[3]!) * 60n + BigInt(match[4]!);
  const micros = seconds * 1_000_000n + fractionMicros(match[5]);
  return match[1] === '-' ? -micros : micros;
}

/** 'YYYY-MM-DD HH:MM:SS[.ffffff]' as UTC wall clock → epoch microseconds, null for zero dates. */
export function dateTimeMicros(value: string): bigint | null {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!match) throw new DataError(`"${value}" is not a MySQL datetime`);
  const date = dateParts(match[1]!);
  if (!date) return null;
  const seconds =
    BigInt(epochDay(date.year, date.month, date.day)) * 86_400n +
    BigInt(match[2]!) * 3600n +
    BigInt(match[3]!) * 60n +
    BigInt(match[4]!);
  return seconds * 1_000_000n + fractionMicros(match[5]);
}

/** A UTC TIMESTAMP text → Debezium's ZonedTimestamp ('2024-03-01T10:15:30.123456Z'), null for zero. */
export function zonedTimestamp(value: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(value);
  if (!match) throw new DataError(`"${value}" is not a MySQL timestamp`);
  if (!dateParts(match[1]!)) return null;
  return `${match[1]}T${match[2]}${match[3] ?? ''}Z`;
}
