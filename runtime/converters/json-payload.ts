import { DataError } from '../plugin/errors.js';
import {
  LogicalName,
  bytesToUnscaled,
  decimalToUnscaled,
  unscaledToDecimal,
  type Schema,
} from '../record/index.js';
import { JsonNumberText, isJsonObject, type ExactJson } from './exact-json.js';
import { newStruct } from '../record/struct-value.js';

/**
 * The `"payload"` half of Kafka Connect's JsonConverter format: JSON values to record-model
 * values, following a schema (or inferred when there is none), and schemaless values to JSON
 * (json-payload-writer.ts writes values that have a schema).
 * int64 and decimals stay exact (bigint / JsonNumberText, see exact-json.ts; an integer a
 * double holds exactly may also come as number); bytes
 * are base64; maps with string keys are objects, other maps arrays of [key, value].
 */

export type DecimalFormat = 'BASE64' | 'NUMERIC';

export interface PayloadOptions {
  readonly decimalFormat: DecimalFormat;
  /** Kafka Connect's `replace.null.with.default`: null in a field with a default becomes the default. */
  readonly replaceNullWithDefault: boolean;
}

function at(path: string, problem: string): DataError {
  return new DataError(`${path || 'payload'}: ${problem}`);
}

const nonFinite: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function scaleOf(schema: Schema): number {
  return Number(schema.parameters?.scale ?? '0');
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/**
 * A JSON payload value as the record-model value of `schema`; errors name the field path
 * below `path` (`after.price: …`).
 */
export function fromJsonPayload(
  schema: Schema,
  json: ExactJson | undefined,
  options: PayloadOptions,
  path = '',
): unknown {
  try {
    return read(schema, json, options);
  } catch (error) {
    if (!(error instanceof ReadProblem)) throw error;
    let full = path;
    for (let i = error.steps.length - 1; i >= 0; i--) full = error.steps[i]!(full);
    throw at(full, error.message);
  }
}

/** A JSON value that does not fit its schema; the field path is added while the error unwinds. */
class ReadProblem extends DataError {
  /** Innermost first: each turns the path of its parent into its own. */
  readonly steps: ((outer: string) => string)[] = [];
}

function within(error: unknown, step: (outer: string) => string): unknown {
  if (error instanceof ReadProblem) error.steps.push(step);
  return error;
}

const fieldStep =
  (name: string) =>
  (outer: string): string =>
    join(outer, name);
const suffixStep =
  (suffix: string) =>
  (outer: string): string =>
    `${outer}${suffix}`;

// Paths are built only when a value fails: this runs for every field of every record.
function read(schema: Schema, json: ExactJson | undefined, options: PayloadOptions): unknown {
  if (json === null || json === undefined) {
    if (schema.defaultValue !== undefined) return schema.defaultValue;
    if (schema.optional) return null;
    throw new ReadProblem(`null for a required ${schema.type} without a default`);
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      if (typeof json === 'number' && Number.isSafeInteger(json)) return json;
      if (typeof json !== 'bigint') throw wrongType(schema, json, 'an integer');
      return Number(json);
    case 'int64':
      if (typeof json === 'number' && Number.isSafeInteger(json)) return BigInt(json);
      if (typeof json !== 'bigint') throw wrongType(schema, json, 'an integer');
      return json;
    case 'float32':
    case 'float64':
      if (typeof json === 'number') return json;
      if (typeof json === 'bigint') return Number(json);
      if (json instanceof JsonNumberText) return json.toNumber();
      if (typeof json === 'string' && json in nonFinite) return nonFinite[json];
      throw wrongType(schema, json, 'a number');
    case 'boolean':
      if (typeof json !== 'boolean') throw wrongType(schema, json, 'true or false');
      return json;
    case 'string':
      if (typeof json !== 'string') throw wrongType(schema, json, 'a string');
      return json;
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        const scale = scaleOf(schema);
        if (typeof json === 'string')
          return unscaledToDecimal(bytesToUnscaled(Buffer.from(json, 'base64')), scale);
        if (typeof json === 'number' && Number.isSafeInteger(json))
          return unscaledToDecimal(BigInt(json) * 10n ** BigInt(scale), scale);
        if (typeof json === 'bigint') return unscaledToDecimal(json * 10n ** BigInt(scale), scale);
        if (json instanceof JsonNumberText && !/[eE]/.test(json.text)) {
          return unscaledToDecimal(decimalToUnscaled(json.text, scale), scale);
        }
        throw wrongType(schema, json, 'a base64 string or a plain decimal number');
      }
      if (typeof json !== 'string') throw wrongType(schema, json, 'a base64 string');
      return Buffer.from(json, 'base64');
    case 'array': {
      if (!Array.isArray(json)) throw wrongType(schema, json, 'an array');
      const items: unknown[] = [];
      let i = 0;
      try {
        for (; i < json.length; i++) items.push(read(schema.valueSchema!, json[i], options));
      } catch (error) {
        throw within(error, suffixStep(`[${i}]`));
      }
      return items;
    }
    case 'map': {
      const keySchema = schema.keySchema!;
      const valueSchema = schema.valueSchema!;
      const result = new Map<unknown, unknown>();
      if (Array.isArray(json)) {
        for (let i = 0; i < json.length; i++) {
          const entry = json[i];
          if (!Array.isArray(entry) || entry.length !== 2) {
            throw within(new ReadProblem('expected a [key, value] pair'), suffixStep(`[${i}]`));
          }
          let key: unknown;
          try {
            key = read(keySchema, entry[0], options);
          } catch (error) {
            throw within(error, suffixStep('{key}'));
          }
          try {
            result.set(key, read(valueSchema, entry[1], options));
          } catch (error) {
            throw within(error, suffixStep(`[${i}]`));
          }
        }
        return result;
      }
      if (!isJsonObject(json)) throw wrongType(schema, json, 'an object');
      for (const [k, v] of Object.entries(json)) {
        let key: unknown;
        try {
          key = read(keySchema, k, options);
        } catch (error) {
          throw within(error, suffixStep('{key}'));
        }
        try {
          result.set(key, read(valueSchema, v, options));
        } catch (error) {
          throw within(error, suffixStep(`[${k}]`));
        }
      }
      return result;
    }
    case 'struct': {
      if (typeof json !== 'object' || Array.isArray(json) || json instanceof JsonNumberText)
        throw wrongType(schema, json, 'an object');
      const struct = newStruct();
      const fields = schema.fields ?? [];
      let i = 0;
      try {
        for (; i < fields.length; i++) {
          const field = fields[i]!;
          struct[field.name] = read(field.schema, json[field.name], options);
        }
      } catch (error) {
        throw within(error, fieldStep(fields[i]!.name));
      }
      return struct;
    }
  }
}

// A function of its own, not a closure per call: this runs for every field of every record.
function wrongType(schema: Schema, json: ExactJson, expected: string): ReadProblem {
  return new ReadProblem(
    `expected ${expected} for ${schema.type}${schema.name ? ` (${schema.name})` : ''}, got ${describe(json)}`,
  );
}

function describe(json: ExactJson): string {
  if (Array.isArray(json)) return 'an array';
  if (json instanceof JsonNumberText) return `the number ${json.text}`;
  if (typeof json === 'bigint') return `the integer ${json}`;
  return typeof json === 'object' ? 'an object' : JSON.stringify(json);
}

/** Schemaless values (`schemas.enable=false`, or a null schema): inferred from the JavaScript types. */
export function toSchemalessJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map(toSchemalessJson);
  if (value instanceof Map) {
    const entries = [...value];
    if (entries.every(([k]) => typeof k === 'string')) {
      return Object.fromEntries(entries.map(([k, v]) => [k, toSchemalessJson(v)]));
    }
    return entries.map(([k, v]) => [toSchemalessJson(k), toSchemalessJson(v)]);
  }
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toSchemalessJson(v)]));
  }
  return value;
}

/** Integers stay bigint (Connect reads them as Long); other numbers become number. */
export function fromSchemalessJson(json: ExactJson): unknown {
  if (json instanceof JsonNumberText) return json.toNumber();
  if (Array.isArray(json)) return json.map(fromSchemalessJson);
  if (isJsonObject(json)) {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, fromSchemalessJson(v)]));
  }
  return json;
}
