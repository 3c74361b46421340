import type { Schema } from '../../runtime/record/index.js';
import { bytesToUnscaled, LogicalName, unscaledToDecimal } from '../../runtime/record/index.js';
import { toJsonText } from './json-text.js';
import {
  dateLiteral,
  timeLiteral,
  timestampLiteral,
  toMicros,
  zonedTimestampLiteral,
  zonedTimeToUtc,
  type TemporalTarget,
} from './temporal-values.js';

/** Where the two dialects bind differently. */
export interface BindOptions {
  /** Temporal ranges and forms: PostgreSQL (±infinity, BC, zoned kept) or MySQL (UTC, years 1–9999, refused or clamped). */
  readonly temporal: TemporalTarget;
  /** PostgreSQL arrays of scalars bind as arrays; everything else as JSON text. */
  readonly scalarArrays: 'native' | 'json';
  readonly booleans: 'boolean' | 'integer';
  /** MicroDuration: PostgreSQL interval text, or the number of microseconds. */
  readonly durations: 'interval' | 'micros';
}

/** A record-model value (see runtime/record/schema.ts) as the parameter a driver sends. */
export function bindValue(schema: Schema | null, value: unknown, options: BindOptions): unknown {
  if (value === null || value === undefined) return null;
  switch (schema?.name) {
    case LogicalName.Decimal:
      return String(value);
    case LogicalName.VariableScaleDecimal: {
      const struct = value as { scale: number; value: Buffer };
      return unscaledToDecimal(bytesToUnscaled(struct.value), struct.scale);
    }
    case LogicalName.Date:
    case LogicalName.DebeziumDate:
      return dateLiteral(Number(value), options.temporal);
    case LogicalName.Time:
    case LogicalName.DebeziumTime:
      return timeLiteral(toMicros(value, 1_000n), options.temporal);
    case LogicalName.MicroTime:
      return timeLiteral(toMicros(value, 1_000_000n), options.temporal);
    case LogicalName.NanoTime:
      return timeLiteral(toMicros(value, 1_000_000_000n), options.temporal);
    case LogicalName.Timestamp:
    case LogicalName.DebeziumTimestamp:
      return timestampLiteral(toMicros(value, 1_000n), options.temporal);
    case LogicalName.MicroTimestamp:
      return timestampLiteral(toMicros(value, 1_000_000n), options.temporal);
    case LogicalName.NanoTimestamp:
      return timestampLiteral(toMicros(value, 1_000_000_000n), options.temporal);
    case LogicalName.ZonedTimestamp:
      return zonedTimestampLiteral(String(value), options.temporal);
    case LogicalName.ZonedTime:
      return options.temporal === 'postgresql' ? String(value) : zonedTimeToUtc(String(value));
    case LogicalName.MicroDuration:
      return options.durations === 'interval' ? `${String(value)} microseconds` : String(value);
  }
  return bindPlain(schema, value, options);
}

function bindPlain(schema: Schema | null, value: unknown, options: BindOptions): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return options.booleans === 'boolean' ? value : value ? 1 : 0;
  // Drivers send numbers as String(n), which writes -0 as "0".
  if (Object.is(value, -0)) return '-0';
  if (typeof value === 'number' || typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value) && options.scalarArrays === 'native' && isScalarArray(schema, value)) {
    return value.map((item) => bindValue(schema?.valueSchema ?? null, item, options));
  }
  return toJsonText(value);
}

function isScalarArray(schema: Schema | null, value: readonly unknown[]): boolean {
  const element = schema?.valueSchema;
  if (element) return !['struct', 'map', 'array', 'bytes'].includes(element.type);
  return value.every(
    (item) => item === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof item),
  );
}
