import { DataError } from '../plugin/errors.js';
import type { Field, Schema, SchemaType } from './schema.js';

/**
 * Small functions that build record-model schemas, so connectors write
 * `struct('inventory.public.customers.Value', [['id', int32()], ['email', optional(string())]])`
 * instead of object literals with hand-numbered field indexes.
 * Every builder returns a new required schema; wrap it in `optional()` to allow null.
 */

function primitive(type: SchemaType): Schema {
  return { type, optional: false };
}

export const int8 = (): Schema => primitive('int8');
export const int16 = (): Schema => primitive('int16');
export const int32 = (): Schema => primitive('int32');
/** Values are bigint. */
export const int64 = (): Schema => primitive('int64');
export const float32 = (): Schema => primitive('float32');
export const float64 = (): Schema => primitive('float64');
export const boolean = (): Schema => primitive('boolean');
export const string = (): Schema => primitive('string');
/** Values are Buffer. */
export const bytes = (): Schema => primitive('bytes');

/** A struct with its fields in the given order; `name` is the record name (`<prefix>.<schema>.<table>.Value`). */
export function struct(name: string | undefined, fields: readonly (readonly [string, Schema])[]): Schema {
  const seen = new Set<string>();
  const built: Field[] = fields.map(([fieldName, schema], index) => {
    if (seen.has(fieldName)) {
      throw new DataError(
        `struct ${name ?? '(unnamed)'}: field "${fieldName}" appears twice; field names must be unique`,
      );
    }
    seen.add(fieldName);
    return { name: fieldName, index, schema };
  });
  return name === undefined
    ? { type: 'struct', optional: false, fields: built }
    : { type: 'struct', optional: false, name, fields: built };
}

export function array(valueSchema: Schema): Schema {
  return { type: 'array', optional: false, valueSchema };
}

/** Values are Map instances. */
export function map(keySchema: Schema, valueSchema: Schema): Schema {
  return { type: 'map', optional: false, keySchema, valueSchema };
}

/** The same schema, allowing null. */
export function optional(schema: Schema): Schema {
  return { ...schema, optional: true };
}

/** The same schema with a default value (used when a struct field is missing or null). */
export function withDefault(schema: Schema, defaultValue: unknown): Schema {
  return { ...schema, defaultValue };
}

export function withDoc(schema: Schema, doc: string): Schema {
  return { ...schema, doc };
}

/** The same schema with a name (a logical type or record name), version and parameters. */
export function named(
  schema: Schema,
  name: string,
  options: { version?: number; parameters?: Readonly<Record<string, string>> } = {},
): Schema {
  return {
    ...schema,
    name,
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
  };
}

/** The field of a struct schema by name, or undefined. */
export function fieldOf(schema: Schema, name: string): Field | undefined {
  return schema.fields?.find((f) => f.name === name);
}
