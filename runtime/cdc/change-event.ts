import type { Schema, Struct } from '../record/index.js';
import { int64, named, optional, string, struct } from '../record/index.js';

/**
 * Debezium's change event envelope: `{before, after, source, transaction, op, ts_ms, ts_us, ts_ns}`.
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
