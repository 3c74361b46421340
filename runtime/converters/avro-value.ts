import {
  LogicalName,
  bytesToUnscaled,
  decimalToUnscaled,
  unscaledToBytes,
  unscaledToDecimal,
  type Schema,
} from '../record/index.js';
import { avroFieldNames } from './avro-schema.js';
import { newStruct } from '../record/struct-value.js';
import { avscKey } from './avsc-type-hook.js';

/**
 * Record-model values to the values avsc encodes for the schema toAvroSchema made, and
 * back: decimals become two's-complement bytes, non-string-keyed maps arrays of
 * {key, value}, struct fields take their Avro names. Errors name the field path.
 */

function at(path: string, problem: string): Error {
  return new Error(`${path || '(root)'}: ${problem}`);
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function scaleOf(schema: Schema): number {
  return Number(schema.parameters?.scale ?? '0');
}

export function toAvroValue(schema: Schema, value: unknown, path = ''): unknown {
  if (value === null || value === undefined) {
    if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
      return toAvroValue({ ...schema, defaultValue: undefined }, schema.defaultValue, path);
    }
    if (schema.optional) return null;
    throw at(
      path,
      `null for a required ${schema.type}${schema.name ? ` (${schema.name})` : ''} without a default`,
    );
  }
  switch (schema.type) {
    case 'int64':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      return value;
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        if (typeof value !== 'string') throw at(path, `expected a decimal string, got ${typeof value}`);
        try {
          return unscaledToBytes(decimalToUnscaled(value, scaleOf(schema)));
        } catch (error) {
          throw at(path, (error as Error).message);
        }
      }
      return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value;
    case 'array':
      if (!Array.isArray(value)) throw at(path, `expected an array, got ${typeof value}`);
      return value.map((v, i) => toAvroValue(schema.valueSchema!, v, `${path}[${i}]`));
    case 'map': {
      if (!(value instanceof Map)) throw at(path, `expected a Map, got ${typeof value}`);
      const keySchema = schema.keySchema!;
      const valueSchema = schema.valueSchema!;
      if (keySchema.type === 'string' && !keySchema.optional) {
        const object: Record<string, unknown> = newStruct();
        for (const [k, v] of value)
          object[k as string] = toAvroValue(valueSchema, v, `${path}[${String(k)}]`);
        return object;
      }
      return [...value].map(([k, v]) => ({
        key: toAvroValue(keySchema, k, `${path}{key}`),
        value: toAvroValue(valueSchema, v, `${path}[${String(k)}]`),
      }));
    }
    case 'struct': {
      if (typeof value !== 'object') throw at(path, `expected a struct, got ${typeof value}`);
      const struct = value as Record<string, unknown>;
      const names = avroFieldNames(schema);
      const record: Record<string, unknown> = newStruct();
      (schema.fields ?? []).forEach((f, i) => {
        record[avscKey(names[i]!)] = toAvroValue(f.schema, struct[f.name], join(path, f.name));
      });
      return record;
    }
    default:
      return value;
  }
}

/** `schema` is the record-model form of the writer schema (fromAvroSchema), so field names match. */
export function fromAvroValue(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (schema.type) {
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        return unscaledToDecimal(bytesToUnscaled(value as Buffer), scaleOf(schema));
      }
      return value;
    case 'array':
      return (value as unknown[]).map((v) => fromAvroValue(schema.valueSchema!, v));
    case 'map': {
      if (Array.isArray(value)) {
        return new Map(
          (value as { key: unknown; value: unknown }[]).map((e) => [
            fromAvroValue(schema.keySchema!, e.key),
            fromAvroValue(schema.valueSchema!, e.value),
          ]),
        );
      }
      return new Map(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          fromAvroValue(schema.valueSchema!, v),
        ]),
      );
    }
    case 'struct': {
      const record = value as Record<string, unknown>;
      const struct = newStruct();
      for (const f of schema.fields ?? []) struct[f.name] = fromAvroValue(f.schema, record[avscKey(f.name)]);
      return struct;
    }
    default:
      return value;
  }
}
