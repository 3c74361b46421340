import { DataError } from '../plugin/errors.js';
import type { ConnectRecord, Schema } from '../record/index.js';
import type { Transform } from './transform.js';
import { isStruct } from '../record/index.js';
import { partSchema, partValue, structSchema, withPart, type RecordPart } from './record-part.js';
import { defineConfig } from '../plugin/index.js';
import { TransformConfigError, transformKeySpecs, type TransformSettings } from './settings.js';
import { newStruct } from '../record/struct-value.js';

export const replaceFieldConfig = defineConfig({
  ...transformKeySpecs,
  exclude: {
    type: 'list',
    default: [],
    aliases: ['blacklist'],
    importance: 'medium',
    group: 'ReplaceField',
    documentation: 'Fields to drop.',
  },
  include: {
    type: 'list',
    default: [],
    aliases: ['whitelist'],
    importance: 'medium',
    group: 'ReplaceField',
    documentation: 'Fields to keep (empty: all).',
  },
  renames: {
    type: 'list',
    default: [],
    importance: 'medium',
    group: 'ReplaceField',
    documentation: 'Field renames as old1:new1,old2:new2.',
  },
});

/** Kafka Connect's ReplaceField: drop, keep or rename top-level fields of a struct. */
export class ReplaceField implements Transform {
  private readonly exclude: ReadonlySet<string>;
  private readonly include: ReadonlySet<string>;
  private readonly renames: ReadonlyMap<string, string>;

  constructor(
    private readonly part: RecordPart,
    transformSettings: TransformSettings,
  ) {
    const settings = transformSettings.as(replaceFieldConfig);
    this.exclude = new Set(settings.list('exclude'));
    this.include = new Set(settings.list('include'));
    const renames = new Map<string, string>();
    for (const pair of settings.list('renames')) {
      const [from, to, extra] = pair.split(':').map((part) => part.trim());
      if (!from || !to || extra !== undefined) {
        throw new TransformConfigError(
          settings.key('renames'),
          `"${pair}" is not old:new; write renames as old1:new1,old2:new2`,
        );
      }
      renames.set(from, to);
    }
    this.renames = renames;
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const value = partValue(record, this.part);
    if (value === null || value === undefined) return record;
    if (!isStruct(value))
      throw new DataError(`ReplaceField needs a struct ${this.part}, got ${typeof value}`);
    const schema = partSchema(record, this.part);
    const out = newStruct();
    for (const [name, fieldValue] of Object.entries(value)) {
      if (this.keeps(name)) out[this.renamed(name)] = fieldValue;
    }
    return withPart(record, this.part, schema ? this.newSchema(schema) : null, out);
  }

  private keeps(name: string): boolean {
    return !this.exclude.has(name) && (this.include.size === 0 || this.include.has(name));
  }

  private renamed(name: string): string {
    return this.renames.get(name) ?? name;
  }

  private newSchema(schema: Schema): Schema {
    const fields = (schema.fields ?? [])
      .filter((field) => this.keeps(field.name))
      .map((field) => ({ name: this.renamed(field.name), schema: field.schema }));
    return structSchema(schema, fields);
  }
}
