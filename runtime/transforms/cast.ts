import { DataError } from '../plugin/errors.js';
import type { ConnectRecord, Schema } from '../record/index.js';
import type { Transform } from './transform.js';
import { CAST_TYPES, castSchema, castValue, isCastType, isStruct, type CastType } from '../record/index.js';
import { partSchema, partValue, structSchema, withPart, type RecordPart } from './record-part.js';
import { defineConfig } from '../plugin/index.js';
import { TransformConfigError, transformKeySpecs, type TransformSettings } from './settings.js';
import { newStruct } from '../record/struct-value.js';

export const castConfig = defineConfig({
  ...transformKeySpecs,
  spec: {
    type: 'list',
    importance: 'high',
    group: 'Cast',
    documentation: `One type for the whole key or value (e.g. string), or field:type pairs (amount:float64,id:string); types: ${CAST_TYPES.join(', ')}.`,
  },
});

/** Kafka Connect's Cast: `spec` is one type for the whole value, or `field:type,…`. */
export class Cast implements Transform {
  private readonly wholeValue: CastType | undefined;
  private readonly fieldTypes: ReadonlyMap<string, CastType>;

  constructor(
    private readonly part: RecordPart,
    transformSettings: TransformSettings,
  ) {
    const settings = transformSettings.as(castConfig);
    const specs = settings.list('spec');
    const key = settings.key('spec');
    if (specs.length === 0)
      throw new TransformConfigError(key, 'is required; e.g. "amount:float64,id:string" or "string"');
    const fieldTypes = new Map<string, CastType>();
    let wholeValue: CastType | undefined;
    for (const spec of specs) {
      const [field, type] = spec.includes(':')
        ? spec.split(':').map((part) => part.trim())
        : [undefined, spec];
      if (type === undefined || !isCastType(type)) {
        throw new TransformConfigError(
          key,
          `"${spec}" names an unknown type; use one of ${CAST_TYPES.join(', ')}`,
        );
      }
      if (field === undefined) {
        if (specs.length > 1)
          throw new TransformConfigError(key, 'a whole-value cast cannot be combined with field casts');
        wholeValue = type;
      } else {
        fieldTypes.set(field, type);
      }
    }
    this.wholeValue = wholeValue;
    this.fieldTypes = fieldTypes;
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const value = partValue(record, this.part);
    const schema = partSchema(record, this.part);
    if (value === null || value === undefined) return record;
    if (this.wholeValue !== undefined) {
      return withPart(
        record,
        this.part,
        schema ? castSchema(schema, this.wholeValue) : null,
        castValue(value, this.wholeValue),
      );
    }
    if (!isStruct(value))
      throw new DataError(`Cast needs a struct ${this.part} for field casts, got ${typeof value}`);
    const out = newStruct();
    for (const [name, fieldValue] of Object.entries(value)) {
      const type = this.fieldTypes.get(name);
      try {
        out[name] = type === undefined ? fieldValue : castValue(fieldValue, type);
      } catch (error) {
        throw new DataError(`Cast of field "${name}": ${(error as Error).message}`, { cause: error });
      }
    }
    return withPart(record, this.part, schema ? this.newSchema(schema) : null, out);
  }

  private newSchema(schema: Schema): Schema {
    const fields = (schema.fields ?? []).map((field) => {
      const type = this.fieldTypes.get(field.name);
      return { name: field.name, schema: type === undefined ? field.schema : castSchema(field.schema, type) };
    });
    return structSchema(schema, fields);
  }
}
