import {
  LogicalName,
  decimalToUnscaled,
  newStruct,
  unscaledToBytes,
  unscaledToDecimal,
  type Schema,
} from '../../runtime/record/index.js';
import { JsonNumberText, stringifyExactJson } from '../../runtime/converters/exact-json.js';
import type { PayloadOptions } from '../../runtime/converters/json-payload.js';
import { schemaToJson } from '../../runtime/converters/json-schema-form.js';

/**
 * The JsonConverter's write path before its compiled writer (json-payload-writer.ts): a
 * JSON tree per value, stringified with exact numbers. Kept only as the oracle the
 * compiled writer's bytes are compared with.
 */

function at(path: string, problem: string): Error {
  return new Error(`${path || 'payload'}: ${problem}`);
}

function scaleOf(schema: Schema): number {
  return Number(schema.parameters?.scale ?? '0');
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

export function toJsonPayload(schema: Schema, value: unknown, options: PayloadOptions, path = ''): unknown {
  if (value === null || value === undefined) {
    if (schema.defaultValue !== undefined && options.replaceNullWithDefault) {
      return toJsonPayload({ ...schema, defaultValue: undefined }, schema.defaultValue, options, path);
    }
    if (schema.optional) return null;
    throw at(path, `null for a required ${schema.type} without a default`);
  }
  const wrongType = (expected: string): Error =>
    at(path, `expected ${expected} for ${schema.type}, got ${typeof value}`);
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      if (typeof value !== 'number') throw wrongType('a number');
      return value;
    case 'int64':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      throw wrongType('a bigint');
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') throw wrongType('a number');
      // JSON has no NaN or Infinity: written as strings, as Jackson does with QUOTE_NON_NUMERIC_NUMBERS.
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType('a boolean');
      return value;
    case 'string':
      if (typeof value !== 'string') throw wrongType('a string');
      return value;
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        if (typeof value !== 'string') throw wrongType('a decimal string');
        const unscaled = decimalToUnscaled(value, scaleOf(schema));
        return options.decimalFormat === 'NUMERIC'
          ? new JsonNumberText(unscaledToDecimal(unscaled, scaleOf(schema)))
          : unscaledToBytes(unscaled).toString('base64');
      }
      if (!(value instanceof Uint8Array)) throw wrongType('a Buffer');
      return Buffer.from(value).toString('base64');
    case 'array': {
      if (!Array.isArray(value)) throw wrongType('an array');
      const items = schema.valueSchema!;
      return value.map((v, i) => toJsonPayload(items, v, options, `${path}[${i}]`));
    }
    case 'map': {
      if (!(value instanceof Map)) throw wrongType('a Map');
      const keySchema = schema.keySchema!;
      const valueSchema = schema.valueSchema!;
      if (keySchema.type === 'string') {
        const object: Record<string, unknown> = newStruct();
        for (const [k, v] of value)
          object[k as string] = toJsonPayload(valueSchema, v, options, `${path}[${k}]`);
        return object;
      }
      return [...value].map(([k, v]) => [
        toJsonPayload(keySchema, k, options, `${path}{key}`),
        toJsonPayload(valueSchema, v, options, `${path}[${String(k)}]`),
      ]);
    }
    case 'struct': {
      if (typeof value !== 'object') throw wrongType('a struct');
      const struct = value as Record<string, unknown>;
      const object: Record<string, unknown> = newStruct();
      for (const field of schema.fields ?? []) {
        object[field.name] = toJsonPayload(field.schema, struct[field.name], options, join(path, field.name));
      }
      return object;
    }
  }
}

/** The message the converter wrote for `value` (schemas.enable on or off). */
export function oracleJsonMessage(
  schema: Schema,
  value: unknown,
  options: PayloadOptions,
  schemasEnabled: boolean,
): Buffer {
  const payloadText = stringifyExactJson(toJsonPayload(schema, value, options));
  if (!schemasEnabled) return Buffer.from(payloadText);
  const schemaText = stringifyExactJson(schemaToJson(schema, (s, v) => toJsonPayload(s, v, options)));
  return Buffer.from(`{"schema":${schemaText},"payload":${payloadText}}`);
}
