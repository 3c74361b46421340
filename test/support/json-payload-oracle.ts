import {
  LogicalName,
  bytesToUnscaled,
  decimalToUnscaled,
  newStruct,
  unscaledToBytes,
  unscaledToDecimal,
  type Schema,
} from '../../runtime/record/index.js';
import {
  JsonNumberText,
  isJsonObject,
  stringifyExactJson,
  type ExactJson,
} from '../../runtime/converters/exact-json.js';
import type { PayloadOptions } from '../../runtime/converters/json-payload.js';
import { schemaToJson } from '../../runtime/converters/json-schema-form.js';

/**
 * The JsonConverter's write path before its compiled writer (json-payload-writer.ts): a
 * JSON tree per value, stringified with exact numbers; and its read path before paths were
 * built only on failure. Kept only as the oracles the converter is compared with.
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

const nonFinite: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function wrongType(path: string, schema: Schema, json: ExactJson, expected: string): Error {
  return at(
    path,
    `expected ${expected} for ${schema.type}${schema.name ? ` (${schema.name})` : ''}, got ${describe(json)}`,
  );
}

function describe(json: ExactJson): string {
  if (Array.isArray(json)) return 'an array';
  if (json instanceof JsonNumberText) return `the number ${json.text}`;
  if (typeof json === 'bigint') return `the integer ${json}`;
  return typeof json === 'object' ? 'an object' : JSON.stringify(json);
}

export function oracleFromJsonPayload(
  schema: Schema,
  json: ExactJson | undefined,
  options: PayloadOptions,
  path = '',
): unknown {
  if (json === null || json === undefined) {
    if (schema.defaultValue !== undefined) return schema.defaultValue;
    if (schema.optional) return null;
    throw at(path, `null for a required ${schema.type} without a default`);
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      if (typeof json !== 'bigint') throw wrongType(path, schema, json, 'an integer');
      return Number(json);
    case 'int64':
      if (typeof json !== 'bigint') throw wrongType(path, schema, json, 'an integer');
      return json;
    case 'float32':
    case 'float64':
      if (typeof json === 'bigint') return Number(json);
      if (json instanceof JsonNumberText) return json.toNumber();
      if (typeof json === 'string' && json in nonFinite) return nonFinite[json];
      throw wrongType(path, schema, json, 'a number');
    case 'boolean':
      if (typeof json !== 'boolean') throw wrongType(path, schema, json, 'true or false');
      return json;
    case 'string':
      if (typeof json !== 'string') throw wrongType(path, schema, json, 'a string');
      return json;
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        const scale = scaleOf(schema);
        if (typeof json === 'string')
          return unscaledToDecimal(bytesToUnscaled(Buffer.from(json, 'base64')), scale);
        if (typeof json === 'bigint') return unscaledToDecimal(json * 10n ** BigInt(scale), scale);
        if (json instanceof JsonNumberText && !/[eE]/.test(json.text)) {
          return unscaledToDecimal(decimalToUnscaled(json.text, scale), scale);
        }
        throw wrongType(path, schema, json, 'a base64 string or a plain decimal number');
      }
      if (typeof json !== 'string') throw wrongType(path, schema, json, 'a base64 string');
      return Buffer.from(json, 'base64');
    case 'array':
      if (!Array.isArray(json)) throw wrongType(path, schema, json, 'an array');
      return json.map((v, i) => oracleFromJsonPayload(schema.valueSchema!, v, options, `${path}[${i}]`));
    case 'map': {
      const keySchema = schema.keySchema!;
      const valueSchema = schema.valueSchema!;
      const result = new Map<unknown, unknown>();
      if (Array.isArray(json)) {
        json.forEach((entry, i) => {
          if (!Array.isArray(entry) || entry.length !== 2)
            throw at(`${path}[${i}]`, 'expected a [key, value] pair');
          result.set(
            oracleFromJsonPayload(keySchema, entry[0], options, `${path}{key}`),
            oracleFromJsonPayload(valueSchema, entry[1], options, `${path}[${i}]`),
          );
        });
        return result;
      }
      if (!isJsonObject(json)) throw wrongType(path, schema, json, 'an object');
      for (const [k, v] of Object.entries(json)) {
        result.set(
          oracleFromJsonPayload(keySchema, k, options, `${path}{key}`),
          oracleFromJsonPayload(valueSchema, v, options, `${path}[${k}]`),
        );
      }
      return result;
    }
    case 'struct': {
      if (typeof json !== 'object' || Array.isArray(json) || json instanceof JsonNumberText)
        throw wrongType(path, schema, json, 'an object');
      const struct = newStruct();
      for (const field of schema.fields ?? []) {
        struct[field.name] = oracleFromJsonPayload(
          field.schema,
          json[field.name],
          options,
          join(path, field.name),
        );
      }
      return struct;
    }
  }
}
