import { DataError } from '../plugin/errors.js';
import type { Schema } from './schema.js';

/**
 * Casting one value to a primitive type, as Kafka Connect's Cast transform does. The
 * Cast SMT and the JDBC sink's mapping `casts` both use it, so they agree on every case.
 */
export const CAST_TYPES = [
  'int8',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'boolean',
  'string',
] as const;
export type CastType = (typeof CAST_TYPES)[number];

export function isCastType(value: string): value is CastType {
  return (CAST_TYPES as readonly string[]).includes(value);
}

const INTEGER_RANGES: Record<'int8' | 'int16' | 'int32', [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A value the cast cannot convert: a bad record. */
export class CastError extends DataError {
  override readonly name: string = 'CastError';
}

/** The schema of a value cast to `type`: optionality kept, logical name dropped. */
export function castSchema(from: Schema | null, type: CastType): Schema {
  return { type, optional: from?.optional ?? true };
}

export function castValue(value: unknown, type: CastType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'int8':
    case 'int16':
    case 'int32': {
      const integer = toBigInt(value, type);
      const [min, max] = INTEGER_RANGES[type];
      if (integer < BigInt(min) || integer > BigInt(max)) {
        throw new CastError(`${String(value)} is out of range for ${type} (${min}..${max})`);
      }
      return Number(integer);
    }
    case 'int64': {
      const integer = toBigInt(value, type);
      if (integer < INT64_MIN || integer > INT64_MAX)
        throw new CastError(`${String(value)} is out of range for int64`);
      return integer;
    }
    case 'float32':
    case 'float64':
      return toNumber(value, type);
    case 'boolean':
      return toBoolean(value);
    case 'string':
      return toText(value);
  }
}

function toBigInt(value: unknown, type: CastType): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CastError(`${value} cannot be cast to ${type}`);
    return BigInt(Math.trunc(value));
  }
  if (typeof value === 'string') {
    const text = value.trim();
    // Decimal strings (the record model's Decimal) truncate toward zero like Java's longValue().
    const match = /^([+-]?\d+)(\.\d*)?$/.exec(text);
    if (match?.[1] !== undefined) return BigInt(match[1]);
    throw new CastError(`"${value}" is not a number and cannot be cast to ${type}`);
  }
  throw new CastError(`a ${describe(value)} cannot be cast to ${type}`);
}

function toNumber(value: unknown, type: CastType): number {
  if (typeof value === 'number') return type === 'float32' ? Math.fround(value) : value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value.trim());
    if (!Number.isNaN(parsed)) return type === 'float32' ? Math.fround(parsed) : parsed;
  }
  throw new CastError(`${JSON.stringify(String(value))} cannot be cast to ${type}`);
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  throw new CastError(
    `${JSON.stringify(String(value))} cannot be cast to boolean; only true/false and numbers can`,
  );
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  throw new CastError(`a ${describe(value)} cannot be cast to string`);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'map';
  return typeof value;
}
