import {
  int64,
  isStruct,
  named,
  optional,
  string,
  struct,
  type Schema,
  type SourceRecord,
  type Struct,
} from '../record/index.js';
import type { SnapshotMarker } from './source-block.js';

/**
 * Debezium's change event envelope: `{before, after, source, transaction, op, ts_ms, ts_us, ts_ns}`,
 * written (by the sources) and read (by transforms and sinks) here, in one module.
 * Record names follow Debezium (`<prefix>.<schema>.<table>.Value/.Key/.Envelope`) so
 * consumers written for Debezium topics read Siphon topics unchanged.
 */

/** c create, u update, d delete, r snapshot read, t truncate, m logical decoding message. */
export type Op = 'c' | 'u' | 'd' | 'r' | 't' | 'm';

/** The `transaction` block of an event when `provide.transaction.metadata` is on. */
export const transactionBlockSchema: Schema = optional(
  named(
    struct(undefined, [
      ['id', string()],
      ['total_order', int64()],
      ['data_collection_order', int64()],
    ]),
    'event.block',
    { version: 1 },
  ),
);

export interface TransactionBlock {
  readonly id: string;
  readonly total_order: bigint;
  readonly data_collection_order: bigint;
}

/** Record names for one table: `<recordPrefix>.Key`, `.Value`, `.Envelope`. */
export function recordNames(recordPrefix: string): { key: string; value: string; envelope: string } {
  return { key: `${recordPrefix}.Key`, value: `${recordPrefix}.Value`, envelope: `${recordPrefix}.Envelope` };
}

/**
 * The envelope schema around a table's row schema (`rowSchema` is the `.Value` struct):
 * Debezium 3.x's version 2, fields in its order.
 */
export function envelopeSchema(envelopeName: string, rowSchema: Schema, sourceSchema: Schema): Schema {
  const row = optional(rowSchema);
  return named(
    struct(undefined, [
      ['before', row],
      ['after', row],
      ['source', sourceSchema],
      ['transaction', transactionBlockSchema],
      ['op', string()],
      ['ts_ms', optional(int64())],
      ['ts_us', optional(int64())],
      ['ts_ns', optional(int64())],
    ]),
    envelopeName,
    { version: 2 },
  );
}

/** What a connector gives `envelopeValue`: one change of one row. */
export interface EnvelopeFields {
  readonly op: Op;
  readonly before: Struct | null;
  readonly after: Struct | null;
  readonly source: Struct;
  /** When the connector processed the event, epoch microseconds (`epochMicrosNow()`). */
  readonly tsUs: bigint;
  readonly transaction?: TransactionBlock | null;
}

/** The envelope value for `envelopeSchema`; field order matches the schema. */
export function envelopeValue(event: EnvelopeFields): Struct {
  return {
    before: event.before,
    after: event.after,
    source: event.source,
    transaction: event.transaction ?? null,
    op: event.op,
    ts_ms: event.tsUs / 1000n,
    ts_us: event.tsUs,
    ts_ns: event.tsUs * 1000n,
  };
}

/**
 * Sets `source.snapshot` of a change event record that is not emitted yet: a snapshot
 * record's marker is known only once the next record shows where its table ends.
 */
export function setSnapshotMarker(record: SourceRecord, marker: SnapshotMarker): void {
  ((record.value as Struct).source as Struct).snapshot = marker;
}

/**
 * Now, epoch microseconds: the wall clock's milliseconds (so ts_ms is Date.now() even after
 * clock adjustments), the sub-millisecond part from the high-resolution clock.
 */
export function epochMicrosNow(): bigint {
  const subMillisecond = Math.floor((performance.now() % 1) * 1000);
  return BigInt(Date.now()) * 1000n + BigInt(subMillisecond);
}

/** Debezium's change-event envelope `{before, after, source, op, ts_ms, transaction}`, read from a record. */
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
