import type { Schema, Struct } from '../record/index.js';

/**
 * Debezium's change event envelope: `{before, after, source, transaction, op, ts_ms, ts_us, ts_ns}`.
 * Record names follow Debezium (`<prefix>.<schema>.<table>.Value/.Key/.Envelope`) so
 * consumers written for Debezium topics read Siphon topics unchanged.
 */

/** c create, u update, d delete, r snapshot read, t truncate, m logical decoding message. */
export type Op = 'c' | 'u' | 'd' | 'r' | 't' | 'm';

/** The `transaction` block of an event when `provide.transaction.metadata` is on. */
export const transactionBlockSchema: Schema = {
  type: 'struct',
  optional: true,
  name: 'event.block',
  version: 1,
  fields: [
    { name: 'id', index: 0, schema: { type: 'string', optional: false } },
    { name: 'total_order', index: 1, schema: { type: 'int64', optional: false } },
    { name: 'data_collection_order', index: 2, schema: { type: 'int64', optional: false } },
  ],
};

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
  const row: Schema = { ...rowSchema, optional: true };
  return {
    type: 'struct',
    optional: false,
    name: envelopeName,
    version: 2,
    fields: [
      { name: 'before', index: 0, schema: row },
      { name: 'after', index: 1, schema: row },
      { name: 'source', index: 2, schema: sourceSchema },
      { name: 'transaction', index: 3, schema: transactionBlockSchema },
      { name: 'op', index: 4, schema: { type: 'string', optional: false } },
      { name: 'ts_ms', index: 5, schema: { type: 'int64', optional: true } },
      { name: 'ts_us', index: 6, schema: { type: 'int64', optional: true } },
      { name: 'ts_ns', index: 7, schema: { type: 'int64', optional: true } },
    ],
  };
}

export interface ChangeEvent {
  readonly op: Op;
  readonly before: Struct | null;
  readonly after: Struct | null;
  readonly source: Struct;
  /** When the connector processed the event, epoch microseconds (`epochMicrosNow()`). */
  readonly tsUs: bigint;
  readonly transaction?: TransactionBlock | null;
}

/** The envelope value for `envelopeSchema`; field order matches the schema. */
export function envelopeValue(event: ChangeEvent): Struct {
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
 * Now, epoch microseconds: the wall clock's milliseconds (so ts_ms is Date.now() even after
 * clock adjustments), the sub-millisecond part from the high-resolution clock.
 */
export function epochMicrosNow(): bigint {
  const subMillisecond = Math.floor((performance.now() % 1) * 1000);
  return BigInt(Date.now()) * 1000n + BigInt(subMillisecond);
}
