import { int64, named, optional, string, struct, withDefault, type Schema } from '../record/index.js';

/**
 * The `source` block every Debezium 3.x change event carries. The common fields come first
 * in Debezium's order (version … sequence, ts_us, ts_ns); each connector appends its own
 * (PostgreSQL: schema, table, txId, lsn, xmin, origin, origin_lsn; MySQL: table, server_id,
 * gtid, file, pos, ...). The Avro form is published in schemas/ and checked against this
 * definition by the unit tests.
 */

/** `source.snapshot`: Debezium's SnapshotRecord values; "false" while streaming. */
export type SnapshotMarker =
  | 'true'
  | 'first'
  | 'first_in_data_collection'
  | 'last_in_data_collection'
  | 'last'
  | 'false'
  | 'incremental';

export const snapshotMarkers: readonly SnapshotMarker[] = [
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
];

/** Where a snapshot record sits: in the whole snapshot and in its table. */
export interface SnapshotRecordPlace {
  readonly firstTable: boolean;
  readonly lastTable: boolean;
  readonly firstInTable: boolean;
  readonly lastInTable: boolean;
}

/** The marker Debezium gives a snapshot record at `place` (the overall last wins over first). */
export function snapshotMarkerFor(place: SnapshotRecordPlace): SnapshotMarker {
  if (place.lastInTable && place.lastTable) return 'last';
  if (place.firstInTable && place.firstTable) return 'first';
  if (place.lastInTable) return 'last_in_data_collection';
  if (place.firstInTable) return 'first_in_data_collection';
  return 'true';
}

/** A field of a source block: its name and schema, in the schema's order. */
export type SourceBlockField = readonly [string, Schema];

const commonFields: readonly SourceBlockField[] = [
  ['version', string()],
  ['connector', string()],
  ['name', string()],
  ['ts_ms', int64()],
  [
    'snapshot',
    withDefault(
      optional(
        named(string(), 'io.debezium.data.Enum', {
          version: 1,
          parameters: { allowed: snapshotMarkers.join(',') },
        }),
      ),
      'false',
    ),
  ],
  ['db', string()],
  ['sequence', optional(string())],
  ['ts_us', optional(int64())],
  ['ts_ns', optional(int64())],
];

/**
 * The source block schema of a connector: `io.debezium.connector.<connector>.Source`
 * (version 1, as Debezium 3.x) with the common fields followed by `connectorFields`.
 */
export function sourceBlockSchema(schemaName: string, connectorFields: readonly SourceBlockField[]): Schema {
  return named(struct(undefined, [...commonFields, ...connectorFields]), schemaName, { version: 1 });
}

/**
 * `source.ts_ms` of a change that happened at `tsUs` (epoch microseconds). Connectors write
 * their source block as one object literal, the common fields first in the schema's order
 * (version, connector, name, ts_ms, snapshot, db, sequence, ts_us, ts_ns = tsUs * 1000):
 * a spread of a common part and more properties cost microseconds per event.
 */
export function sourceTsMs(tsUs: bigint): bigint {
  return floorDiv(tsUs, 1000n);
}

/** Division rounding toward negative infinity, so times before 1970 keep their millisecond. */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}
