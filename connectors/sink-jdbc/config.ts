import type { ConfigDef, ConfigIssue, KeySpecs, ParsedConfig } from '../../runtime/plugin/index.js';
import { atLeast, defineConfig, verificationKeySpecs } from '../../runtime/plugin/index.js';
import { parseConnectionUrl, type ConnectionSettings } from './connection-url.js';
import { parseMappingRules, type MappingRule } from './mapping-rules.js';
import { parseTableNameFormat, type TableNameFormat } from './table-name.js';

/**
 * The JDBC sink's own config keys, with the Debezium JDBC sink's names (Confluent's as
 * aliases). `topics`, `topics.regex`, `tasks.max`, `transforms` and `errors.*` belong to
 * the runtime (runtime/worker/connector-config.ts).
 */
export const INSERT_MODES = ['insert', 'upsert', 'update'] as const;
export const PRIMARY_KEY_MODES = ['none', 'kafka', 'record_key', 'record_value'] as const;
export const SCHEMA_EVOLUTION_MODES = ['none', 'basic'] as const;

const mustParse =
  <T>(parse: (text: string) => T) =>
  (value: unknown): string | undefined => {
    try {
      parse(String(value));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

const sinkKeySpecs = {
  'connection.url': {
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation:
      'JDBC URL of the target: jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db or jdbc:mariadb://host:port/db, with ?param=value options (user, password, sslmode/ssl, connectTimeout, currentSchema).',
    validator: mustParse(parseConnectionUrl),
  },
  'connection.username': {
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Connection',
    documentation: 'User name for the target; overrides a user in the URL.',
    aliases: ['connection.user'],
  },
  'connection.password': {
    type: 'password',
    default: null,
    importance: 'high',
    group: 'Connection',
    documentation:
      'Password for the target; overrides a password in the URL. Use a config provider (${env:VAR}).',
  },
  'insert.mode': {
    type: 'string',
    default: 'upsert',
    allowed: INSERT_MODES,
    importance: 'high',
    group: 'Writes',
    documentation:
      'insert: plain INSERT; upsert: INSERT … ON CONFLICT / ON DUPLICATE KEY UPDATE (idempotent, needs a primary key); update: UPDATE by primary key.',
  },
  'delete.enabled': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Apply deletes (op d) and tombstones as DELETE by primary key. Needs primary.key.mode record_key or record_value.',
  },
  'truncate.enabled': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Apply truncate events (op t): TRUNCATE in PostgreSQL, DELETE FROM in MySQL/MariaDB (whose TRUNCATE would commit the batch transaction).',
  },
  'primary.key.mode': {
    type: 'string',
    default: 'record_key',
    allowed: PRIMARY_KEY_MODES,
    importance: 'high',
    group: 'Writes',
    documentation:
      'Where the target primary key comes from: none; kafka (__connect_topic, __connect_partition, __connect_offset); record_key (the Kafka key fields); record_value (fields of the row).',
    aliases: ['pk.mode'],
  },
  'primary.key.fields': {
    type: 'list',
    default: [],
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Key fields to use (record_key: a subset of the key struct, or the column name of a primitive key; record_value: required list of row fields; kafka: three column names).',
    aliases: ['pk.fields'],
  },
  'schema.evolution': {
    type: 'string',
    default: 'none',
    allowed: SCHEMA_EVOLUTION_MODES,
    importance: 'medium',
    group: 'Schema',
    documentation:
      "basic: add columns the records have and the table lacks (nullable; rows that existed get the source column's default, where the schema carries one) and widen columns the records outgrow (int to bigint, real to double, numeric precision and scale, a varchar shorter than a value). Nothing is narrowed, dropped or retyped otherwise; what is not evolved is logged and in the task status.",
  },
  'auto.evolve': {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Schema',
    documentation: "The Confluent JDBC sink's name for schema evolution: true means schema.evolution=basic.",
  },
  'auto.create': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Schema',
    documentation:
      "Create a missing target table from the record schema, with each dialect's column types (see the README).",
  },
  'table.name.format': {
    type: 'string',
    default: '${topic}',
    importance: 'medium',
    group: 'Schema',
    documentation:
      'Target table name; ${topic}, ${source.db}, ${source.schema}, ${source.table} are replaced, with dots in replaced values turned into underscores. A literal dot separates schema and table (archive.${source.table}).',
    validator: mustParse(parseTableNameFormat),
  },
  'quote.identifiers': {
    type: 'boolean',
    default: true,
    importance: 'low',
    group: 'Schema',
    documentation:
      'true: table and column names are used exactly as given (case, spaces, reserved words). false: they are folded the way the database folds unquoted names (lower case in PostgreSQL) — still quoted, so reserved words stay safe.',
  },
  'quote.sql.identifiers': {
    type: 'string',
    default: null,
    allowed: ['always', 'never'],
    importance: 'low',
    group: 'Schema',
    documentation:
      "The Confluent JDBC sink's name for quote.identifiers: always (true) or never (false); when set it wins.",
  },
  'temporal.out.of.range.mode': {
    type: 'string',
    default: 'fail',
    allowed: ['fail', 'clamp'],
    importance: 'medium',
    group: 'Writes',
    documentation:
      'MySQL/MariaDB targets only (PostgreSQL holds every value): dates and timestamps that are ±infinity, BC or after 9999, and TIME beyond ±838:59:59.999999. fail: the record is a bad record naming the column and value (dead-letter queue or FAILED task). clamp: store the nearest value the column holds (0001-01-01, 9999-12-31 23:59:59.999999, ±838:59:59.999999).',
  },
  'batch.size': {
    type: 'int',
    default: 500,
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Records per database transaction; larger consumer batches are applied in chunks of this size.',
    validator: atLeast(1),
  },
  'max.retries': {
    type: 'int',
    default: 10,
    importance: 'medium',
    group: 'Retries',
    documentation:
      'Retries of a batch after a connection or transient database error before the task reports a retriable failure to the runtime.',
    validator: atLeast(0),
  },
  'retry.backoff.ms': {
    type: 'long',
    default: 3000,
    importance: 'medium',
    group: 'Retries',
    documentation: 'First wait before a retry; doubles per attempt up to 60 s.',
    validator: atLeast(0),
  },
  mappings: {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Mappings',
    documentation:
      'JSON array of mapping rules (match, table, rename, include, exclude, values, casts, filter, key, softDelete); see the README. The first rule that matches a record applies.',
    validator: mustParse(parseMappingRules),
  },
  'exactly.once': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Delivery',
    documentation:
      'Store consumed offsets in a table in the target, in the same transaction as the rows, and resume from them: no record is applied twice, even with non-idempotent mappings.',
  },
  'unavailable.value.placeholder': {
    type: 'string',
    default: '__debezium_unavailable_value',
    importance: 'low',
    group: 'Writes',
    documentation:
      "In update events, a column whose value is this placeholder (Debezium's unavailable.value.placeholder: the string, its UTF-8 bytes, or a one-element array of it) is unavailable and keeps its stored value, as are the columns Siphon's sources name in the __siphon.unavailable.columns header. Empty: only the header counts.",
  },
  'offsets.table.name': {
    type: 'string',
    default: 'siphon_sink_offsets',
    importance: 'low',
    group: 'Delivery',
    documentation:
      'The table exactly.once keeps offsets in (created when missing), optionally schema-qualified.',
  },
} as const satisfies KeySpecs;

const sinkConfig = defineConfig({ ...sinkKeySpecs, ...verificationKeySpecs });

export const configDef: ConfigDef = sinkConfig.def;

export type InsertMode = (typeof INSERT_MODES)[number];
export type PrimaryKeyMode = (typeof PRIMARY_KEY_MODES)[number];

/** The parsed config, typed for the task. */
export interface SinkConfig {
  readonly connection: ConnectionSettings;
  readonly insertMode: InsertMode;
  readonly deleteEnabled: boolean;
  readonly truncateEnabled: boolean;
  readonly primaryKeyMode: PrimaryKeyMode;
  readonly primaryKeyFields: readonly string[];
  readonly schemaEvolution: boolean;
  readonly autoCreate: boolean;
  readonly tableNameFormat: TableNameFormat;
  readonly quoteIdentifiers: boolean;
  readonly batchSize: number;
  /** temporal.out.of.range.mode=clamp. */
  readonly clampTemporal: boolean;
  readonly maxRetries: number;
  readonly retryBackoffMs: number;
  readonly mappings: readonly MappingRule[];
  readonly exactlyOnce: boolean;
  readonly offsetsTable: string;
  /** unavailable.value.placeholder; null when empty (off). */
  readonly unavailablePlaceholder: string | null;
}

export function readSinkConfig(config: ParsedConfig): SinkConfig {
  const options = sinkConfig.read(config);
  const username = options['connection.username'];
  const password = options['connection.password'];
  const quoteSql = options['quote.sql.identifiers'];
  return {
    connection: {
      ...parseConnectionUrl(options['connection.url']),
      ...(username ? { user: username } : {}),
      ...(password ? { password } : {}),
    },
    insertMode: options['insert.mode'],
    deleteEnabled: options['delete.enabled'],
    truncateEnabled: options['truncate.enabled'],
    primaryKeyMode: options['primary.key.mode'],
    primaryKeyFields: options['primary.key.fields'],
    schemaEvolution: options['schema.evolution'] === 'basic' || options['auto.evolve'],
    autoCreate: options['auto.create'],
    tableNameFormat: parseTableNameFormat(options['table.name.format']),
    quoteIdentifiers: quoteSql === null ? options['quote.identifiers'] : quoteSql === 'always',
    batchSize: options['batch.size'],
    clampTemporal: options['temporal.out.of.range.mode'] === 'clamp',
    maxRetries: options['max.retries'],
    retryBackoffMs: options['retry.backoff.ms'],
    mappings: parseMappingRules(options.mappings ?? ''),
    exactlyOnce: options['exactly.once'],
    offsetsTable: options['offsets.table.name'],
    unavailablePlaceholder: options['unavailable.value.placeholder'] || null,
  };
}

/** Checks across keys, after each key passed its own validator. */
export function crossKeyIssues(config: SinkConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const keyed = config.primaryKeyMode === 'record_key' || config.primaryKeyMode === 'record_value';
  if (config.insertMode !== 'insert' && config.primaryKeyMode === 'none') {
    issues.push({
      name: 'primary.key.mode',
      message: `insert.mode=${config.insertMode} needs a primary key, but primary.key.mode=none; use record_key or record_value, or insert.mode=insert`,
    });
  }
  if (config.deleteEnabled && !keyed) {
    issues.push({
      name: 'delete.enabled',
      message: `delete.enabled=true needs primary.key.mode record_key or record_value (it is ${config.primaryKeyMode}); set one or turn deletes off`,
    });
  }
  if (config.primaryKeyMode === 'record_value' && config.primaryKeyFields.length === 0) {
    issues.push({
      name: 'primary.key.fields',
      message: 'primary.key.mode=record_value needs the key fields listed in primary.key.fields, e.g. "id"',
    });
  }
  if (config.primaryKeyMode === 'kafka' && ![0, 3].includes(config.primaryKeyFields.length)) {
    issues.push({
      name: 'primary.key.fields',
      message: `primary.key.mode=kafka takes three column names (topic, partition, offset) or none; got ${config.primaryKeyFields.length}`,
    });
  }
  return issues;
}
