import type { ConfigDef, ConfigIssue, ParsedConfig } from '../../runtime/plugin/index.js';
import { verificationConfigDef } from '../../runtime/plugin/index.js';
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

const positive = (value: unknown): string | undefined =>
  typeof value === 'number' && value > 0 ? undefined : `must be at least 1, got ${String(value)}`;
const notNegative = (value: unknown): string | undefined =>
  typeof value === 'number' && value >= 0 ? undefined : `must be 0 or more, got ${String(value)}`;

export const configDef: ConfigDef = [
  {
    name: 'connection.url',
    type: 'string',
    importance: 'high',
    group: 'Connection',
    documentation:
      'JDBC URL of the target: jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db or jdbc:mariadb://host:port/db, with ?param=value options (user, password, sslmode/ssl, connectTimeout, currentSchema).',
    validator: mustParse(parseConnectionUrl),
  },
  {
    name: 'connection.username',
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Connection',
    documentation: 'User name for the target; overrides a user in the URL.',
    aliases: ['connection.user'],
  },
  {
    name: 'connection.password',
    type: 'password',
    default: null,
    importance: 'high',
    group: 'Connection',
    documentation:
      'Password for the target; overrides a password in the URL. Use a config provider (${env:VAR}).',
  },
  {
    name: 'insert.mode',
    type: 'string',
    default: 'upsert',
    allowed: INSERT_MODES,
    importance: 'high',
    group: 'Writes',
    documentation:
      'insert: plain INSERT; upsert: INSERT … ON CONFLICT / ON DUPLICATE KEY UPDATE (idempotent, needs a primary key); update: UPDATE by primary key.',
  },
  {
    name: 'delete.enabled',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Apply deletes (op d) and tombstones as DELETE by primary key. Needs primary.key.mode record_key or record_value.',
  },
  {
    name: 'truncate.enabled',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Apply truncate events (op t): TRUNCATE in PostgreSQL, DELETE FROM in MySQL/MariaDB (whose TRUNCATE would commit the batch transaction).',
  },
  {
    name: 'primary.key.mode',
    type: 'string',
    default: 'record_key',
    allowed: PRIMARY_KEY_MODES,
    importance: 'high',
    group: 'Writes',
    documentation:
      'Where the target primary key comes from: none; kafka (__connect_topic, __connect_partition, __connect_offset); record_key (the Kafka key fields); record_value (fields of the row).',
    aliases: ['pk.mode'],
  },
  {
    name: 'primary.key.fields',
    type: 'list',
    default: [],
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Key fields to use (record_key: a subset of the key struct, or the column name of a primitive key; record_value: required list of row fields; kafka: three column names).',
    aliases: ['pk.fields'],
  },
  {
    name: 'schema.evolution',
    type: 'string',
    default: 'none',
    allowed: SCHEMA_EVOLUTION_MODES,
    importance: 'medium',
    group: 'Schema',
    documentation:
      "basic: add columns the records have and the table lacks (nullable; rows that existed get the source column's default, where the schema carries one) and widen columns the records outgrow (int to bigint, real to double, numeric precision and scale, a varchar shorter than a value). Nothing is narrowed, dropped or retyped otherwise; what is not evolved is logged and in the task status.",
  },
  {
    name: 'auto.evolve',
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Schema',
    documentation: "The Confluent JDBC sink's name for schema evolution: true means schema.evolution=basic.",
  },
  {
    name: 'auto.create',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Schema',
    documentation:
      "Create a missing target table from the record schema, with each dialect's column types (see the README).",
  },
  {
    name: 'table.name.format',
    type: 'string',
    default: '${topic}',
    importance: 'medium',
    group: 'Schema',
    documentation:
      'Target table name; ${topic}, ${source.db}, ${source.schema}, ${source.table} are replaced, with dots in replaced values turned into underscores. A literal dot separates schema and table (archive.${source.table}).',
    validator: mustParse(parseTableNameFormat),
  },
  {
    name: 'quote.identifiers',
    type: 'boolean',
    default: true,
    importance: 'low',
    group: 'Schema',
    documentation:
      'true: table and column names are used exactly as given (case, spaces, reserved words). false: they are folded the way the database folds unquoted names (lower case in PostgreSQL) — still quoted, so reserved words stay safe.',
  },
  {
    name: 'quote.sql.identifiers',
    type: 'string',
    default: null,
    allowed: ['always', 'never'],
    importance: 'low',
    group: 'Schema',
    documentation:
      "The Confluent JDBC sink's name for quote.identifiers: always (true) or never (false); when set it wins.",
  },
  {
    name: 'temporal.out.of.range.mode',
    type: 'string',
    default: 'fail',
    allowed: ['fail', 'clamp'],
    importance: 'medium',
    group: 'Writes',
    documentation:
      'MySQL/MariaDB targets only (PostgreSQL holds every value): dates and timestamps that are ±infinity, BC or after 9999, and TIME beyond ±838:59:59.999999. fail: the record is a bad record naming the column and value (dead-letter queue or FAILED task). clamp: store the nearest value the column holds (0001-01-01, 9999-12-31 23:59:59.999999, ±838:59:59.999999).',
  },
  {
    name: 'batch.size',
    type: 'int',
    default: 500,
    importance: 'medium',
    group: 'Writes',
    documentation:
      'Records per database transaction; larger consumer batches are applied in chunks of this size.',
    validator: positive,
  },
  {
    name: 'max.retries',
    type: 'int',
    default: 10,
    importance: 'medium',
    group: 'Retries',
    documentation:
      'Retries of a batch after a connection or transient database error before the task reports a retriable failure to the runtime.',
    validator: notNegative,
  },
  {
    name: 'retry.backoff.ms',
    type: 'long',
    default: 3000,
    importance: 'medium',
    group: 'Retries',
    documentation: 'First wait before a retry; doubles per attempt up to 60 s.',
    validator: notNegative,
  },
  {
    name: 'mappings',
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Mappings',
    documentation:
      'JSON array of mapping rules (match, table, rename, include, exclude, values, casts, filter, key, softDelete); see the README. The first rule that matches a record applies.',
    validator: mustParse(parseMappingRules),
  },
  {
    name: 'exactly.once',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Delivery',
    documentation:
      'Store consumed offsets in a table in the target, in the same transaction as the rows, and resume from them: no record is applied twice, even with non-idempotent mappings.',
  },
  {
    name: 'unavailable.value.placeholder',
    type: 'string',
    default: '__debezium_unavailable_value',
    importance: 'low',
    group: 'Writes',
    documentation:
      "In update events, a column whose value is this placeholder (Debezium's unavailable.value.placeholder: the string, its UTF-8 bytes, or a one-element array of it) is unavailable and keeps its stored value, as are the columns Siphon's sources name in the __siphon.unavailable.columns header. Empty: only the header counts.",
  },
  {
    name: 'offsets.table.name',
    type: 'string',
    default: 'siphon_sink_offsets',
    importance: 'low',
    group: 'Delivery',
    documentation:
      'The table exactly.once keeps offsets in (created when missing), optionally schema-qualified.',
  },
  ...verificationConfigDef,
];

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
  const text = (name: string): string | null => {
    const value = config[name];
    return value === null || value === undefined ? null : String(value);
  };
  const connection = parseConnectionUrl(text('connection.url') ?? '');
  const username = text('connection.username');
  const password = text('connection.password');
  return {
    connection: {
      ...connection,
      ...(username ? { user: username } : {}),
      ...(password ? { password } : {}),
    },
    insertMode: (text('insert.mode') ?? 'upsert') as InsertMode,
    deleteEnabled: config['delete.enabled'] === true,
    truncateEnabled: config['truncate.enabled'] === true,
    primaryKeyMode: (text('primary.key.mode') ?? 'record_key') as PrimaryKeyMode,
    primaryKeyFields: Array.isArray(config['primary.key.fields']) ? config['primary.key.fields'] : [],
    schemaEvolution: text('schema.evolution') === 'basic' || config['auto.evolve'] === true,
    autoCreate: config['auto.create'] === true,
    tableNameFormat: parseTableNameFormat(text('table.name.format') ?? '${topic}'),
    quoteIdentifiers:
      text('quote.sql.identifiers') === null
        ? config['quote.identifiers'] !== false
        : text('quote.sql.identifiers') === 'always',
    batchSize: Number(config['batch.size'] ?? 500),
    clampTemporal: text('temporal.out.of.range.mode') === 'clamp',
    maxRetries: Number(config['max.retries'] ?? 10),
    retryBackoffMs: Number(config['retry.backoff.ms'] ?? 3000),
    mappings: parseMappingRules(text('mappings') ?? ''),
    exactlyOnce: config['exactly.once'] === true,
    offsetsTable: text('offsets.table.name') ?? 'siphon_sink_offsets',
    unavailablePlaceholder: text('unavailable.value.placeholder') || null,
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
