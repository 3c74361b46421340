import type { ConnectRecord, Schema } from '../record/index.js';

/** Which half of a record a `$Key` / `$Value` transform works on. */
export type RecordPart = 'key' | 'value';

export function partSchema(record: ConnectRecord, part: RecordPart): Schema | null {
  return part === 'key' ? record.keySchema : record.valueSchema;
}

export function partValue(record: ConnectRecord, part: RecordPart): unknown {
  return part === 'key' ? record.key : record.value;
}

export function withPart<R extends ConnectRecord>(
  record: R,
  part: RecordPart,
  schema: Schema | null,
  value: unknown,
): R {
  return part === 'key'
    ? { ...record, keySchema: schema, key: value }
    : { ...record, valueSchema: schema, value };
}

/** A struct schema like `base` (name, optionality) with these fields, indexes renumbered. */
export function structSchema(base: Schema, fields: readonly { name: string; schema: Schema }[]): Schema {
  return {
    ...base,
    type: 'struct',
    fields: fields.map((field, index) => ({ name: field.name, index, schema: field.schema })),
  };
}

/** The `$Key` / `$Value` suffix of a Kafka Connect class name. */
export function partFromClassName(className: string): RecordPart {
  return className.endsWith('$Key') ? 'key' : 'value';
}
