import { commonSourceValue, sourceBlockSchema, type SnapshotMarker } from '../../runtime/cdc/source-block.js';
import type { Schema, Struct } from '../../runtime/record/index.js';

/** `io.debezium.connector.postgresql.Source`: the common fields, then schema, table, txId, lsn, xmin. */
export const postgresSourceSchema: Schema = sourceBlockSchema('io.debezium.connector.postgresql.Source', [
  { name: 'schema', schema: { type: 'string', optional: false } },
  { name: 'table', schema: { type: 'string', optional: false } },
  { name: 'txId', schema: { type: 'int64', optional: true } },
  { name: 'lsn', schema: { type: 'int64', optional: true } },
  { name: 'xmin', schema: { type: 'int64', optional: true } },
]);

export interface PostgresSourceInfo {
  readonly serverName: string;
  readonly db: string;
  readonly schema: string;
  readonly table: string;
  /** Commit time of the change (snapshot: read time), epoch ms. */
  readonly tsMs: number;
  readonly snapshot: SnapshotMarker;
  readonly txId: number | null;
  readonly lsn: bigint | null;
  /** Commit LSN of the last completed transaction before this event (Debezium's sequence[0]). */
  readonly lastCommitLsn: bigint | null;
}

export function postgresSourceValue(info: PostgresSourceInfo): Struct {
  return {
    ...commonSourceValue({
      connector: 'postgresql',
      name: info.serverName,
      tsMs: info.tsMs,
      snapshot: info.snapshot,
      db: info.db,
      // Debezium's ["<last commit LSN>","<event LSN>"], built without JSON.stringify on this hot path.
      sequence: `[${quoted(info.lastCommitLsn)},${quoted(info.lsn)}]`,
    }),
    schema: info.schema,
    table: info.table,
    txId: info.txId === null ? null : BigInt(info.txId),
    lsn: info.lsn,
    xmin: null,
  };
}

function quoted(lsn: bigint | null): string {
  return lsn === null ? 'null' : `"${lsn}"`;
}
