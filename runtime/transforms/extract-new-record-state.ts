import type { ConnectRecord, RecordHeader, Schema } from '../record/index.js';
import type { Transform } from './transform.js';
import { asChangeEvent, type ChangeEvent } from '../cdc/change-event.js';
import { structSchema } from './record-part.js';
import { defineConfig } from '../plugin/index.js';
import { transformKeySpecs, type TransformSettings } from './settings.js';
import { copyStruct } from '../record/struct-value.js';

type DeleteMode = 'drop' | 'tombstone' | 'rewrite';
const tombstoneHandlingModes = ['drop', 'tombstone', 'rewrite', 'rewrite-with-tombstone'] as const;
const legacyDeleteHandlingModes = ['drop', 'none', 'rewrite'] as const;

export const extractNewRecordStateConfig = defineConfig({
  ...transformKeySpecs,
  'delete.tombstone.handling.mode': {
    type: 'string',
    default: 'tombstone',
    allowed: tombstoneHandlingModes,
    importance: 'medium',
    group: 'ExtractNewRecordState',
    documentation:
      'Deletes: drop them, keep a tombstone, rewrite them as the row before with __deleted=true, or rewrite-with-tombstone (both). When set, delete.handling.mode and drop.tombstones are ignored.',
  },
  'delete.handling.mode': {
    type: 'string',
    default: 'drop',
    allowed: legacyDeleteHandlingModes,
    importance: 'low',
    group: 'ExtractNewRecordState',
    documentation: 'The older form of delete.tombstone.handling.mode: drop, none (a tombstone) or rewrite.',
  },
  'drop.tombstones': {
    type: 'boolean',
    default: true,
    importance: 'low',
    group: 'ExtractNewRecordState',
    documentation: 'With delete.handling.mode: drop the tombstones that follow deletes.',
  },
  'add.fields': {
    type: 'list',
    default: [],
    importance: 'medium',
    group: 'ExtractNewRecordState',
    documentation:
      'Envelope fields (op, ts_ms, table, source.ts_ms, …) copied into the row as __op, __source_ts_ms, ….',
  },
  'add.fields.prefix': {
    type: 'string',
    default: '__',
    importance: 'low',
    group: 'ExtractNewRecordState',
    documentation: 'Prefix of the fields add.fields adds (and of the __deleted field).',
  },
  'add.headers': {
    type: 'list',
    default: [],
    importance: 'medium',
    group: 'ExtractNewRecordState',
    documentation: 'Envelope fields copied into headers.',
  },
  'add.headers.prefix': {
    type: 'string',
    default: '__',
    importance: 'low',
    group: 'ExtractNewRecordState',
    documentation: 'Prefix of the headers add.headers adds.',
  },
});

interface AddedField {
  /** Path in the envelope, e.g. `op` or `source.ts_ms`. */
  readonly path: readonly string[];
  /** `__op`, `__source_ts_ms`. */
  readonly name: string;
}

/**
 * Debezium's ExtractNewRecordState: replaces the envelope with the row after the change.
 *
 * Deletes and tombstones follow `delete.tombstone.handling.mode` (drop, tombstone,
 * rewrite, rewrite-with-tombstone) or the older `delete.handling.mode` (drop, none,
 * rewrite) with `drop.tombstones`. `rewrite` keeps the row before the delete and marks
 * every row with `__deleted` = "true"/"false". `add.fields` / `add.headers` copy envelope
 * fields (`op`, `ts_ms`, `table`, `source.ts_ms`, …) as `__op`, `__source_ts_ms`, ….
 * Records that are not envelopes (heartbeats, schema changes) and truncate/message
 * events pass unchanged.
 */
export class ExtractNewRecordState implements Transform {
  private readonly deleteMode: DeleteMode;
  private readonly keepTombstones: boolean;
  private readonly addFields: readonly AddedField[];
  private readonly addHeaders: readonly AddedField[];
  private readonly deletedField: string;

  constructor(transformSettings: TransformSettings) {
    const settings = transformSettings.as(extractNewRecordStateConfig);
    const modern = settings.optionalString('delete.tombstone.handling.mode');
    if (modern !== undefined) {
      const mode = settings.oneOf('delete.tombstone.handling.mode', tombstoneHandlingModes);
      this.deleteMode = mode === 'rewrite-with-tombstone' ? 'rewrite' : mode;
      this.keepTombstones = mode === 'rewrite-with-tombstone';
    } else {
      const legacy = settings.oneOf('delete.handling.mode', legacyDeleteHandlingModes);
      this.deleteMode = legacy === 'none' ? 'tombstone' : legacy;
      this.keepTombstones = !settings.boolean('drop.tombstones');
    }
    const fieldPrefix = settings.string('add.fields.prefix');
    const headerPrefix = settings.string('add.headers.prefix');
    this.addFields = settings.list('add.fields').map((spec) => addedField(spec, fieldPrefix));
    this.addHeaders = settings.list('add.headers').map((spec) => addedField(spec, headerPrefix));
    this.deletedField = `${fieldPrefix}deleted`;
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    if (record.value === null || record.value === undefined) return this.keepTombstones ? record : null;
    const event = asChangeEvent(record.valueSchema, record.value);
    if (event === null || event.op === 't' || event.op === 'm') return record;
    const headers = this.headers(record, event);
    if (event.op === 'd') {
      if (this.deleteMode === 'drop') return null;
      if (this.deleteMode === 'tombstone') return { ...record, value: null, headers };
    }
    const row = event.op === 'd' ? event.before : event.after;
    if (row === null) return { ...record, value: null, headers };
    const value = copyStruct(row);
    for (const field of this.addFields) value[field.name] = lookup(event, field.path);
    if (this.deleteMode === 'rewrite') value[this.deletedField] = event.op === 'd' ? 'true' : 'false';
    return { ...record, value, valueSchema: this.schema(record.valueSchema, event), headers };
  }

  private schema(envelopeSchema: Schema | null, event: ChangeEvent): Schema | null {
    if (envelopeSchema === null || event.rowSchema === null) return null;
    const fields = (event.rowSchema.fields ?? []).map((field) => ({
      name: field.name,
      schema: field.schema,
    }));
    for (const added of this.addFields) {
      const schema = lookupSchema(envelopeSchema, added.path);
      fields.push({
        name: added.name,
        schema: schema ? { ...schema, optional: true } : { type: 'string', optional: true },
      });
    }
    if (this.deleteMode === 'rewrite')
      fields.push({ name: this.deletedField, schema: { type: 'string', optional: true } });
    return structSchema(event.rowSchema, fields);
  }

  private headers(record: ConnectRecord, event: ChangeEvent): readonly RecordHeader[] | undefined {
    if (this.addHeaders.length === 0) return record.headers;
    const added = this.addHeaders.map((header) => {
      const value = lookup(event, header.path);
      return { key: header.name, value: value === null || value === undefined ? null : String(value) };
    });
    return [...(record.headers ?? []), ...added];
  }
}

function addedField(spec: string, prefix: string): AddedField {
  const path = spec.split('.');
  return { path, name: prefix + spec.replaceAll('.', '_') };
}

/** `op`, `ts_ms` are envelope fields; other bare names (`table`, `lsn`) are source fields. */
function lookup(event: ChangeEvent, path: readonly string[]): unknown {
  let current: unknown = path.length === 1 && !(path[0]! in event.envelope) ? event.source : event.envelope;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return null;
    current = (current as Record<string, unknown>)[part];
  }
  return current ?? null;
}

function lookupSchema(envelope: Schema, path: readonly string[]): Schema | undefined {
  const topLevel = envelope.fields?.some((field) => field.name === path[0]);
  let current: Schema | undefined =
    path.length === 1 && !topLevel ? envelope.fields?.find((f) => f.name === 'source')?.schema : envelope;
  for (const part of path) current = current?.fields?.find((field) => field.name === part)?.schema;
  return current;
}
