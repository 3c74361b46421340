import { DataError } from '../plugin/errors.js';
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

/** A value avsc cannot be given; the field path is added while the error unwinds. */
class AvroValueProblem extends DataError {
  /** Innermost first: each turns the path of its parent into its own. */
  readonly steps: ((outer: string) => string)[] = [];
}

function within(error: unknown, step: (outer: string) => string): unknown {
  if (error instanceof AvroValueProblem) error.steps.push(step);
  return error;
}

const fieldStep =
  (name: string) =>
  (outer: string): string =>
    outer === '' ? name : `${outer}.${name}`;
const suffixStep =
  (suffix: string) =>
  (outer: string): string =>
    `${outer}${suffix}`;

function scaleOf(schema: Schema): number {
  return Number(schema.parameters?.scale ?? '0');
}

/** The avsc value of a record-model value; errors name the field path (`after.price: …`). */
export function toAvroValue(schema: Schema, value: unknown): unknown {
  try {
    return convert(schema, value);
  } catch (error) {
    if (!(error instanceof AvroValueProblem)) throw error;
    let path = '';
    for (let i = error.steps.length - 1; i >= 0; i--) path = error.steps[i]!(path);
    throw new DataError(`${path || '(root)'}: ${error.message}`, { cause: error });
  }
}

// Paths are built only when a value fails, and loops stand in for map/forEach callbacks:
// this runs for every field of every record, and under tsx each closure made per call
// also costs a defineProperty.
function convert(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
      return convert({ ...schema, defaultValue: undefined }, schema.defaultValue);
    }
    if (schema.optional) return null;
    throw new AvroValueProblem(
      `null for a required ${schema.type}${schema.name ? ` (${schema.name})` : ''} without a default`,
    );
  }
  switch (schema.type) {
    case 'int64':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      return value;
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        if (typeof value !== 'string')
          throw new AvroValueProblem(`expected a decimal string, got ${typeof value}`);
        try {
          return unscaledToBytes(decimalToUnscaled(value, scaleOf(schema)));
        } catch (error) {
          throw new AvroValueProblem((error as Error).message);
        }
      }
      return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value;
    case 'array': {
      if (!Array.isArray(value)) throw new AvroValueProblem(`expected an array, got ${typeof value}`);
      const items: unknown[] = new Array<unknown>(value.length);
      let i = 0;
      try {
        for (; i < value.length; i++) {
          // A hole stays a hole, as Array.prototype.map leaves it.
          if (i in value) items[i] = convert(schema.valueSchema!, value[i]);
        }
      } catch (error) {
        throw within(error, suffixStep(`[${i}]`));
      }
      return items;
    }
    case 'map': {
      if (!(value instanceof Map)) throw new AvroValueProblem(`expected a Map, got ${typeof value}`);
      const keySchema = schema.keySchema!;
      const valueSchema = schema.valueSchema!;
      if (keySchema.type === 'string' && !keySchema.optional) {
        const object: Record<string, unknown> = newStruct();
        for (const [k, v] of value) {
          try {
            object[k as string] = convert(valueSchema, v);
          } catch (error) {
            throw within(error, suffixStep(`[${String(k)}]`));
          }
        }
        return object;
      }
      const entries: { key: unknown; value: unknown }[] = [];
      for (const [k, v] of value) {
        let key: unknown;
        try {
          key = convert(keySchema, k);
        } catch (error) {
          throw within(error, suffixStep('{key}'));
        }
        try {
          entries.push({ key, value: convert(valueSchema, v) });
        } catch (error) {
          throw within(error, suffixStep(`[${String(k)}]`));
        }
      }
      return entries;
    }
    case 'struct': {
      if (typeof value !== 'object') throw new AvroValueProblem(`expected a struct, got ${typeof value}`);
      const struct = value as Record<string, unknown>;
      const names = avroFieldNames(schema);
      const fields = schema.fields ?? [];
      // A plain object: avscKey renames a `__proto__` field, the one name assignment would misread.
      const record: Record<string, unknown> = {};
      let i = 0;
      try {
        for (; i < fields.length; i++) {
          record[avscKey(names[i]!)] = convert(fields[i]!.schema, struct[fields[i]!.name]);
        }
      } catch (error) {
        throw within(error, fieldStep(fields[i]!.name));
      }
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
    case 'array': {
      const items: unknown[] = [];
      for (const v of value as unknown[]) items.push(fromAvroValue(schema.valueSchema!, v));
      return items;
    }
    case 'map': {
      const map = new Map<unknown, unknown>();
      if (Array.isArray(value)) {
        for (const e of value as { key: unknown; value: unknown }[]) {
          map.set(fromAvroValue(schema.keySchema!, e.key), fromAvroValue(schema.valueSchema!, e.value));
        }
        return map;
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        map.set(k, fromAvroValue(schema.valueSchema!, v));
      }
      return map;
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
