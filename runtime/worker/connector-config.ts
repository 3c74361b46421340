import { knownConverter } from '../config/worker-config.js';
import type { ConfigDef, ConfigKey, ConnectorPlugin } from '../plugin/index.js';
import { topicCreationConfigKeys } from './topic-creation.js';

/**
 * The keys every connector has (Kafka Connect's ConnectorConfig / SinkConnectorConfig
 * plus the runtime's queue settings), merged with the plugin's own ConfigDef. A plugin
 * that declares one of these keys itself (e.g. Debezium's `max.queue.size`) wins.
 */
const atLeastOne = (name: string) => (value: unknown) =>
  Number(value) < 1
    ? `Invalid value ${String(value)} for configuration ${name}: must be at least 1`
    : undefined;

const common: ConfigDef = [
  {
    name: 'name',
    type: 'string',
    importance: 'high',
    group: 'Common',
    documentation: 'Globally unique connector name.',
  },
  {
    name: 'connector.class',
    type: 'class',
    importance: 'high',
    group: 'Common',
    documentation: 'The connector: short name, class name, or a Debezium/Confluent class name alias.',
  },
  {
    name: 'tasks.max',
    type: 'int',
    default: 1,
    importance: 'high',
    group: 'Common',
    documentation: 'Maximum number of tasks.',
    validator: atLeastOne('tasks.max'),
  },
  {
    name: 'key.converter',
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Common',
    documentation:
      "Key converter (avro, json, string or a Kafka Connect class name); defaults to the worker's.",
    validator: knownConverter('key.converter'),
  },
  {
    name: 'value.converter',
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Common',
    documentation: "Value converter; defaults to the worker's.",
    validator: knownConverter('value.converter'),
  },
  {
    name: 'transforms',
    type: 'list',
    default: [],
    importance: 'low',
    group: 'Transforms',
    documentation: 'Aliases of the single message transforms to apply, in order.',
  },
  {
    name: 'predicates',
    type: 'list',
    default: [],
    importance: 'low',
    group: 'Predicates',
    documentation: 'Aliases of the predicates transforms may use.',
  },
  {
    name: 'errors.retry.timeout',
    type: 'long',
    default: 0,
    importance: 'medium',
    group: 'Error Handling',
    documentation:
      'How long a failed operation (conversion, transform, produce, put) is retried on retriable errors, in ms; 0 no retries, -1 forever.',
  },
  {
    name: 'errors.retry.delay.max.ms',
    type: 'long',
    default: 60000,
    importance: 'medium',
    group: 'Error Handling',
    documentation: 'Cap of the exponential backoff between retries, in ms.',
  },
  {
    name: 'errors.tolerance',
    type: 'string',
    default: 'none',
    allowed: ['none', 'all'],
    importance: 'medium',
    group: 'Error Handling',
    documentation:
      'none: a bad record fails the task; all: bad records are skipped (sinks: sent to the dead-letter queue when configured).',
  },
  {
    name: 'errors.log.enable',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Error Handling',
    documentation: "Log every skipped or failed record's error.",
  },
  {
    name: 'errors.log.include.messages',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Error Handling',
    documentation: "Include the record's topic/partition/offset in error logs (never its content).",
  },
];

const source: ConfigDef = [
  ...topicCreationConfigKeys,
  {
    name: 'exactly.once.support',
    type: 'string',
    default: 'requested',
    allowed: ['requested', 'required'],
    importance: 'medium',
    group: 'Exactly Once Support',
    documentation:
      'required: write records and offsets in one Kafka transaction (needs exactly.once.source.support=enabled on the worker).',
  },
  {
    name: 'max.queue.size',
    type: 'int',
    default: 8192,
    importance: 'low',
    group: 'Runtime',
    documentation: 'Records the task may queue before emit() waits (backpressure).',
    validator: atLeastOne('max.queue.size'),
  },
  {
    name: 'max.queue.size.in.bytes',
    type: 'long',
    default: 33554432,
    importance: 'low',
    group: 'Runtime',
    documentation:
      'Approximate bytes of records the task may queue before emit() waits; 0: bounded by max.queue.size only. A record larger than this still passes, alone.',
    validator: (value) =>
      Number(value) < 0
        ? `Invalid value ${String(value)} for configuration max.queue.size.in.bytes: must be at least 0`
        : undefined,
  },
  {
    name: 'max.batch.size',
    type: 'int',
    default: 2048,
    importance: 'low',
    group: 'Runtime',
    documentation: 'Records produced to Kafka per batch.',
    validator: atLeastOne('max.batch.size'),
  },
];

const sink: ConfigDef = [
  {
    name: 'topics',
    type: 'list',
    default: [],
    importance: 'high',
    group: 'Common',
    documentation: 'Topics to consume (this or topics.regex).',
  },
  {
    name: 'topics.regex',
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Common',
    documentation: 'Regular expression of topics to consume (this or topics).',
    validator: (v) => regexError('topics.regex', String(v)),
  },
  {
    name: 'consumer.max.poll.records',
    type: 'int',
    default: 500,
    importance: 'low',
    group: 'Runtime',
    documentation: 'Largest batch handed to put().',
    validator: atLeastOne('consumer.max.poll.records'),
  },
  {
    name: 'errors.deadletterqueue.topic.name',
    type: 'string',
    default: '',
    importance: 'medium',
    group: 'Error Handling',
    documentation: 'Topic for records that failed with errors.tolerance=all; empty: no dead-letter queue.',
  },
  {
    name: 'errors.deadletterqueue.topic.replication.factor',
    type: 'int',
    default: -1,
    importance: 'low',
    group: 'Error Handling',
    documentation: 'Replication factor of the dead-letter topic when created; -1 the broker default.',
  },
  {
    name: 'errors.deadletterqueue.context.headers.enable',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Error Handling',
    documentation: 'Add __connect.errors.* headers describing the failure to dead-letter records.',
  },
];

function regexError(name: string, pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return `Invalid value ${pattern} for configuration ${name}: ${(error as Error).message}`;
  }
}

/** The runtime's keys followed by the plugin's, for validation and the validate endpoint. */
export function connectorConfigDef(plugin: ConnectorPlugin | undefined): ConfigDef {
  const runtimeKeys: ConfigKey[] = [...common, ...(plugin?.type === 'sink' ? sink : plugin ? source : [])];
  const pluginKeys = plugin?.configDef ?? [];
  const declared = new Set(pluginKeys.map((k) => k.name));
  return [...runtimeKeys.filter((k) => !declared.has(k.name)), ...pluginKeys];
}

/** Keys of type password (and their aliases) for masking. */
export function passwordKeys(def: ConfigDef): Set<string> {
  return new Set(def.filter((k) => k.type === 'password').flatMap((k) => [k.name, ...(k.aliases ?? [])]));
}
