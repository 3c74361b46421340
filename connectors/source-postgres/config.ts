import {
  cdcKeySpecs,
  cdcOptionsOf,
  exclusiveListsError,
  parseRegexList,
  TableFilter,
  type CdcOptions,
} from '../../runtime/cdc/index.js';
import { atLeast, defineConfig } from '../../runtime/plugin/index.js';
import type { ConfigDef, KeySpecs, ParsedConfig } from '../../runtime/plugin/index.js';

/**
 * The PostgreSQL source's config, with Debezium's names and defaults. The keys shared
 * with the MySQL source (filters, handling modes, heartbeat, ...) come from runtime/cdc.
 */

export const snapshotModes = [
  'initial',
  'initial_only',
  'no_data',
  'always',
  'when_needed',
  'never',
] as const;
export type SnapshotMode = (typeof snapshotModes)[number];
export const publicationAutocreateModes = ['all_tables', 'filtered', 'disabled'] as const;
export type PublicationAutocreateMode = (typeof publicationAutocreateModes)[number];
export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];

function regexError(key: string, list: string): string | undefined {
  try {
    parseRegexList(key, list);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const identifierPattern = /^[a-z0-9_]{1,63}$/;

/** `interval.handling.mode`: microseconds (MicroDuration) or the ISO 8601 text (Interval). */
export type IntervalHandlingMode = 'numeric' | 'string';
export const intervalHandlingModes: readonly IntervalHandlingMode[] = ['numeric', 'string'];

const postgresKeySpecs = {
  'database.hostname': {
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation: 'Host name or address of the PostgreSQL server.',
  },
  'database.port': {
    type: 'int',
    default: 5432,
    importance: 'high',
    group: 'Connection',
    documentation: 'Port of the PostgreSQL server.',
    validator: (v) =>
      typeof v === 'number' && v > 0 && v < 65536 ? undefined : `"${String(v)}" is not a port; use 1-65535`,
  },
  'database.user': {
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation: 'User with the REPLICATION attribute (or superuser) and SELECT on the captured tables.',
  },
  'database.password': {
    type: 'password',
    default: null,
    importance: 'high',
    group: 'Connection',
    documentation:
      'Password of database.user; use a config provider (${env:...}, ${file:...}) rather than plain text.',
  },
  'database.dbname': {
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation: 'Database to capture changes from.',
  },
  'database.sslmode': {
    type: 'string',
    default: 'prefer',
    allowed: sslModes,
    importance: 'medium',
    group: 'Connection',
    documentation:
      'disable, allow, prefer (encrypt when the server offers it), require, verify-ca (also verify the server certificate) or verify-full (also verify the host name).',
  },
  'database.sslrootcert': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Connection',
    documentation: 'Path of the CA certificate file the server certificate is verified against.',
  },
  'database.sslcert': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Connection',
    documentation: 'Path of the client certificate file.',
  },
  'database.sslkey': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Connection',
    documentation: 'Path of the client private key file.',
  },
  'database.sslpassword': {
    type: 'password',
    default: null,
    importance: 'low',
    group: 'Connection',
    documentation: 'Password of the client private key.',
  },
  'schema.include.list': {
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions matched against whole schema names; only tables of matching schemas are captured. Cannot be used with schema.exclude.list.',
    validator: (value, config) => {
      const exclude = config['schema.exclude.list'];
      return (
        exclusiveListsError(
          'schema.include.list',
          String(value),
          'schema.exclude.list',
          exclude ? String(exclude) : null,
        ) ?? regexError('schema.include.list', String(value))
      );
    },
  },
  'schema.exclude.list': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation: 'Comma-separated regular expressions of schema names NOT to capture.',
    validator: (value) => regexError('schema.exclude.list', String(value)),
  },
  'plugin.name': {
    type: 'string',
    default: 'pgoutput',
    importance: 'medium',
    group: 'Replication',
    documentation: 'Logical decoding output plugin. Only pgoutput (built into PostgreSQL 10+) is supported.',
    validator: (v) =>
      v === 'pgoutput'
        ? undefined
        : `plugin.name "${String(v)}" is not supported; Siphon decodes only pgoutput, which is built into PostgreSQL 10+ — set plugin.name=pgoutput`,
  },
  'slot.name': {
    type: 'string',
    default: 'debezium',
    importance: 'medium',
    group: 'Replication',
    documentation:
      'Replication slot the connector streams from; one per connector (lower-case letters, digits, _).',
    validator: (v) =>
      typeof v === 'string' && identifierPattern.test(v)
        ? undefined
        : `slot.name "${String(v)}" is invalid; use 1-63 lower-case letters, digits or underscores`,
  },
  'slot.drop.on.stop': {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Replication',
    documentation:
      'Drop the replication slot when the task stops cleanly — on pause, stop, restart, worker shutdown and DELETE /connectors/{name} — so it retains no WAL; the next start then misses changes made meanwhile and snapshots again as snapshot.mode says (tests, throwaway connectors). Off (the default, as in Debezium), a deleted connector leaves its slot and publication in place; the DELETE answers with a Warning header naming them.',
  },
  'slot.max.retained.wal.bytes': {
    type: 'long',
    default: 1073741824,
    importance: 'medium',
    group: 'Replication',
    documentation:
      "Warn (an alert event and a log line) when the slot retains more WAL than this (pg_current_wal_lsn() - restart_lsn), measured by the worker whatever the connector's state; 0 never warns.",
    validator: atLeast(0),
  },
  'slot.max.retained.wal.action': {
    type: 'string',
    default: 'warn',
    allowed: ['warn', 'drop'],
    importance: 'low',
    group: 'Replication',
    documentation:
      "Past slot.max.retained.wal.bytes: warn only, or drop the slot when no one reads it (paused, failed, stopped or deleted connector) to save the server's disk. After a drop the connector fails loudly at its next start until it takes a new snapshot (snapshot.mode=when_needed).",
  },
  'publication.name': {
    type: 'string',
    default: 'dbz_publication',
    importance: 'medium',
    group: 'Replication',
    documentation: 'Publication pgoutput streams.',
  },
  'publication.autocreate.mode': {
    type: 'string',
    default: 'all_tables',
    allowed: publicationAutocreateModes,
    importance: 'medium',
    group: 'Replication',
    documentation:
      'all_tables: create the publication FOR ALL TABLES if missing (needs superuser); filtered: create or update it for the captured tables; disabled: the publication must exist.',
  },
  'proto.version': {
    type: 'int',
    default: 1,
    importance: 'low',
    group: 'Replication',
    documentation: 'pgoutput protocol version: 1, or 2 (PostgreSQL 14+).',
    validator: (v) =>
      v === 1 || v === 2 ? undefined : `proto.version ${String(v)} is not supported; use 1 or 2`,
  },
  'pgoutput.streaming': {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Replication',
    documentation:
      "Ask PostgreSQL to stream large in-progress transactions (pgoutput 'streaming on', needs proto.version=2, PostgreSQL 14+). Their changes are kept on local disk until the commit and dropped on abort, so events still appear only for committed transactions.",
    validator: (v, config) =>
      v === true && config['proto.version'] !== 2
        ? 'pgoutput.streaming=true needs proto.version=2; set proto.version=2 or turn streaming off'
        : undefined,
  },
  'snapshot.mode': {
    type: 'string',
    default: 'initial',
    allowed: snapshotModes,
    importance: 'high',
    group: 'Snapshot',
    documentation:
      'initial: snapshot when no offset exists, then stream; initial_only: snapshot and stop; no_data: stream only; always: snapshot at every start; when_needed: snapshot when no offset exists or the slot is gone; never: stream only.',
  },
  'snapshot.fetch.size': {
    type: 'int',
    default: 10240,
    importance: 'medium',
    group: 'Snapshot',
    documentation: 'Rows per snapshot chunk (keyset pagination over the primary key).',
    validator: atLeast(1),
  },
  'include.unknown.datatypes': {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Events',
    documentation:
      'Columns of types Siphon cannot map: false leaves them out of events; true passes their text form as a string.',
  },
  'interval.handling.mode': {
    type: 'string',
    default: 'numeric',
    allowed: intervalHandlingModes,
    importance: 'low',
    group: 'Events',
    documentation:
      'interval columns: numeric (io.debezium.time.MicroDuration, int64 microseconds with months of 30.4375 days; a value beyond int64 is an error that follows errors.tolerance) or string (io.debezium.time.Interval, ISO 8601 such as P1Y2M3DT4H5M6.5S, any size).',
  },
  'unavailable.value.placeholder': {
    type: 'string',
    default: '__debezium_unavailable_value',
    importance: 'low',
    group: 'Events',
    documentation:
      'Value of an unchanged TOASTed column in an UPDATE whose old value PostgreSQL did not send.',
  },
  'status.update.interval.ms': {
    type: 'int',
    default: 10000,
    importance: 'low',
    group: 'Replication',
    documentation: 'Milliseconds between standby status updates (the acknowledged LSN) sent to the server.',
    validator: atLeast(1),
  },
} as const satisfies KeySpecs;

const postgresConfig = defineConfig({ ...postgresKeySpecs, ...cdcKeySpecs });

export const postgresConfigDef: ConfigDef = postgresConfig.def;

export interface PostgresOptions extends CdcOptions {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | null;
  readonly dbname: string;
  readonly sslMode: SslMode;
  readonly sslRootCert: string | null;
  readonly sslCert: string | null;
  readonly sslKey: string | null;
  readonly sslPassword: string | null;
  readonly schemaInclude: string | null;
  readonly schemaExclude: string | null;
  readonly slotName: string;
  readonly slotDropOnStop: boolean;
  readonly slotMaxRetainedWalBytes: number;
  readonly slotMaxRetainedWalAction: 'warn' | 'drop';
  readonly publicationName: string;
  readonly publicationAutocreateMode: PublicationAutocreateMode;
  readonly protoVersion: 1 | 2;
  readonly pgoutputStreaming: boolean;
  readonly snapshotMode: SnapshotMode;
  readonly snapshotFetchSize: number;
  readonly snapshotMaxThreads: number;
  readonly includeUnknownDatatypes: boolean;
  readonly intervalMode: IntervalHandlingMode;
  /** errors.tolerance=all: a change with a value that cannot be captured is skipped, not fatal. */
  readonly skipBadValues: boolean;
  readonly unavailableValuePlaceholder: string;
  readonly statusUpdateIntervalMs: number;
}

export function readPostgresOptions(config: ParsedConfig): PostgresOptions {
  const options = postgresConfig.read(config);
  return {
    ...cdcOptionsOf(options),
    hostname: options['database.hostname'],
    port: options['database.port'],
    user: options['database.user'],
    password: options['database.password'],
    dbname: options['database.dbname'],
    sslMode: options['database.sslmode'],
    sslRootCert: options['database.sslrootcert'],
    sslCert: options['database.sslcert'],
    sslKey: options['database.sslkey'],
    sslPassword: options['database.sslpassword'],
    schemaInclude: options['schema.include.list'],
    schemaExclude: options['schema.exclude.list'],
    slotName: options['slot.name'],
    slotDropOnStop: options['slot.drop.on.stop'],
    slotMaxRetainedWalBytes: options['slot.max.retained.wal.bytes'],
    slotMaxRetainedWalAction: options['slot.max.retained.wal.action'],
    publicationName: options['publication.name'],
    publicationAutocreateMode: options['publication.autocreate.mode'],
    protoVersion: options['proto.version'] === 2 ? 2 : 1,
    pgoutputStreaming: options['pgoutput.streaming'],
    snapshotMode: options['snapshot.mode'],
    snapshotFetchSize: options['snapshot.fetch.size'],
    snapshotMaxThreads: options['snapshot.max.threads'],
    includeUnknownDatatypes: options['include.unknown.datatypes'],
    intervalMode: options['interval.handling.mode'],
    // errors.tolerance is the runtime's key; it is merged into every task's config.
    skipBadValues: config['errors.tolerance'] === 'all',
    unavailableValuePlaceholder: options['unavailable.value.placeholder'],
    statusUpdateIntervalMs: options['status.update.interval.ms'],
  };
}

/** The captured tables and columns: schema.*, table.* and column.* lists. */
export function tableFilterOf(options: PostgresOptions): TableFilter {
  return new TableFilter({
    namespaceInclude: options.schemaInclude,
    namespaceExclude: options.schemaExclude,
    namespaceKeys: ['schema.include.list', 'schema.exclude.list'],
    tableInclude: options.tableInclude,
    tableExclude: options.tableExclude,
    columnInclude: options.columnInclude,
    columnExclude: options.columnExclude,
  });
}
