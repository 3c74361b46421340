import type { Schema } from '../record/index.js';

/**
 * `time.precision.mode`: which logical types carry dates, times and timestamps.
 *  - adaptive: precision decides — up to 3 fraction digits in milliseconds
 *    (io.debezium.time.Time/Timestamp), up to 6 in microseconds (MicroTime/MicroTimestamp).
 *  - adaptive_time_microseconds: as adaptive, but TIME is always io.debezium.time.MicroTime.
 *  - connect: Kafka Connect's Date/Time/Timestamp (milliseconds; sub-millisecond digits lost).
 * Zoned values (timestamptz, timetz) are ISO-8601 strings in UTC in every mode, as in Debezium.
 */
export type TimePrecisionMode = 'adaptive' | 'adaptive_time_microseconds' | 'connect';
export const timePrecisionModes: readonly TimePrecisionMode[] = [
  'adaptive',
  'adaptive_time_microseconds',
  'connect',
];

export const temporalNames = {
  date: 'io.debezium.time.Date',
  time: 'io.debezium.time.Time',
  microTime: 'io.debezium.time.MicroTime',
  timestamp: 'io.debezium.time.Timestamp',
  microTimestamp: 'io.debezium.time.MicroTimestamp',
  zonedTimestamp: 'io.debezium.time.ZonedTimestamp',
  zonedTime: 'io.debezium.time.ZonedTime',
  microDuration: 'io.debezium.time.MicroDuration',
  connectDate: 'org.apache.kafka.connect.data.Date',
  connectTime: 'org.apache.kafka.connect.data.Time',
  connectTimestamp: 'org.apache.kafka.connect.data.Timestamp',
} as const;

export function dateSchema(mode: TimePrecisionMode, optional: boolean): Schema {
  return mode === 'connect'
    ? { type: 'int32', optional, name: temporalNames.connectDate, version: 1 }
    : { type: 'int32', optional, name: temporalNames.date, version: 1 };
}

/** `precision` is the column's fractional second digits (6 when undeclared). */
export function timeSchema(mode: TimePrecisionMode, precision: number, optional: boolean): Schema {
  if (mode === 'connect') return { type: 'int32', optional, name: temporalNames.connectTime, version: 1 };
  if (mode === 'adaptive' && precision <= 3)
    return { type: 'int32', optional, name: temporalNames.time, version: 1 };
  return { type: 'int64', optional, name: temporalNames.microTime, version: 1 };
}

export function timestampSchema(mode: TimePrecisionMode, precision: number, optional: boolean): Schema {
  if (mode === 'connect')
    return { type: 'int64', optional, name: temporalNames.connectTimestamp, version: 1 };
  if (precision <= 3) return { type: 'int64', optional, name: temporalNames.timestamp, version: 1 };
  return { type: 'int64', optional, name: temporalNames.microTimestamp, version: 1 };
}

export function zonedTimestampSchema(optional: boolean): Schema {
  return { type: 'string', optional, name: temporalNames.zonedTimestamp, version: 1 };
}

export function zonedTimeSchema(optional: boolean): Schema {
  return { type: 'string', optional, name: temporalNames.zonedTime, version: 1 };
}

export function durationSchema(optional: boolean): Schema {
  return { type: 'int64', optional, name: temporalNames.microDuration, version: 1 };
}

/** Value for `timeSchema` from microseconds since midnight. */
export function timeValue(schema: Schema, micros: bigint): number | bigint {
  return schema.type === 'int64' ? micros : Number(floorDiv(micros, 1000n));
}

/** Value for `timestampSchema` from microseconds since the epoch (UTC wall clock for local timestamps). */
export function timestampValue(schema: Schema, micros: bigint): bigint {
  return schema.name === temporalNames.microTimestamp ? micros : floorDiv(micros, 1000n);
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? q - 1n : q;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (year may be ≤ 0 for BC). */
export function epochDay(year: number, month: number, day: number): number {
  // Algorithm from Howard Hinnant's days_from_civil, valid for all years.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
