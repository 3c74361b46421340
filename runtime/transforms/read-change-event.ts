import type { Schema, Struct } from '../record/index.js';
import { isStruct } from './record-part.js';

/** Debezium's change-event envelope `{before, after, source, op, ts_ms, transaction}`, recognised. */
export interface ChangeEvent {
  readonly op: string;
  readonly before: Struct | null;
  readonly after: Struct | null;
  readonly source: Struct | null;
  readonly tsMs: bigint | number | null;
  /** The schema of `before`/`after`, when the record has one. */
  readonly rowSchema: Schema | null;
  readonly envelope: Struct;
}

/**
 * Reads a record value as a Debezium envelope, or returns null for anything else (flat
 * rows, heartbeats, schema-change events). Recognised by shape, with or without a schema.
 */
export function asChangeEvent(schema: Schema | null, value: unknown): ChangeEvent | null {
  if (!isStruct(value) || typeof value.op !== 'string' || !('after' in value || 'before' in value))
    return null;
  if (schema && schema.type !== 'struct') return null;
  const rowField =
    schema?.fields?.find((field) => field.name === 'after') ??
    schema?.fields?.find((field) => field.name === 'before');
  const row = (name: string): Struct | null => {
    const candidate = value[name];
    return isStruct(candidate) ? candidate : null;
  };
  const tsMs = value.ts_ms;
  return {
    op: value.op,
    before: row('before'),
    after: row('after'),
    source: row('source'),
    tsMs: typeof tsMs === 'bigint' || typeof tsMs === 'number' ? tsMs : null,
    rowSchema: rowField?.schema ?? null,
    envelope: value,
  };
}
