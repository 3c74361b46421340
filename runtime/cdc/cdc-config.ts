import {
  atLeast,
  between,
  ConfigError,
  defineConfig,
  sourceQueueKeySpecs,
  type ConfigDef,
  type ConfigOptions,
  type ConfigValidator,
  type KeySpecs,
  type ParsedConfig,
  type ParsedConfigValue,
} from '../plugin/index.js';
import { binaryHandlingModes, type BinaryHandlingMode } from './binary-handling.js';
import { decimalHandlingModes, type DecimalHandlingMode } from './decimal-handling.js';
import { fieldNameAdjustmentModes, type FieldNameAdjustmentMode } from './field-names.js';
import { MessageKeyColumns } from './message-key-columns.js';
import { parseRegexList } from './regex-list.js';
import { exclusiveListsError } from './table-filter.js';
import { timePrecisionModes, type TimePrecisionMode } from './temporal-handling.js';
import { notificationChannels, type NotificationChannel } from './notifications.js';
import {
  newTablesNeedSignalTable,
  newTablesSnapshotModes,
  type NewTablesSnapshotMode,
} from './captured-tables.js';

/**
 * The config keys both CDC sources (PostgreSQL, MySQL) share, with Debezium's names and
 * defaults. Each connector's `defineConfig` spreads `cdcKeySpecs` next to its own keys;
 * `cdcOptionsOf` takes the CDC options out of the typed result.
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
      throw new ConfigError(
        'skipped.operations',
        `skipped.operations: "${entry}" is not an operation; use a comma-separated list of c, u, d, t, or none`,
      );
    }
    skipped.add(op);
  }
  return skipped;
}

export function parseNotificationChannels(value: string | null): Set<NotificationChannel> {
  const channels = new Set<NotificationChannel>();
  for (const entry of (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    if (!notificationChannels.includes(entry as NotificationChannel)) {
      throw new ConfigError(
        'notification.enabled.channels',
        `notification.enabled.channels: "${entry}" is not a channel; use a comma-separated list of ${notificationChannels.join(', ')}`,
      );
    }
    channels.add(entry as NotificationChannel);
  }
  return channels;
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

function regexListValidator(key: string): ConfigValidator {
  return (value) => errorOf(() => parseRegexList(key, asListText(value)));
}

function exclusiveWith(includeKey: string, excludeKey: string): ConfigValidator {
  return (_value, config) =>
    exclusiveListsError(
      includeKey,
      asListText(config[includeKey] ?? null),
      excludeKey,
      asListText(config[excludeKey] ?? null),
    ) ?? errorOf(() => parseRegexList(includeKey, asListText(config[includeKey] ?? null)));
}

const topicNamePattern = /^[a-zA-Z0-9._-]+$/;

export const cdcKeySpecs = {
  'topic.prefix': {
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
  'table.include.list': {
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions matched against the whole fully qualified table name (<schema>.<table>, case-insensitive); only matching tables are captured. Cannot be used with table.exclude.list.',
    validator: exclusiveWith('table.include.list', 'table.exclude.list'),
  },
  'table.exclude.list': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions of fully qualified table names NOT to capture. Cannot be used with table.include.list.',
    validator: regexListValidator('table.exclude.list'),
  },
  'column.include.list': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions matched against fully qualified column names (<schema>.<table>.<column>); only matching columns appear in events. Cannot be used with column.exclude.list.',
    validator: exclusiveWith('column.include.list', 'column.exclude.list'),
  },
  'column.exclude.list': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Filters',
    documentation:
      'Comma-separated regular expressions of fully qualified column names left out of events. Cannot be used with column.include.list.',
    validator: regexListValidator('column.exclude.list'),
  },
  'message.key.columns': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Custom event keys: <table regex>:<column>[,<column>...] entries separated by ";". Matching tables use these columns as the key instead of the primary key.',
    validator: (value) => errorOf(() => MessageKeyColumns.parse(asListText(value))),
  },
  'decimal.handling.mode': {
    type: 'string',
    default: 'precise',
    allowed: decimalHandlingModes,
    importance: 'medium',
    group: 'Events',
    documentation:
      'How exact numerics are emitted: precise (Decimal / VariableScaleDecimal; NaN and Infinity become null), double (float64), or string.',
  },
  'time.precision.mode': {
    type: 'string',
    default: 'adaptive',
    allowed: timePrecisionModes,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Temporal types: adaptive (millisecond or microsecond types by column precision), adaptive_time_microseconds (TIME always in microseconds), or connect (Kafka Connect Date/Time/Timestamp, milliseconds).',
  },
  'binary.handling.mode': {
    type: 'string',
    default: 'bytes',
    allowed: binaryHandlingModes,
    importance: 'low',
    group: 'Events',
    documentation: 'Binary columns as bytes, or as a base64, base64-url-safe or hex string.',
  },
  'field.name.adjustment.mode': {
    type: 'string',
    default: 'none',
    allowed: fieldNameAdjustmentModes,
    importance: 'low',
    group: 'Events',
    documentation:
      "How column names become field names: none (unchanged), avro (characters Avro names do not allow become _) or avro_unicode (they become _uXXXX). A field named otherwise than its column carries the column's name in the schema parameter __debezium.source.column.name, which sink-jdbc uses as the target column name.",
  },
  'tombstones.on.delete': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    group: 'Events',
    documentation:
      'Emit a tombstone (null value, same key) after each delete event, so log compaction can drop the key.',
  },
  'skipped.operations': {
    type: 'string',
    default: 't',
    importance: 'low',
    group: 'Events',
    documentation:
      'Comma-separated operations not to emit: c (inserts), u (updates), d (deletes), t (truncates), or none.',
    validator: (value) => errorOf(() => parseSkippedOperations(asListText(value))),
  },
  'provide.transaction.metadata': {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Events',
    documentation:
      'Emit BEGIN/END records with per-table event counts to <topic.prefix>.transaction and a transaction block in each change event.',
  },
  'heartbeat.interval.ms': {
    type: 'int',
    default: 0,
    importance: 'medium',
    group: 'Heartbeat',
    documentation:
      'Milliseconds between heartbeat records on <heartbeat.topics.prefix>.<topic.prefix>; 0 disables them. Heartbeats let the source acknowledge its position while captured tables are quiet.',
    validator: atLeast(0),
  },
  'heartbeat.topics.prefix': {
    type: 'string',
    default: '__debezium-heartbeat',
    importance: 'low',
    group: 'Heartbeat',
    documentation: 'Prefix of the heartbeat topic.',
  },
  'heartbeat.action.query': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Heartbeat',
    documentation:
      'SQL run against the source at each heartbeat (e.g. an UPDATE of a heartbeat table) so that a database with traffic only in uncaptured tables still produces changes.',
  },
  'notification.enabled.channels': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Notifications',
    documentation:
      "Where the connector tells what its snapshots do (Debezium's notifications: STARTED, IN_PROGRESS, TABLE_SCAN_COMPLETED, COMPLETED, ABORTED): comma-separated sink (records on notification.sink.topic.name), log; empty: none.",
    validator: (value) => errorOf(() => parseNotificationChannels(asListText(value))),
  },
  'notification.sink.topic.name': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Notifications',
    documentation:
      'The topic of the sink notification channel; required when notification.enabled.channels has sink.',
  },
  'errors.max.retries': {
    type: 'int',
    default: -1,
    importance: 'low',
    group: 'Connector',
    documentation:
      'How many times in a row the task is restarted after a transient failure (a lost connection) before it fails; -1: no limit, 0: never. The count starts again once the task emits records. Authentication and permission failures are never retried.',
    validator: atLeast(-1),
  },
  'signal.data.collection': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Signals',
    documentation:
      'The signal table, <schema>.<table> (PostgreSQL) or <database>.<table> (MySQL), with columns id varchar(42), type varchar(32), data text as in Debezium. Rows inserted into it are signals (channel source); incremental snapshots write their watermarks into it, so they need it. It is read from the change stream whether or not it is captured.',
    validator: (value) =>
      value === null || (typeof value === 'string' && /^[^.]+\.[^.]+$/.test(value))
        ? undefined
        : `"${String(value)}" is not a fully qualified table name; use <schema>.<table>`,
  },
  'signal.enabled.channels': {
    type: 'list',
    default: ['source'],
    importance: 'low',
    group: 'Signals',
    documentation:
      'Where signals are read from besides the REST channel (POST /connectors/{name}/signals, always on): source (rows inserted into signal.data.collection), kafka (messages on signal.kafka.topic whose key is the topic.prefix, value {"type": …, "data": {…}}, read by the worker for the task).',
    validator: (value) => errorOf(() => parseSignalChannels(asListText(value))),
  },
  'signal.kafka.topic': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Signals',
    documentation:
      'The topic of the kafka signal channel; defaults to <topic.prefix>-signal. Only messages written after the connector started reading it count (its consumer group connect-<name>-signals keeps the position).',
  },
  'snapshot.max.threads': {
    type: 'int',
    default: 1,
    importance: 'medium',
    group: 'Snapshot',
    documentation:
      "Connections (1 to 64) that read a snapshot in parallel, all on one consistent snapshot of the database. 1 reads the tables one after the other on one connection. More cuts the tables into chunks (primary-key ranges of about 10 × snapshot.fetch.size rows) that the connections read at once; rows are still emitted one table after the other, in the order of a one-connection snapshot, and each connection buffers at most two fetches. How each source shares its snapshot, cuts a table without a primary key and resumes: the connector's README.",
    validator: between(1, 64),
  },
  'incremental.snapshot.chunk.size': {
    type: 'int',
    default: 1024,
    importance: 'medium',
    group: 'Signals',
    documentation:
      'Rows read per chunk of an incremental snapshot; a chunk is held in memory until its closing watermark is streamed.',
    validator: atLeast(1),
  },
  'snapshot.new.tables': {
    type: 'string',
    default: 'off',
    allowed: newTablesSnapshotModes,
    importance: 'medium',
    group: 'Signals',
    documentation:
      "Tables the filters capture now but did not before (added to table.include.list while running): off streams them from now on; incremental also reads their rows in an incremental snapshot (needs signal.data.collection). Offsets keep the captured tables. Debezium's MySQL had parallel; ours is incremental.",
    validator: (value, config) =>
      value === 'incremental' && (config['signal.data.collection'] ?? null) === null
        ? newTablesNeedSignalTable
        : undefined,
  },
  ...sourceQueueKeySpecs,
} as const satisfies KeySpecs;

/**
 * The signal channels: `source` a task reads itself from its stream; `kafka` the runtime
 * reads for it (see kafkaSignalTopic); `rest` comes through the runtime and is always on.
 */
export type SignalChannel = 'source' | 'kafka';

/** Parses `signal.enabled.channels`; throws naming a channel that is not offered. */
export function parseSignalChannels(value: string | readonly string[] | null): Set<SignalChannel> {
  const entries = (typeof value === 'string' ? value.split(',') : (value ?? []))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v.length > 0);
  const channels = new Set<SignalChannel>();
  for (const entry of entries) {
    if (entry === 'source') channels.add('source');
    else if (entry === 'rest') continue;
    else if (entry === 'kafka') channels.add('kafka');
    else
      throw new ConfigError(
        'signal.enabled.channels',
        `signal.enabled.channels: "${entry}" is not a channel; use source, kafka`,
      );
  }
  return channels;
}

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
  /** The sink notification channel's topic (null: off) and whether notifications are logged. */
  readonly notificationTopic: string | null;
  readonly notificationsLogged: boolean;
  readonly signalDataCollection: string | null;
  readonly signalChannels: ReadonlySet<SignalChannel>;
  readonly signalKafkaTopic: string;
  readonly incrementalSnapshotChunkSize: number;
  readonly snapshotNewTables: NewTablesSnapshotMode;
}

/** The CDC options out of a connector's typed options (which include every CDC key). */
export function cdcOptionsOf(options: ConfigOptions<typeof cdcKeySpecs>): CdcOptions {
  return {
    topicPrefix: options['topic.prefix'],
    tableInclude: options['table.include.list'],
    tableExclude: options['table.exclude.list'],
    columnInclude: options['column.include.list'],
    columnExclude: options['column.exclude.list'],
    messageKeyColumns: MessageKeyColumns.parse(options['message.key.columns']),
    decimalMode: options['decimal.handling.mode'],
    timePrecisionMode: options['time.precision.mode'],
    binaryMode: options['binary.handling.mode'],
    fieldNameMode: options['field.name.adjustment.mode'],
    tombstonesOnDelete: options['tombstones.on.delete'],
    skippedOperations: parseSkippedOperations(options['skipped.operations']),
    provideTransactionMetadata: options['provide.transaction.metadata'],
    heartbeatIntervalMs: options['heartbeat.interval.ms'],
    heartbeatTopicsPrefix: options['heartbeat.topics.prefix'],
    heartbeatActionQuery: options['heartbeat.action.query'],
    maxBatchSize: options['max.batch.size'],
    maxQueueSize: options['max.queue.size'],
    ...notificationOptions(options),
    signalDataCollection: options['signal.data.collection'],
    signalChannels: parseSignalChannels(options['signal.enabled.channels']),
    signalKafkaTopic: options['signal.kafka.topic'] ?? `${options['topic.prefix']}-signal`,
    incrementalSnapshotChunkSize: options['incremental.snapshot.chunk.size'],
    snapshotNewTables: options['snapshot.new.tables'],
  };
}

function notificationOptions(
  options: ConfigOptions<typeof cdcKeySpecs>,
): Pick<CdcOptions, 'notificationTopic' | 'notificationsLogged'> {
  const channels = parseNotificationChannels(options['notification.enabled.channels']);
  const topic = options['notification.sink.topic.name'];
  if (channels.has('sink') && !topic) {
    throw new ConfigError(
      'notification.sink.topic.name',
      'notification.enabled.channels has sink but notification.sink.topic.name is not set: name the topic the notifications go to',
    );
  }
  return { notificationTopic: channels.has('sink') ? topic : null, notificationsLogged: channels.has('log') };
}

const cdcConfig = defineConfig(cdcKeySpecs);

/** The CDC keys a connector config defines for both sources, as a ConfigDef. */
export const cdcConfigKeys: ConfigDef = cdcConfig.def;

export function readCdcOptions(config: ParsedConfig): CdcOptions {
  return cdcOptionsOf(cdcConfig.read(config));
}

/**
 * The Kafka topic and message key of the connector's kafka signal channel, or null when
 * it is off: what a CDC source answers to the runtime's `signalTopic` (the runtime, which
 * owns the Kafka clients, follows the topic and hands the signals to the task).
 */
export function kafkaSignalTopic(config: ParsedConfig): { topic: string; key: string } | null {
  const options = readCdcOptions(config);
  return options.signalChannels.has('kafka')
    ? { topic: options.signalKafkaTopic, key: options.topicPrefix }
    : null;
}
