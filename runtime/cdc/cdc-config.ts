import type { ConfigKey, ParsedConfig, ParsedConfigValue } from '../plugin/index.js';
import { binaryHandlingModes, type BinaryHandlingMode } from './binary-handling.js';
import { ConfigReader } from './config-reader.js';
import { decimalHandlingModes, type DecimalHandlingMode } from './decimal-handling.js';
import { fieldNameAdjustmentModes, type FieldNameAdjustmentMode } from './field-names.js';
import { MessageKeyColumns } from './message-key-columns.js';
import { parseRegexList } from './regex-list.js';
import { exclusiveListsError } from './table-filter.js';
import { timePrecisionModes, type TimePrecisionMode } from './temporal-handling.js';

/**
 * The config keys both CDC sources (PostgreSQL, MySQL) share, with Debezium's names and
 * defaults. Each connector's configDef spreads `cdcConfigKeys` and adds its own keys;
 * `readCdcOptions` turns a validated config into typed options.
 */

export type ChangeOp = 'c' | 'u' | 'd' | 't';
const skippableOps: readonly ChangeOp[] = ['c', 'u', 'd', 't'];

/** Parses `skipped.operations` ("c,u,d,t" or "none"); throws naming the bad entry. */
export function parseSkippedOperations(value: string | readonly string[] | null): Set<ChangeOp> {
  const entries = (typeof value === 'string' ? value.split(',') : (value ?? []))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v.length > 0);
  const skipped = new Set<ChangeOp>();
  for (const entry of entries) {
    if (entry === 'none') continue;
    const op = skippableOps.find((o) => o === entry);
    if (op === undefined) {
      throw new Error(
        `skipped.operations: "${entry}" is not an operation; use a comma-separated list of c, u, d, t, or none`,
      );
    }
    skipped.add(op);
  }
  return skipped;
}

function errorOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function asListText(value: ParsedConfigValue): string | null {
  if (value === null) return null;
  return Array.isArray(value) ? value.join(',') : String(value);
}

function regexListValidator(key: string): ConfigKey['validator'] {
  return (value) => errorOf(() => parseRegexList(key, asListText(value)));
}

function exclusiveWith(includeKey: string, excludeKey: string): ConfigKey['validator'] {
  return (_value, config) =>
    exclusiveListsError(
      includeKey,
      asListText(config[includeKey] ?? null),
      excludeKey,
      asListText(config[excludeKey] ?? null),
    ) ?? errorOf(() => parseRegexList(includeKey, asListText(config[includeKey] ?? null)));
}

function atLeast(min: number): ConfigKey['validator'] {
  return (value) =>
    typeof value === 'number' && value >= min
      ? undefined
      : `must be an integer >= ${min}, got ${String(value)}`;
}

const topicNamePattern = /^[a-zA-Z0-9._-]+$/;

export const cdcConfigKeys: readonly ConfigKey[] = [
  {
    name: 'topic.prefix',
    type: 'string',
    importance: 'high',
    group: 'Connector',
    documentation:
      'Logical name of the source server: the prefix of every topic (<topic.prefix>.<schema>.<table>) and the source.name field. Letters, digits, ".", "_" and "-" only; never change it once events were produced.',
    validator: (value) =>
      typeof value === 'string' && topicNamePattern.test(value)
        ? undefined
        : `"${String(value)}" is not a valid topic prefix; use only letters, digits, '.', '_' and '-'`,
  },
  {
    name: 'table.include.list',
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions matched against the whole fully qualified table name (<schema>.<table>, case-insensitive); only matching tables are captured. Cannot be used with table.exclude.list.',
    validator: exclusiveWith('table.include.list', 'table.exclude.list'),
  },
  {
    name: 'table.exclude.list',
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions of fully qualified table names NOT to capture. Cannot be used with table.include.list.',
    validator: regexListValidator('table.exclude.list'),
  },
  {
    name: 'column.include.list',
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions matched against fully qualified column names (<schema>.<table>.<column>); only matching columns appear in events. Cannot be used with column.exclude.list.',
    validator: exclusiveWith('column.include.list', 'column.exclude.list'),
  },
  {
    name: 'column.exclude.list',
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions of fully qualified column names left out of events. Cannot be used with column.include.list.',
    validator: regexListValidator('column.exclude.list'),
  },
  {
    name: 'message.key.columns',
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Custom event keys: <table regex>:<column>[,<column>...] entries separated by ";". Matching tables use these columns as the key instead of the primary key.',
    validator: (value) => errorOf(() => MessageKeyColumns.parse(asListText(value))),
  },
  {
    name: 'decimal.handling.mode',
    type: 'string',
    default: 'precise',
    allowed: decimalHandlingModes,
    importance: 'medium',
    group: 'Events',
    documentation:
      'How exact numerics are emitted: precise (Decimal / VariableScaleDecimal; NaN and Infinity become null), double (float64), or string.',
  },
  {
    name: 'time.precision.mode',
    type: 'string',
    default: 'adaptive',
    allowed: timePrecisionModes,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Temporal types: adaptive (millisecond or microsecond types by column precision), adaptive_time_microseconds (TIME always in microseconds), or connect (Kafka Connect Date/Time/Timestamp, milliseconds).',
  },
  {
    name: 'binary.handling.mode',
    type: 'string',
    default: 'bytes',
    allowed: binaryHandlingModes,
    importance: 'low',
    group: 'Events',
    documentation: 'Binary columns as bytes, or as a base64, base64-url-safe or hex string.',
  },
  {
    name: 'field.name.adjustment.mode',
    type: 'string',
    default: 'none',
    allowed: fieldNameAdjustmentModes,
    importance: 'low',
    group: 'Events',
    documentation:
      "How column names become field names: none (unchanged), avro (characters Avro names do not allow become _) or avro_unicode (they become _uXXXX). A field named otherwise than its column carries the column's name in the schema parameter __debezium.source.column.name, which sink-jdbc uses as the target column name.",
  },
  {
    name: 'tombstones.on.delete',
    type: 'boolean',
    default: true,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Emit a tombstone (null value, same key) after each delete event, so log compaction can drop the key.',
  },
  {
    name: 'skipped.operations',
    type: 'string',
    default: 't',
    importance: 'low',
    group: 'Events',
    documentation:
      'Comma-separated operations not to emit: c (inserts), u (updates), d (deletes), t (truncates), or none.',
    validator: (value) => errorOf(() => parseSkippedOperations(asListText(value))),
  },
  {
    name: 'provide.transaction.metadata',
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Events',
    documentation:
      'Emit BEGIN/END records with per-table event counts to <topic.prefix>.transaction and a transaction block in each change event.',
  },
  {
    name: 'heartbeat.interval.ms',
    type: 'int',
    default: 0,
    importance: 'medium',
    group: 'Heartbeat',
    documentation:
      'Milliseconds between heartbeat records on <heartbeat.topics.prefix>.<topic.prefix>; 0 disables them. Heartbeats let the source acknowledge its position while captured tables are quiet.',
    validator: atLeast(0),
  },
  {
    name: 'heartbeat.topics.prefix',
    type: 'string',
    default: '__debezium-heartbeat',
    importance: 'low',
    group: 'Heartbeat',
    documentation: 'Prefix of the heartbeat topic.',
  },
  {
    name: 'heartbeat.action.query',
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Heartbeat',
    documentation:
      'SQL run against the source at each heartbeat (e.g. an UPDATE of a heartbeat table) so that a database with traffic only in uncaptured tables still produces changes.',
  },
  {
    name: 'errors.max.retries',
    type: 'int',
    default: -1,
    importance: 'low',
    group: 'Connector',
    documentation:
      'How many times in a row the task is restarted after a transient failure (a lost connection) before it fails; -1: no limit, 0: never. The count starts again once the task emits records. Authentication and permission failures are never retried.',
    validator: atLeast(-1),
  },
  {
    name: 'max.batch.size',
    type: 'int',
    default: 2048,
    importance: 'low',
    group: 'Connector',
    documentation: 'Most records handed to the runtime at once.',
    validator: atLeast(1),
  },
  {
    name: 'max.queue.size',
    type: 'int',
    default: 8192,
    importance: 'low',
    group: 'Connector',
    documentation:
      'Most records waiting between the source reader and the runtime; must exceed max.batch.size.',
    validator: (value, config) => {
      const batch = config['max.batch.size'];
      if (typeof value !== 'number' || value < 1) return `must be a positive integer, got ${String(value)}`;
      return typeof batch === 'number' && value <= batch
        ? `max.queue.size (${value}) must be larger than max.batch.size (${batch}); raise max.queue.size`
        : undefined;
    },
  },
  {
    name: 'max.queue.size.in.bytes',
    type: 'long',
    default: 33554432,
    importance: 'low',
    group: 'Connector',
    documentation:
      "Most bytes of records (the runtime's estimate of their size in memory) waiting between the source reader and the runtime; 0: bounded by max.queue.size only (Debezium's default). The default, 32 MiB, keeps wide rows from filling the worker's memory (8192 rows of 100 KB would hold 800 MB); a record larger than this still passes, alone.",
    validator: atLeast(0),
  },
];

export interface CdcOptions {
  readonly topicPrefix: string;
  readonly tableInclude: string | null;
  readonly tableExclude: string | null;
  readonly columnInclude: string | null;
  readonly columnExclude: string | null;
  readonly messageKeyColumns: MessageKeyColumns;
  readonly decimalMode: DecimalHandlingMode;
  readonly timePrecisionMode: TimePrecisionMode;
  readonly binaryMode: BinaryHandlingMode;
  readonly fieldNameMode: FieldNameAdjustmentMode;
  readonly tombstonesOnDelete: boolean;
  readonly skippedOperations: ReadonlySet<ChangeOp>;
  readonly provideTransactionMetadata: boolean;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTopicsPrefix: string;
  readonly heartbeatActionQuery: string | null;
  readonly maxBatchSize: number;
  readonly maxQueueSize: number;
}

export function readCdcOptions(config: ParsedConfig): CdcOptions {
  const read = new ConfigReader(config);
  return {
    topicPrefix: read.string('topic.prefix'),
    tableInclude: read.optionalString('table.include.list'),
    tableExclude: read.optionalString('table.exclude.list'),
    columnInclude: read.optionalString('column.include.list'),
    columnExclude: read.optionalString('column.exclude.list'),
    messageKeyColumns: MessageKeyColumns.parse(read.optionalString('message.key.columns')),
    decimalMode: read.oneOf('decimal.handling.mode', decimalHandlingModes),
    timePrecisionMode: read.oneOf('time.precision.mode', timePrecisionModes),
    binaryMode: read.oneOf('binary.handling.mode', binaryHandlingModes),
    fieldNameMode: read.oneOf('field.name.adjustment.mode', fieldNameAdjustmentModes),
    tombstonesOnDelete: read.boolean('tombstones.on.delete'),
    skippedOperations: parseSkippedOperations(read.optionalString('skipped.operations')),
    provideTransactionMetadata: read.boolean('provide.transaction.metadata'),
    heartbeatIntervalMs: read.number('heartbeat.interval.ms'),
    heartbeatTopicsPrefix: read.string('heartbeat.topics.prefix'),
    heartbeatActionQuery: read.optionalString('heartbeat.action.query'),
    maxBatchSize: read.number('max.batch.size'),
    maxQueueSize: read.number('max.queue.size'),
  };
}
