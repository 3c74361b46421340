import type { Field, Schema, Struct } from '../record/index.js';

/**
 * The `source` block every Debezium change event carries. The common fields come first
 * in Debezium's order; each connector appends its own (PostgreSQL: schema, table, txId,
 * lsn, xmin; MySQL: table, server_id, gtid, file, pos, ...). The Avro form is published
 * in schemas/ and checked against this definition by the unit tests.
 */

/** `source.snapshot`: "true"/"first"/"last" while snapshotting, "false" while streaming. */
export type SnapshotMarker =
  'true' | 'first' | 'last' | 'first_in_data_collection' | 'last_in_data_collection' | 'false';

export const snapshotMarkers: readonly SnapshotMarker[] = [
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
];

/** The Debezium version Siphon's events are compatible with, reported in `source.version`. */
export const debeziumCompatibleVersion = '2.7.0.Final';

const commonFields: readonly Omit<Field, 'index'>[] = [
  { name: 'version', schema: { type: 'string', optional: false } },
  { name: 'connector', schema: { type: 'string', optional: false } },
  { name: 'name', schema: { type: 'string', optional: false } },
  { name: 'ts_ms', schema: { type: 'int64', optional: false } },
  {
    name: 'snapshot',
    schema: {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      defaultValue: 'false',
      parameters: { allowed: snapshotMarkers.join(',') },
    },
  },
  { name: 'db', schema: { type: 'string', optional: false } },
  { name: 'sequence', schema: { type: 'string', optional: true } },
];

/**
 * The source block schema of a connector: `io.debezium.connector.<connector>.Source`
 * with the common fields followed by `connectorFields`.
 */
export function sourceBlockSchema(
  schemaName: string,
  connectorFields: readonly Omit<Field, 'index'>[],
): Schema {
  return {
    type: 'struct',
    optional: false,
    name: schemaName,
    fields: [...commonFields, ...connectorFields].map((field, index) => ({ ...field, index })),
  };
}

export interface CommonSourceInfo {
  readonly connector: string;
  /** The logical server name: `topic.prefix`. */
  readonly name: string;
  /** When the change happened in the database (commit time), epoch ms. */
  readonly tsMs: number;
  readonly snapshot: SnapshotMarker;
  readonly db: string;
  readonly sequence: string | null;
}

/** The common part of a source block value; connectors spread their own fields after it. */
export function commonSourceValue(info: CommonSourceInfo): Struct {
  return {
    version: debeziumCompatibleVersion,
    connector: info.connector,
    name: info.name,
    ts_ms: BigInt(Math.trunc(info.tsMs)),
    snapshot: info.snapshot,
    db: info.db,
    sequence: info.sequence,
  };
}
