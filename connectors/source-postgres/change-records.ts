import { envelopeValue, epochMicrosNow, type Op, type TransactionBlock } from '../../runtime/cdc/index.js';
import { unavailableColumnsHeader } from '../../runtime/cdc/index.js';
import type { SnapshotMarker } from '../../runtime/cdc/index.js';
import {
  bytes,
  int64,
  optional,
  string,
  struct,
  type Schema,
  type SourceOffset,
  type SourcePartition,
  type SourceRecord,
  type Struct,
} from '../../runtime/record/index.js';
import { postgresSourceSchema, postgresSourceValue } from './source-info.js';
import type { TableEvents } from './table-events.js';

/** Where and when a change happened: the times, the transaction, the position and offset its record carries. */
export interface ChangeContext {
  /** Commit time (snapshot: read time), epoch ms for metrics and record timestamps. */
  readonly tsMs: number;
  /** The same time in microseconds, as precise as the source has it. */
  readonly tsUs: bigint;
  readonly origin: { readonly name: string; readonly lsn: bigint } | null;
  readonly snapshot: SnapshotMarker;
  readonly txId: number | null;
  readonly lsn: bigint | null;
  readonly lastCommitLsn: bigint | null;
  readonly transaction: TransactionBlock | null;
  readonly offset: SourceOffset;
}

const messageKeySchema: Schema = optional(
  struct('io.debezium.connector.postgresql.MessageKey', [['prefix', optional(string())]]),
);

const messageValueSchema: Schema = struct('io.debezium.connector.postgresql.MessageValue', [
  ['op', string()],
  ['ts_ms', optional(int64())],
  ['source', postgresSourceSchema],
  [
    'message',
    optional(
      struct('io.debezium.connector.postgresql.Message', [
        ['prefix', optional(string())],
        ['content', optional(bytes())],
      ]),
    ),
  ],
]);

/** Builds the Debezium change event records of one connector (value, key, tombstone, message). */
export class ChangeRecords {
  constructor(
    private readonly serverName: string,
    private readonly db: string,
    private readonly partition: SourcePartition,
  ) {}

  private source(schema: string, table: string, ctx: ChangeContext): Struct {
    return postgresSourceValue({
      serverName: this.serverName,
      db: this.db,
      schema,
      table,
      tsUs: ctx.tsUs,
      snapshot: ctx.snapshot,
      txId: ctx.txId,
      lsn: ctx.lsn,
      lastCommitLsn: ctx.lastCommitLsn,
      origin: ctx.origin,
    });
  }

  change(
    table: TableEvents,
    op: Op,
    key: Struct | null,
    before: Struct | null,
    after: Struct | null,
    ctx: ChangeContext,
    /** Columns of `after` PostgreSQL did not send (unchanged TOAST): named in a header. */
    unavailable: readonly string[] = [],
  ) {
    const record = this.record(
      table.topic,
      table.keySchema,
      key,
      table.envelopeSchema,
      envelopeValue({
        op,
        before,
        after,
        source: this.source(table.schemaName, table.tableName, ctx),
        tsUs: epochMicrosNow(),
        transaction: ctx.transaction,
      }),
      ctx,
    );
    return unavailable.length === 0
      ? record
      : { ...record, headers: [unavailableColumnsHeader(unavailable)] };
  }

  /** A `pg_logical_emit_message` as an `m` event on `<prefix>.message`. */
  message(prefix: string, content: Buffer, ctx: ChangeContext): SourceRecord {
    return this.record(
      `${this.serverName}.message`,
      messageKeySchema,
      { prefix },
      messageValueSchema,
      {
        op: 'm',
        ts_ms: BigInt(Date.now()),
        source: this.source('', '', ctx),
        message: { prefix, content },
      },
      ctx,
    );
  }

  private record(
    topic: string,
    keySchema: Schema | null,
    key: Struct | null,
    valueSchema: Schema | null,
    value: Struct | null,
    ctx: ChangeContext,
  ): SourceRecord {
    return {
      topic,
      keySchema: key === null ? null : keySchema,
      key,
      valueSchema,
      value,
      timestamp: ctx.tsMs,
      sourcePartition: this.partition,
      sourceOffset: ctx.offset,
    };
  }
}
