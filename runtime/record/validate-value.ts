import { DataError } from '../plugin/errors.js';
import { decimalToUnscaled, unscaledPrecision } from './decimal-value.js';
import { LogicalName, logicalTypeOf } from './logical-types.js';
import type { Schema } from './schema.js';

/** A value that does not fit its schema; `path` names the field (`after.price`, `tags[2]`). */
export class RecordValueError extends DataError {
  override readonly name: string = 'RecordValueError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || '(root)'}: ${problem}`);
  }
}

const integerRanges = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
} as const;

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/**
 * Checks a record-model value against its schema (see schema.ts for which JavaScript
 * type each schema type takes) and throws a RecordValueError naming the first field
 * that does not fit. Null is allowed for optional schemas and for schemas with a default.
 */
export function validateValue(schema: Schema, value: unknown): void {
  check(schema, value, '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
  if (value instanceof Map) return 'Map';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'bigint') return `bigint ${value}`;
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${String(value)}`;
}

function typeLabel(schema: Schema): string {
  return schema.name === undefined ? schema.type : `${schema.type} (${schema.name})`;
}

function check(schema: Schema, value: unknown, path: string): void {
  if (value === null || value === undefined) {
    if (schema.optional || schema.defaultValue !== undefined) return;
    throw new RecordValueError(path, `is null but ${typeLabel(schema)} is required`);
  }
  const fail = (expected: string): never => {
    throw new RecordValueError(path, `expected ${expected} for ${typeLabel(schema)}, got ${describe(value)}`);
  };
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32': {
      const [min, max] = integerRanges[schema.type];
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer number');
      if ((value as number) < min || (value as number) > max) fail(`an integer in ${min}..${max}`);
      break;
    }
    case 'int64':
      if (typeof value !== 'bigint') fail('a bigint');
      if ((value as bigint) < int64Min || (value as bigint) > int64Max) fail('a bigint within 64 bits');
      break;
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') fail('a number');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail('a boolean');
      break;
    case 'string':
      if (typeof value !== 'string') fail('a string');
      break;
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        checkDecimal(schema, value, path, fail);
        return;
      }
      if (!(value instanceof Uint8Array)) fail('a Buffer');
      break;
    case 'array': {
      if (!Array.isArray(value)) fail('an array');
      const elementSchema = requireChild(schema.valueSchema, path, 'valueSchema');
      (value as unknown[]).forEach((element, i) => check(elementSchema, element, `${path}[${i}]`));
      break;
    }
    case 'map': {
      if (!(value instanceof Map)) fail('a Map');
      const keySchema = requireChild(schema.keySchema, path, 'keySchema');
      const valueSchema = requireChild(schema.valueSchema, path, 'valueSchema');
      for (const [k, v] of value as Map<unknown, unknown>) {
        check(keySchema, k, `${path}{key ${String(k)}}`);
        check(valueSchema, v, `${path}[${String(k)}]`);
      }
      break;
    }
    case 'struct': {
      if (
        typeof value !== 'object' ||
        Array.isArray(value) ||
        value instanceof Map ||
        Buffer.isBuffer(value)
      ) {
        fail('a struct (plain object)');
      }
      const struct = value as Record<string, unknown>;
      const fields = schema.fields ?? [];
      for (const field of fields) {
        check(field.schema, struct[field.name], path === '' ? field.name : `${path}.${field.name}`);
      }
      for (const key of Object.keys(struct)) {
        if (!fields.some((f) => f.name === key)) {
          throw new RecordValueError(
            path === '' ? key : `${path}.${key}`,
            `is not a field of ${schema.name ?? 'the struct'} (fields: ${fields.map((f) => f.name).join(', ')})`,
          );
        }
      }
      return;
    }
  }
  const problem = logicalTypeOf(schema)?.check?.(value, schema);
  if (problem !== undefined)
    throw new RecordValueError(path, `${describe(value)} ${problem} (${schema.name})`);
}

function requireChild(child: Schema | undefined, path: string, what: string): Schema {
  if (child === undefined) throw new RecordValueError(path, `the schema has no ${what}`);
  return child;
}

function checkDecimal(schema: Schema, value: unknown, path: string, fail: (expected: string) => never): void {
  if (typeof value !== 'string') fail('a decimal string such as "-12.34"');
  const scale = Number(schema.parameters?.scale ?? '0');
  let unscaled: bigint;
  try {
    unscaled = decimalToUnscaled(value as string, scale);
  } catch (error) {
    throw new RecordValueError(path, `${(error as Error).message} (${schema.name})`);
  }
  const precision = schema.parameters?.['connect.decimal.precision'];
  if (precision !== undefined && unscaledPrecision(unscaled) > Number(precision)) {
    throw new RecordValueError(path, `"${String(value)}" has more digits than the precision ${precision}`);
  }
}
