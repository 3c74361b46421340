import { sourceBlockSchema, sourceTsMs } from '../../runtime/cdc/index.js';
import { siphonVersion } from '../../runtime/plugin/index.js';
import type { SnapshotMarker } from '../../runtime/cdc/index.js';
import { int32, int64, optional, string, type Schema, type Struct } from '../../runtime/record/index.js';

/**
 * The `source` block of MySQL change events (Debezium's io.debezium.connector.mysql.Source):
 * the common fields, then table, server_id, gtid, file, pos, row, thread and query.
 * schemas/mysql-source.avsc is its Avro form, checked against this by the unit tests.
 */
export const mysqlSourceSchema: Schema = sourceBlockSchema('io.debezium.connector.mysql.Source', [
  ['table', optional(string())],
  ['server_id', int64()],
  ['gtid', optional(string())],
  ['file', string()],
  ['pos', int64()],
  ['row', int32()],
  ['thread', optional(int64())],
  ['query', optional(string())],
]);

export interface MySqlSourceInfo {
  readonly name: string;
  /** Event time in the binlog (or the snapshot's read time), epoch ms. */
  readonly tsMs: number;
  readonly snapshot: SnapshotMarker;
  readonly db: string;
  readonly table: string | null;
  readonly serverId: number;
  readonly gtid: string | null;
  readonly file: string;
  /** Position of the event (the transaction start for rows, as in the offset). */
  readonly pos: number;
  readonly row: number;
  readonly thread: number | null;
  readonly query: string | null;
}

/** Fields in the schema's order (see sourceTsMs): one literal, no spread, on this hot path. */
export function mysqlSourceValue(info: MySqlSourceInfo): Struct {
  const tsUs = BigInt(Math.trunc(info.tsMs)) * 1000n;
  return {
    version: siphonVersion,
    connector: 'mysql',
    name: info.name,
    ts_ms: sourceTsMs(tsUs),
    snapshot: info.snapshot,
    db: info.db,
    sequence: null,
    ts_us: tsUs,
    ts_ns: tsUs * 1000n,
    table: info.table,
    server_id: BigInt(info.serverId),
    gtid: info.gtid,
    file: info.file,
    pos: BigInt(info.pos),
    row: info.row,
    thread: info.thread === null ? null : BigInt(info.thread),
    query: info.query,
  };
}
