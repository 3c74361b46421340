import { DataError } from '../plugin/errors.js';
import type { ConnectRecord, Schema } from '../record/index.js';
import type { Transform } from './transform.js';
import { isStruct } from '../record/index.js';
import { partSchema, partValue, structSchema, withPart, type RecordPart } from './record-part.js';
import { defineConfig, type KeySpec } from '../plugin/index.js';
import { transformKeySpecs, type TransformSettings } from './settings.js';

interface InsertedField {
  readonly name: string;
  readonly schema: Schema;
  readonly valueOf: (record: ConnectRecord) => unknown;
}

const TIMESTAMP = 'org.apache.kafka.connect.data.Timestamp';

const insertedField = (documentation: string) =>
  ({
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'InsertField',
    documentation,
  }) as const satisfies KeySpec;

export const insertFieldConfig = defineConfig({
  ...transformKeySpecs,
  'topic.field': insertedField(
    'Field for the topic; a name ending in ! is required, ? (or nothing) optional.',
  ),
  'partition.field': insertedField('Field for the Kafka partition.'),
  'offset.field': insertedField('Field for the Kafka offset (sink records).'),
  'timestamp.field': insertedField('Field for the record timestamp.'),
  'static.field': insertedField('Field for static.value.'),
  'static.value': insertedField('The value of static.field.'),
});

/**
 * Kafka Connect's InsertField: adds the topic, partition, offset, timestamp or a static
 * value as a field. A name ending in `!` is required, `?` (or nothing) optional.
 */
export class InsertField implements Transform {
  private readonly fields: readonly InsertedField[];

  constructor(
    private readonly part: RecordPart,
    transformSettings: TransformSettings,
  ) {
    const settings = transformSettings.as(insertFieldConfig);
    const fields: InsertedField[] = [];
    const add = (
      key: 'topic.field' | 'partition.field' | 'offset.field' | 'timestamp.field' | 'static.field',
      type: Schema['type'],
      name: string | undefined,
      valueOf: InsertedField['valueOf'],
    ) => {
      const spec = settings.optionalString(key);
      if (spec === undefined || spec.trim() === '') return;
      const required = spec.endsWith('!');
      const fieldName = spec.replace(/[!?]$/, '');
      fields.push({
        name: fieldName,
        schema: { type, optional: !required, ...(name ? { name } : {}) },
        valueOf,
      });
    };
    add('topic.field', 'string', undefined, (record) => record.topic);
    add('partition.field', 'int32', undefined, (record) => record.kafkaPartition ?? null);
    add('offset.field', 'int64', undefined, (record) =>
      'kafkaOffset' in record ? record.kafkaOffset : null,
    );
    add('timestamp.field', 'int64', TIMESTAMP, (record) =>
      record.timestamp === undefined ? null : BigInt(Math.trunc(record.timestamp)),
    );
    const staticValue = settings.optionalString('static.value') ?? null;
    add('static.field', 'string', undefined, () => staticValue);
    this.fields = fields;
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const value = partValue(record, this.part);
    if (value === null || value === undefined) return record;
    if (!isStruct(value)) throw new DataError(`InsertField needs a struct ${this.part}, got ${typeof value}`);
    const out: Record<string, unknown> = { ...value };
    for (const field of this.fields) {
      const inserted = field.valueOf(record);
      if ((inserted === null || inserted === undefined) && !field.schema.optional) {
        throw new DataError(`InsertField: required field "${field.name}" has no value for this record`);
      }
      out[field.name] = inserted ?? null;
    }
    const schema = partSchema(record, this.part);
    const newSchema = schema
      ? structSchema(schema, [
          ...(schema.fields ?? []).filter((field) => !this.fields.some((added) => added.name === field.name)),
          ...this.fields,
        ])
      : null;
    return withPart(record, this.part, newSchema, out);
  }
}
