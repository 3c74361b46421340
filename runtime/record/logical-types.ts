import { DataError } from '../plugin/errors.js';
import type { Schema } from './schema.js';
import { bytes, float64, int32, int64, named, optional, string, struct } from './schema-builders.js';

/**
 * The named logical types of Kafka Connect and Debezium: one table from which the
 * schema builders, value validation and the Avro mapping (runtime/converters/) derive.
 * The names are the ones Debezium puts in `Schema.name`, so consumers that switch on
 * them (`io.debezium.time.MicroTimestamp`) read Siphon topics unchanged.
 */
export const LogicalName = {
  /** bytes schema, decimal-string value; parameters `scale`, `connect.decimal.precision`. */
  Decimal: 'org.apache.kafka.connect.data.Decimal',
  /** int32 days since 1970-01-01. */
  Date: 'org.apache.kafka.connect.data.Date',
  /** int32 milliseconds since midnight. */
  Time: 'org.apache.kafka.connect.data.Time',
  /** int64 milliseconds since the epoch. */
  Timestamp: 'org.apache.kafka.connect.data.Timestamp',
  DebeziumDate: 'io.debezium.time.Date',
  DebeziumTime: 'io.debezium.time.Time',
  MicroTime: 'io.debezium.time.MicroTime',
  NanoTime: 'io.debezium.time.NanoTime',
  DebeziumTimestamp: 'io.debezium.time.Timestamp',
  MicroTimestamp: 'io.debezium.time.MicroTimestamp',
  NanoTimestamp: 'io.debezium.time.NanoTimestamp',
  /** ISO-8601 string with offset, e.g. `2024-03-01T10:15:30.123456Z`. */
  ZonedTimestamp: 'io.debezium.time.ZonedTimestamp',
  /** ISO-8601 time with offset, e.g. `10:15:30Z`. */
  ZonedTime: 'io.debezium.time.ZonedTime',
  Year: 'io.debezium.time.Year',
  /** int64 microseconds (PostgreSQL interval, months counted as 30.4375 days). */
  MicroDuration: 'io.debezium.time.MicroDuration',
  /** ISO-8601 duration string, e.g. `P1Y2M3DT4H5M6.78S`. */
  Interval: 'io.debezium.time.Interval',
  Uuid: 'io.debezium.data.Uuid',
  Json: 'io.debezium.data.Json',
  Xml: 'io.debezium.data.Xml',
  /** string; parameter `allowed` is the comma-separated list of values. */
  Enum: 'io.debezium.data.Enum',
  /** string of comma-separated values from parameter `allowed`. */
  EnumSet: 'io.debezium.data.EnumSet',
  /** bytes (little-endian bit string); parameter `length` is the number of bits. */
  Bits: 'io.debezium.data.Bits',
  /** struct {scale int32, value bytes}: a decimal whose scale varies per value. */
  VariableScaleDecimal: 'io.debezium.data.VariableScaleDecimal',
  Point: 'io.debezium.data.geometry.Point',
  Geometry: 'io.debezium.data.geometry.Geometry',
  Geography: 'io.debezium.data.geometry.Geography',
} as const;

export type LogicalTypeName = (typeof LogicalName)[keyof typeof LogicalName];

export interface LogicalTypeDef {
  /** The schema (base type, version 1, fixed parameters) of the logical type. */
  readonly schema: Schema;
  /**
   * The Avro `logicalType` written next to `connect.name`: only for Kafka Connect's own logical
   * types, as Confluent's AvroData does. Debezium's semantic types (MicroTime, …) carry only
   * `connect.name`, so Avro readers accept their full range (24:00:00, negative MySQL TIME).
   */
  readonly avroLogicalType?: string;
  /** Checks a value already known to fit the base type; returns what is wrong, or undefined. */
  readonly check?: (value: unknown, schema: Schema) => string | undefined;
}

// Debezium writes PostgreSQL's infinite timestamptz values as the words themselves.
const isoZonedTimestamp =
  /^(?:-?infinity|[+-]?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))$/;
const isoZonedTime = /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const isoDuration = /^-?P(-?\d+Y)?(-?\d+M)?(-?\d+W)?(-?\d+D)?(T(-?\d+H)?(-?\d+M)?(-?\d+(\.\d+)?S)?)?$/;
const uuidText = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const millisPerDay = 86_400_000;
const mysqlTimeLimitMicros = (838n * 3600n + 59n * 60n + 59n) * 1_000_000n + 999_999n;

function matches(pattern: RegExp, what: string): (value: unknown) => string | undefined {
  return (value) => (pattern.test(value as string) ? undefined : `is not ${what}`);
}

function allowedValues(schema: Schema): readonly string[] | undefined {
  const allowed = schema.parameters?.allowed;
  return allowed === undefined ? undefined : allowed.split(',');
}

function inRange(
  min: number | bigint,
  max: number | bigint,
  unit: string,
): (value: unknown) => string | undefined {
  return (value) => {
    const v = value as number | bigint;
    return v < min || v > max ? `is outside ${min}..${max} ${unit}` : undefined;
  };
}

function version1(schema: Schema, name: string, parameters?: Readonly<Record<string, string>>): Schema {
  return named(schema, name, parameters === undefined ? { version: 1 } : { version: 1, parameters });
}

const geometryFields = (): [string, Schema][] => [
  ['wkb', bytes()],
  ['srid', optional(int32())],
];

export const logicalTypes: Readonly<Record<LogicalTypeName, LogicalTypeDef>> = {
  [LogicalName.Decimal]: {
    // Precision and scale are per column: build it with decimal(scale, precision).
    schema: version1(bytes(), LogicalName.Decimal, { scale: '0' }),
    avroLogicalType: 'decimal',
  },
  [LogicalName.Date]: { schema: version1(int32(), LogicalName.Date), avroLogicalType: 'date' },
  [LogicalName.Time]: {
    schema: version1(int32(), LogicalName.Time),
    avroLogicalType: 'time-millis',
    check: inRange(0, millisPerDay - 1, 'milliseconds of a day'),
  },
  [LogicalName.Timestamp]: {
    schema: version1(int64(), LogicalName.Timestamp),
    avroLogicalType: 'timestamp-millis',
  },
  [LogicalName.DebeziumDate]: {
    schema: version1(int32(), LogicalName.DebeziumDate),
  },
  [LogicalName.DebeziumTime]: {
    schema: version1(int32(), LogicalName.DebeziumTime),
    // PostgreSQL allows 24:00:00.
    check: inRange(0, millisPerDay, 'milliseconds of a day'),
  },
  [LogicalName.MicroTime]: {
    schema: version1(int64(), LogicalName.MicroTime),
    // MySQL's TIME is a duration from -838:59:59.999999 to 838:59:59.999999, which
    // Debezium emits as MicroTime unchanged; PostgreSQL's time stays within a day.
    check: inRange(-mysqlTimeLimitMicros, mysqlTimeLimitMicros, 'microseconds within ±838:59:59.999999'),
  },
  [LogicalName.NanoTime]: {
    schema: version1(int64(), LogicalName.NanoTime),
    check: inRange(0n, BigInt(millisPerDay) * 1_000_000n, 'nanoseconds of a day'),
  },
  [LogicalName.DebeziumTimestamp]: {
    schema: version1(int64(), LogicalName.DebeziumTimestamp),
  },
  [LogicalName.MicroTimestamp]: {
    schema: version1(int64(), LogicalName.MicroTimestamp),
  },
  [LogicalName.NanoTimestamp]: { schema: version1(int64(), LogicalName.NanoTimestamp) },
  [LogicalName.ZonedTimestamp]: {
    schema: version1(string(), LogicalName.ZonedTimestamp),
    check: matches(isoZonedTimestamp, 'an ISO-8601 timestamp with offset such as 2024-03-01T10:15:30.5Z'),
  },
  [LogicalName.ZonedTime]: {
    schema: version1(string(), LogicalName.ZonedTime),
    check: matches(isoZonedTime, 'an ISO-8601 time with offset such as 10:15:30Z'),
  },
  [LogicalName.Year]: { schema: version1(int32(), LogicalName.Year) },
  [LogicalName.MicroDuration]: { schema: version1(int64(), LogicalName.MicroDuration) },
  [LogicalName.Interval]: {
    schema: version1(string(), LogicalName.Interval),
    check: matches(isoDuration, 'an ISO-8601 duration such as P1Y2M3DT4H5M6.5S'),
  },
  [LogicalName.Uuid]: {
    schema: version1(string(), LogicalName.Uuid),
    check: matches(uuidText, 'a UUID such as 123e4567-e89b-12d3-a456-426614174000'),
  },
  [LogicalName.Json]: { schema: version1(string(), LogicalName.Json) },
  [LogicalName.Xml]: { schema: version1(string(), LogicalName.Xml) },
  [LogicalName.Enum]: {
    schema: version1(string(), LogicalName.Enum),
    check: (value, schema) => {
      const allowed = allowedValues(schema);
      return allowed === undefined || allowed.includes(value as string)
        ? undefined
        : `is not one of the allowed values ${allowed.join(',')}`;
    },
  },
  [LogicalName.EnumSet]: {
    schema: version1(string(), LogicalName.EnumSet),
    check: (value, schema) => {
      const allowed = allowedValues(schema);
      if (allowed === undefined || value === '') return undefined;
      const bad = (value as string).split(',').find((item) => !allowed.includes(item));
      return bad === undefined
        ? undefined
        : `holds "${bad}", not one of the allowed values ${allowed.join(',')}`;
    },
  },
  [LogicalName.Bits]: {
    schema: version1(bytes(), LogicalName.Bits),
    check: (value, schema) => {
      const length = Number(schema.parameters?.length);
      if (!Number.isInteger(length)) return undefined;
      const maxBytes = Math.ceil(length / 8);
      return (value as Buffer).length > maxBytes
        ? `has more than ${maxBytes} bytes for ${length} bits`
        : undefined;
    },
  },
  [LogicalName.VariableScaleDecimal]: {
    schema: {
      ...version1(
        struct(LogicalName.VariableScaleDecimal, [
          ['scale', int32()],
          ['value', bytes()],
        ]),
        LogicalName.VariableScaleDecimal,
      ),
      doc: 'Variable scaled decimal',
    },
  },
  [LogicalName.Point]: {
    schema: {
      ...version1(
        struct(LogicalName.Point, [
          ['x', float64()],
          ['y', float64()],
          ['wkb', optional(bytes())],
          geometryFields()[1]!,
        ]),
        LogicalName.Point,
      ),
      doc: 'Geometry (POINT)',
    },
  },
  [LogicalName.Geometry]: {
    schema: {
      ...version1(struct(LogicalName.Geometry, geometryFields()), LogicalName.Geometry),
      doc: 'Geometry',
    },
  },
  [LogicalName.Geography]: {
    schema: {
      ...version1(struct(LogicalName.Geography, geometryFields()), LogicalName.Geography),
      doc: 'Geography',
    },
  },
};

/** Logical types built without arguments (all but Decimal, Enum, EnumSet and Bits, which have builders). */
export type PlainLogicalName = Exclude<
  LogicalTypeName,
  typeof LogicalName.Decimal | typeof LogicalName.Enum | typeof LogicalName.EnumSet | typeof LogicalName.Bits
>;

/** The schema of a logical type, e.g. `logical(LogicalName.MicroTimestamp)`. */
export function logical(name: PlainLogicalName): Schema {
  return logicalTypes[name].schema;
}

/** Kafka Connect's Decimal: value is a decimal string with at most `scale` fraction digits. */
export function decimal(scale: number, precision?: number): Schema {
  if (!Number.isInteger(scale) || scale < 0) {
    throw new DataError(`decimal scale ${scale} is invalid: use an integer >= 0`);
  }
  if (precision !== undefined && (!Number.isInteger(precision) || precision < 1)) {
    throw new DataError(`decimal precision ${precision} is invalid: use an integer >= 1, or leave it out`);
  }
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
  return version1(bytes(), LogicalName.Decimal, parameters);
}

/** Debezium's Enum with its allowed values (a column of an ENUM type). */
export function enumOf(allowed: readonly string[]): Schema {
  return version1(string(), LogicalName.Enum, { allowed: allowed.join(',') });
}

/** Debezium's EnumSet (MySQL SET) with its allowed values. */
export function enumSet(allowed: readonly string[]): Schema {
  return version1(string(), LogicalName.EnumSet, { allowed: allowed.join(',') });
}

/** Debezium's Bits (BIT(n) with n > 1). */
export function bits(length: number): Schema {
  return version1(bytes(), LogicalName.Bits, { length: String(length) });
}

/** The definition of a schema's logical type, or undefined for plain schemas and record names. */
export function logicalTypeOf(schema: Schema): LogicalTypeDef | undefined {
  return schema.name === undefined
    ? undefined
    : (logicalTypes as Record<string, LogicalTypeDef>)[schema.name];
}
