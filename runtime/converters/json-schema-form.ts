import { DataError } from '../plugin/errors.js';
import type { Field, Schema, SchemaType } from '../record/index.js';
import { isJsonObject, type ExactJson } from './exact-json.js';

/**
 * The `"schema"` half of Kafka Connect's JsonConverter envelope:
 * `{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"…"}`.
 * Defaults are carried in their JSON payload form, converted by the caller's `payload` functions.
 * Type names and key order are Connect's: float32/float64 are "float"/"double", and
 * `name`, `version`, `doc`, `parameters`, `default` follow `optional` in that order.
 */

/** Connect's JSON spelling of the record model's floating point types. */
const jsonTypeNames: Partial<Record<SchemaType, string>> = { float32: 'float', float64: 'double' };
const typesByJsonName: Readonly<Record<string, SchemaType>> = { float: 'float32', double: 'float64' };

const schemaTypes: readonly SchemaType[] = [
  'int8',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'boolean',
  'string',
  'bytes',
  'array',
  'map',
  'struct',
];

export function schemaToJson(
  schema: Schema,
  defaultToJson: (schema: Schema, value: unknown) => unknown,
): object {
  const json: Record<string, unknown> = { type: jsonTypeNames[schema.type] ?? schema.type };
  if (schema.type === 'struct') {
    json.fields = (schema.fields ?? []).map((f) => ({
      ...schemaToJson(f.schema, defaultToJson),
      field: f.name,
    }));
  } else if (schema.type === 'array') {
    json.items = schemaToJson(requireChild(schema.valueSchema, 'array items'), defaultToJson);
  } else if (schema.type === 'map') {
    json.keys = schemaToJson(requireChild(schema.keySchema, 'map keys'), defaultToJson);
    json.values = schemaToJson(requireChild(schema.valueSchema, 'map values'), defaultToJson);
  }
  json.optional = schema.optional;
  if (schema.name !== undefined) json.name = schema.name;
  if (schema.version !== undefined) json.version = schema.version;
  if (schema.doc !== undefined) json.doc = schema.doc;
  if (schema.parameters !== undefined) json.parameters = schema.parameters;
  if (schema.defaultValue !== undefined) json.default = defaultToJson(schema, schema.defaultValue);
  return json;
}

function requireChild(child: Schema | undefined, what: string): Schema {
  if (child === undefined) throw new DataError(`the schema has no ${what}`);
  return child;
}

/** Parses the `"schema"` object; errors name the path inside it. */
export function schemaFromJson(
  json: ExactJson,
  defaultFromJson: (schema: Schema, value: ExactJson) => unknown,
  path = 'schema',
): Schema {
  if (!isJsonObject(json)) {
    throw new DataError(`${path} must be a JSON object`);
  }
  // float32/float64 are read too: Siphon wrote them before it spelled them as Connect does.
  const type = typeof json.type === 'string' ? (typesByJsonName[json.type] ?? json.type) : json.type;
  if (typeof type !== 'string' || !schemaTypes.includes(type as SchemaType)) {
    throw new DataError(
      `${path}.type ${JSON.stringify(String(json.type))} is not one of ${schemaTypes.map((t) => jsonTypeNames[t] ?? t).join(', ')}`,
    );
  }
  const text = (key: string): string | undefined => {
    const v = json[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new DataError(`${path}.${key} must be a string`);
    return v;
  };
  let schema: Schema = { type: type as SchemaType, optional: json.optional === true };
  const name = text('name');
  const doc = text('doc');
  if (name !== undefined) schema = { ...schema, name };
  if (doc !== undefined) schema = { ...schema, doc };
  if (json.version !== undefined && json.version !== null)
    schema = { ...schema, version: Number(json.version) };
  const parameters = json.parameters;
  if (parameters !== undefined && parameters !== null) {
    if (!isJsonObject(parameters)) {
      throw new DataError(`${path}.parameters must be an object of strings`);
    }
    schema = {
      ...schema,
      parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)])),
    };
  }
  if (type === 'struct') {
    const fields = json.fields;
    if (!Array.isArray(fields)) throw new DataError(`${path}.fields must be an array for a struct`);
    const built: Field[] = fields.map((f, index) => {
      const fieldName = isJsonObject(f) ? f.field : undefined;
      if (typeof fieldName !== 'string')
        throw new DataError(`${path}.fields[${index}].field must be the field name`);
      return { name: fieldName, index, schema: schemaFromJson(f, defaultFromJson, `${path}.${fieldName}`) };
    });
    schema = { ...schema, fields: built };
  } else if (type === 'array') {
    schema = { ...schema, valueSchema: schemaFromJson(json.items ?? null, defaultFromJson, `${path}.items`) };
  } else if (type === 'map') {
    schema = {
      ...schema,
      keySchema: schemaFromJson(json.keys ?? null, defaultFromJson, `${path}.keys`),
      valueSchema: schemaFromJson(json.values ?? null, defaultFromJson, `${path}.values`),
    };
  }
  if (json.default !== undefined) schema = { ...schema, defaultValue: defaultFromJson(schema, json.default) };
  return schema;
}
