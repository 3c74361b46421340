import { sourceBlockSchema, sourceTsMs, type SnapshotMarker } from '../../runtime/cdc/index.js';
import { siphonVersion } from '../../runtime/plugin/index.js';
import { int64, optional, string, type Schema, type Struct } from '../../runtime/record/index.js';

/**
 * `io.debezium.connector.postgresql.Source`: the common fields, then schema, table, txId,
 * lsn, xmin and (Debezium 3.x) the replication origin of a transaction replayed by a
 * logical replication subscriber: `origin`, `origin_lsn`.
 */
export const postgresSourceSchema: Schema = sourceBlockSchema('io.debezium.connector.postgresql.Source', [
  ['schema', string()],
  ['table', string()],
  ['txId', optional(int64())],
  ['lsn', optional(int64())],
  ['xmin', optional(int64())],
  ['origin', optional(string())],
  ['origin_lsn', optional(int64())],
]);

export interface PostgresSourceInfo {
  readonly serverName: string;
  readonly db: string;
  readonly schema: string;
  readonly table: string;
  /** Commit time of the change (snapshot: read time), epoch microseconds. */
  readonly tsUs: bigint;
  readonly snapshot: SnapshotMarker;
  readonly txId: number | null;
  readonly lsn: bigint | null;
  /** End LSN of the last completed transaction's commit before this event (Debezium's sequence[0]). */
  readonly lastCommitLsn: bigint | null;
  /** pgoutput's ORIGIN of the transaction, when a subscriber replayed it from elsewhere. */
  readonly origin: { readonly name: string; readonly lsn: bigint } | null;
}

/** Fields in the schema's order (see sourceTsMs): one literal, no spread, on this hot path. */
export function postgresSourceValue(info: PostgresSourceInfo): Struct {
  const tsUs = info.tsUs;
  return {
    version: siphonVersion,
    connector: 'postgresql',
    name: info.serverName,
    ts_ms: sourceTsMs(tsUs),
    snapshot: info.snapshot,
    db: info.db,
    // Debezium's ["<last commit LSN>","<event LSN>"], built without JSON.stringify.
    sequence: `[${quoted(info.lastCommitLsn)},${quoted(info.lsn)}]`,
    ts_us: tsUs,
    ts_ns: tsUs * 1000n,
    schema: info.schema,
    table: info.table,
    txId: info.txId === null ? null : BigInt(info.txId),
    lsn: info.lsn,
    xmin: null,
    origin: info.origin?.name ?? null,
    origin_lsn: info.origin?.lsn ?? null,
  };
}

function quoted(lsn: bigint | null): string {
  return lsn === null ? 'null' : `"${lsn.toString()}"`;
}
