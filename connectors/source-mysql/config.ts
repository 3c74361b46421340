import { cdcKeySpecs, cdcOptionsOf, exclusiveListsError, parseRegexList } from '../../runtime/cdc/index.js';
import type { CdcOptions } from '../../runtime/cdc/index.js';
import { between, defineConfig } from '../../runtime/plugin/index.js';
import type {
  ConfigDef,
  ConfigValidator,
  KeySpecs,
  ParsedConfig,
  ParsedConfigValue,
} from '../../runtime/plugin/index.js';

/**
 * The MySQL/MariaDB source connector's configuration, with Debezium's key names: the
 * shared CDC keys (runtime/cdc) plus the keys of this connector. Validation, the REST
 * validate endpoint and the documentation all derive from `mysqlConfigDef`.
 */
export const snapshotModes = ['initial', 'initial_only', 'no_data', 'when_needed', 'never'] as const;
export type SnapshotMode = (typeof snapshotModes)[number];

export const snapshotLockingModes = ['minimal', 'none'] as const;
export type SnapshotLockingMode = (typeof snapshotLockingModes)[number];

export const bigintUnsignedHandlingModes = ['long', 'precise'] as const;
export type BigintUnsignedHandlingMode = (typeof bigintUnsignedHandlingModes)[number];

function listText(value: ParsedConfigValue): string | null {
  if (value === null || value === '') return null;
  return Array.isArray(value) ? value.join(',') : String(value);
}

function regexList(key: string): ConfigValidator {
  return (value) => {
    try {
      parseRegexList(key, listText(value));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

function exclusive(includeKey: string, excludeKey: string): ConfigValidator {
  return (_value, config) =>
    exclusiveListsError(
      includeKey,
      listText(config[includeKey] ?? null),
      excludeKey,
      listText(config[excludeKey] ?? null),
    ) ?? regexList(includeKey)?.(config[includeKey] ?? null, config);
}

const mysqlKeySpecs = {
  'database.hostname': {
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation: 'Host name or address of the MySQL/MariaDB server.',
  },
  'database.port': {
    type: 'int',
    default: 3306,
    importance: 'high',
    group: 'Connection',
    documentation: 'Port of the MySQL/MariaDB server.',
    validator: between(1, 65535),
  },
  'database.user': {
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation:
      'User with SELECT, RELOAD (for the snapshot read lock), REPLICATION SLAVE and REPLICATION CLIENT privileges.',
  },
  'database.password': {
    type: 'password',
    default: '',
    importance: 'high',
    group: 'Connection',
    documentation: 'Password of database.user; use a config provider (${env:VAR}) rather than plain text.',
  },
  'database.server.id': {
    type: 'long',
    importance: 'high',
    group: 'Connection',
    documentation:
      'Replica server id the connector presents when reading the binlog; unique among all replicas and binlog readers of the server (1 to 4294967295).',
    validator: between(1, 4294967295),
  },
  'database.include.list': {
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions matched against database names; only tables of matching databases are captured. Cannot be used with database.exclude.list.',
    validator: exclusive('database.include.list', 'database.exclude.list'),
  },
  'database.exclude.list': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation: 'Comma-separated regular expressions of database names NOT to capture.',
    validator: regexList('database.exclude.list'),
  },
  'snapshot.mode': {
    type: 'string',
    default: 'initial',
    allowed: snapshotModes,
    importance: 'high',
    group: 'Snapshot',
    documentation:
      'initial: snapshot the captured tables when there is no offset, then stream; initial_only: snapshot, then stop; no_data: record the schema only, then stream; when_needed: also snapshot again when the stored binlog position is no longer available; never: stream from the current binlog position without a snapshot.',
  },
  'snapshot.locking.mode': {
    type: 'string',
    default: 'minimal',
    allowed: snapshotLockingModes,
    importance: 'medium',
    group: 'Snapshot',
    documentation:
      'minimal: hold a global read lock (or LOCK TABLES without the RELOAD privilege) only while the binlog position and table structures are read; none: take no lock (safe only when no DDL runs during the snapshot).',
  },
  'snapshot.fetch.size': {
    type: 'int',
    default: 10000,
    importance: 'low',
    group: 'Snapshot',
    documentation: 'Rows read per primary-key chunk during the snapshot.',
    validator: between(1, 1_000_000),
  },
  'gtid.source.includes': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions of GTID sources (MySQL server UUIDs, MariaDB "domain-server" pairs) whose transactions are captured. Cannot be used with gtid.source.excludes.',
    validator: exclusive('gtid.source.includes', 'gtid.source.excludes'),
  },
  'gtid.source.excludes': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Filters',
    documentation: 'Comma-separated regular expressions of GTID sources whose transactions are skipped.',
    validator: regexList('gtid.source.excludes'),
  },
  'include.schema.changes': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Publish each DDL statement on captured tables as a schema change event on the <topic.prefix> topic.',
  },
  'schema.history.internal.kafka.topic': {
    type: 'string',
    importance: 'high',
    group: 'Schema history',
    documentation:
      'Kafka topic (one partition, infinite retention) holding the DDL history, so that after a restart old binlog rows are read with the table structure valid at their position. One topic per connector.',
    validator: (value) =>
      typeof value === 'string' && /^[a-zA-Z0-9._-]+$/.test(value)
        ? undefined
        : `"${String(value)}" is not a valid topic name; use only letters, digits, '.', '_' and '-'`,
  },
  'schema.history.internal.kafka.bootstrap.servers': {
    type: 'list',
    default: [],
    importance: 'low',
    group: 'Schema history',
    documentation:
      "Accepted for Debezium compatibility and ignored (a warning says so): the schema history topic is kept in the worker's Kafka cluster and reached with the worker's connection and security settings.",
  },
  'bigint.unsigned.handling.mode': {
    type: 'string',
    default: 'long',
    allowed: bigintUnsignedHandlingModes,
    importance: 'low',
    group: 'Events',
    documentation:
      'BIGINT UNSIGNED as int64 (long: values above 2^63-1 wrap, as in Debezium) or as a Decimal with scale 0 (precise).',
  },
  'tinyint1.as.boolean': {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Events',
    documentation:
      'Emit TINYINT(1) (and BOOLEAN, which MySQL stores as TINYINT(1)) as boolean instead of int16 (what Debezium does with its TinyIntOneToBooleanConverter).',
  },
  'connect.timeout.ms': {
    type: 'int',
    default: 30000,
    importance: 'low',
    group: 'Connection',
    documentation: 'Milliseconds to wait for a connection to the server.',
    validator: between(1, 3_600_000),
  },
} as const satisfies KeySpecs;

const mysqlConfig = defineConfig({
  ...cdcKeySpecs,
  /** Debezium's MySQL connector defaults time.precision.mode to adaptive_time_microseconds. */
  'time.precision.mode': { ...cdcKeySpecs['time.precision.mode'], default: 'adaptive_time_microseconds' },
  ...mysqlKeySpecs,
});

export const mysqlConfigDef: ConfigDef = mysqlConfig.def;

export interface MySqlSourceConfig {
  readonly cdc: CdcOptions;
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly serverId: number;
  readonly databaseInclude: string | null;
  readonly databaseExclude: string | null;
  readonly snapshotMode: SnapshotMode;
  readonly snapshotLockingMode: SnapshotLockingMode;
  readonly snapshotFetchSize: number;
  readonly snapshotMaxThreads: number;
  readonly gtidSourceIncludes: readonly RegExp[];
  readonly gtidSourceExcludes: readonly RegExp[];
  readonly includeSchemaChanges: boolean;
  readonly historyTopic: string;
  readonly historyBootstrapServers: readonly string[];
  readonly bigintUnsignedMode: BigintUnsignedHandlingMode;
  readonly tinyint1AsBoolean: boolean;
  readonly connectTimeoutMs: number;
}

export function readMySqlConfig(config: ParsedConfig): MySqlSourceConfig {
  const options = mysqlConfig.read(config);
  return {
    cdc: cdcOptionsOf(options),
    hostname: options['database.hostname'],
    port: options['database.port'],
    user: options['database.user'],
    password: options['database.password'],
    serverId: options['database.server.id'],
    databaseInclude: options['database.include.list'],
    databaseExclude: options['database.exclude.list'],
    snapshotMode: options['snapshot.mode'],
    snapshotLockingMode: options['snapshot.locking.mode'],
    snapshotFetchSize: options['snapshot.fetch.size'],
    snapshotMaxThreads: options['snapshot.max.threads'],
    gtidSourceIncludes: parseRegexList('gtid.source.includes', options['gtid.source.includes']),
    gtidSourceExcludes: parseRegexList('gtid.source.excludes', options['gtid.source.excludes']),
    includeSchemaChanges: options['include.schema.changes'],
    historyTopic: options['schema.history.internal.kafka.topic'],
    historyBootstrapServers: options['schema.history.internal.kafka.bootstrap.servers'].filter(
      (server) => server.length > 0,
    ),
    bigintUnsignedMode: options['bigint.unsigned.handling.mode'],
    tinyint1AsBoolean: options['tinyint1.as.boolean'],
    connectTimeoutMs: options['connect.timeout.ms'],
  };
}
