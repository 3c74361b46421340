import { knownConverter } from '../config/worker-config.js';
import { atLeast, defineConfig, sourceQueueKeySpecs } from '../plugin/index.js';
import type { ConfigDef, ConnectorPlugin, KeySpecs, ParsedConfig } from '../plugin/index.js';
import { transformChainKeySpecs } from '../transforms/index.js';
import { topicCreationConfigKeys } from './topic-creation.js';

/**
 * The keys every connector has (Kafka Connect's ConnectorConfig / SinkConnectorConfig
 * plus the runtime's queue settings), merged with the plugin's own ConfigDef. A plugin
 * that declares one of these keys itself (e.g. Debezium's `max.queue.size`) wins.
 */

/** `errors.*`: how failed operations and bad records are handled. */
const errorHandlingKeySpecs = {
  'errors.retry.timeout': {
    type: 'long',
    default: 0,
    importance: 'medium',
    group: 'Error Handling',
    documentation:
      'How long a failed operation (conversion, transform, produce, put) is retried on retriable errors, in ms; 0 no retries, -1 forever.',
  },
  'errors.retry.delay.max.ms': {
    type: 'long',
    default: 60000,
    importance: 'medium',
    group: 'Error Handling',
    documentation: 'Cap of the exponential backoff between retries, in ms.',
  },
  'errors.tolerance': {
    type: 'string',
    default: 'none',
    allowed: ['none', 'all'],
    importance: 'medium',
    group: 'Error Handling',
    documentation:
      'none: a bad record fails the task; all: bad records are skipped (sinks: sent to the dead-letter queue when configured).',
  },
  'errors.log.enable': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Error Handling',
    documentation: "Log every skipped or failed record's error.",
  },
  'errors.log.include.messages': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Error Handling',
    documentation: "Include the record's topic/partition/offset in error logs (never its content).",
  },
} as const satisfies KeySpecs;

const commonKeySpecs = {
  name: {
    type: 'string',
    importance: 'high',
    group: 'Common',
    documentation: 'Globally unique connector name.',
  },
  'connector.class': {
    type: 'class',
    importance: 'high',
    group: 'Common',
    documentation: 'The connector: short name, class name, or a Debezium/Confluent class name alias.',
  },
  'tasks.max': {
    type: 'int',
    default: 1,
    importance: 'high',
    group: 'Common',
    documentation: 'Maximum number of tasks.',
    validator: atLeast(1),
  },
  'key.converter': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Common',
    documentation:
      "Key converter (avro, json, string or a Kafka Connect class name); defaults to the worker's.",
    validator: knownConverter('key.converter'),
  },
  'value.converter': {
    type: 'string',
    default: null,
    importance: 'low',
    group: 'Common',
    documentation: "Value converter; defaults to the worker's.",
    validator: knownConverter('value.converter'),
  },
  ...transformChainKeySpecs,
  ...errorHandlingKeySpecs,
} as const satisfies KeySpecs;

const sourceKeySpecs = {
  'exactly.once.support': {
    type: 'string',
    default: 'requested',
    allowed: ['requested', 'required'],
    importance: 'medium',
    group: 'Exactly Once Support',
    documentation:
      'required: write records and offsets in one Kafka transaction (needs exactly.once.source.support=enabled on the worker).',
  },
  ...sourceQueueKeySpecs,
} as const satisfies KeySpecs;

const sinkKeySpecs = {
  topics: {
    type: 'list',
    default: [],
    importance: 'high',
    group: 'Common',
    documentation: 'Topics to consume (this or topics.regex).',
  },
  'topics.regex': {
    type: 'string',
    default: null,
    importance: 'high',
    group: 'Common',
    documentation: 'Regular expression of topics to consume (this or topics).',
    validator: (v) => regexError('topics.regex', String(v)),
  },
  'consumer.max.poll.records': {
    type: 'int',
    default: 500,
    importance: 'low',
    group: 'Runtime',
    documentation: 'Largest batch handed to put().',
    validator: atLeast(1),
  },
  'errors.deadletterqueue.topic.name': {
    type: 'string',
    default: '',
    importance: 'medium',
    group: 'Error Handling',
    documentation: 'Topic for records that failed with errors.tolerance=all; empty: no dead-letter queue.',
  },
  'errors.deadletterqueue.topic.replication.factor': {
    type: 'int',
    default: -1,
    importance: 'low',
    group: 'Error Handling',
    documentation: 'Replication factor of the dead-letter topic when created; -1 the broker default.',
  },
  'errors.deadletterqueue.context.headers.enable': {
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: 'Error Handling',
    documentation: 'Add __connect.errors.* headers describing the failure to dead-letter records.',
  },
} as const satisfies KeySpecs;

function regexError(name: string, pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return `Invalid value ${pattern} for configuration ${name}: ${(error as Error).message}`;
  }
}

/** The keys of every connector, typed: name, class, `tasks.max`, converters, transforms, `errors.*`. */
export const commonConnectorConfig = defineConfig(commonKeySpecs);
/** The `errors.*` keys of every connector, typed. */
export const errorHandlingConfig = defineConfig(errorHandlingKeySpecs);
const sourceRuntimeConfig = defineConfig(sourceKeySpecs);
/** The runtime's keys of sink connectors only, typed: topics, the dead-letter queue. */
export const sinkRuntimeConfig = defineConfig(sinkKeySpecs);

/** What a sink consumes: `topics`, or `topics.regex` matched against whole topic names. */
export interface SinkTopics {
  readonly topics: readonly string[];
  readonly regex: string | null;
  readonly pattern: RegExp | null;
  readonly matches: (topic: string) => boolean;
}

export function sinkTopicsOf(config: ParsedConfig): SinkTopics {
  const options = sinkRuntimeConfig.read(config);
  const { topics } = options;
  const regex = options['topics.regex'];
  const pattern = regex === null ? null : new RegExp(`^(?:${regex})$`);
  return {
    topics,
    regex,
    pattern,
    matches: (topic) => (pattern ? pattern.test(topic) : topics.includes(topic)),
  };
}

/** The runtime's keys followed by the plugin's, for validation and the validate endpoint. */
export function connectorConfigDef(plugin: ConnectorPlugin | undefined): ConfigDef {
  const typeKeys =
    plugin?.type === 'sink'
      ? sinkRuntimeConfig.def
      : plugin
        ? [...topicCreationConfigKeys, ...sourceRuntimeConfig.def]
        : [];
  const runtimeKeys = [...commonConnectorConfig.def, ...typeKeys];
  const pluginKeys = plugin?.configDef ?? [];
  const declared = new Set(pluginKeys.map((k) => k.name));
  return [...runtimeKeys.filter((k) => !declared.has(k.name)), ...pluginKeys];
}

/** Keys of type password (and their aliases) for masking. */
export function passwordKeys(def: ConfigDef): Set<string> {
  return new Set(def.filter((k) => k.type === 'password').flatMap((k) => [k.name, ...(k.aliases ?? [])]));
}
