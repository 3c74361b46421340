import { readFileSync } from 'node:fs';
import { extname, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { atLeast, ConfigError, defineConfig } from '../plugin/index.js';
import type { ConfigDef, ConfigOptions, KeySpecs, ParsedConfig } from '../plugin/index.js';
import { converterClassNames } from '../converters/index.js';
import { registerSecret } from '../logging/logger.js';
import {
  configProviderNames,
  resolveConfigProviders,
  type ConfigProviderPolicy,
} from './config-providers.js';
import { describeErrors, parseConfig } from './config-parser.js';
import { withoutResolvedValues } from './resolved-value-errors.js';
import { parseProperties } from './properties-file.js';

/**
 * The worker's configuration, defined once: the file loader, the `SIPHON_*`
 * environment overrides and the startup error messages all derive from this list.
 */

export const workerKeySpecs = {
  'bootstrap.servers': {
    type: 'list',
    default: ['127.0.0.1:9092'],
    importance: 'high',
    group: 'Kafka',
    documentation: 'Kafka brokers to connect to, host:port comma-separated.',
  },
  'client.id': {
    type: 'string',
    default: 'siphon',
    importance: 'medium',
    group: 'Kafka',
    documentation: 'Prefix of the Kafka client ids the worker uses.',
  },
  'group.id': {
    type: 'string',
    default: 'siphon',
    importance: 'high',
    group: 'Kafka',
    documentation:
      'The worker group (a Kafka consumer group): workers with the same group id form one cluster that shares the store topics and spreads connectors and tasks over its members; workers with different group ids are independent and need their own store topics.',
  },
  'security.protocol': {
    type: 'string',
    default: 'PLAINTEXT',
    allowed: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'How the worker talks to Kafka.',
  },
  'sasl.mechanism': {
    type: 'string',
    default: 'PLAIN',
    allowed: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'SASL mechanism with SASL_PLAINTEXT or SASL_SSL.',
  },
  'sasl.username': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'SASL user name.',
  },
  'sasl.password': {
    type: 'password',
    default: null,
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'SASL password (use ${env:VAR} or ${file:path:key}).',
  },
  'ssl.ca.location': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Kafka security',
    documentation: "PEM file with the CA certificates that sign the brokers' certificates.",
  },
  'ssl.certificate.location': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'PEM client certificate for mutual TLS.',
  },
  'ssl.key.location': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'PEM private key of the client certificate.',
  },
  'ssl.key.password': {
    type: 'password',
    default: null,
    importance: 'medium',
    group: 'Kafka security',
    documentation: 'Passphrase of ssl.key.location.',
  },
  'rest.host': {
    type: 'string',
    default: '127.0.0.1',
    importance: 'high',
    group: 'REST',
    documentation: 'Interface the REST API listens on.',
  },
  'rest.port': {
    type: 'int',
    default: 8083,
    importance: 'high',
    group: 'REST',
    documentation: 'Port of the REST API; 0 picks a free port.',
    validator: (v) =>
      Number(v) < 0 || Number(v) > 65535
        ? `Invalid value ${String(v)} for configuration rest.port: must be 0-65535`
        : undefined,
  },
  'rest.advertised.host.name': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation:
      'Host name other workers and clients reach this worker at: its worker id (`host:port`, the status `worker_id`) and the URL the cluster forwards REST writes to. Defaults to rest.host; set it when rest.host is 0.0.0.0 (e.g. the pod IP).',
  },
  'rest.advertised.port': {
    type: 'int',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation:
      'Port other workers reach this worker at (its worker id and forwarding URL); defaults to the port the REST API listens on.',
    validator: (v) =>
      Number(v) < 1 || Number(v) > 65535
        ? `Invalid value ${String(v)} for configuration rest.advertised.port: must be 1-65535`
        : undefined,
  },
  'rest.advertised.listener': {
    type: 'string',
    default: null,
    allowed: ['http', 'https'],
    importance: 'low',
    group: 'REST',
    documentation:
      'Scheme other workers use to reach this worker; defaults to https when rest.ssl.certificate.location is set, http otherwise.',
  },
  'rest.auth.bearer.token': {
    type: 'password',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation: 'When set, every request except GET /health needs `Authorization: Bearer <token>`.',
  },
  'rest.auth.basic.username': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation: 'When set with rest.auth.basic.password, requests need HTTP basic authentication.',
  },
  'rest.auth.basic.password': {
    type: 'password',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation: 'Password for rest.auth.basic.username.',
  },
  'rest.ssl.certificate.location': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation: 'PEM certificate; with rest.ssl.key.location the REST API serves HTTPS.',
  },
  'rest.ssl.key.location': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'REST',
    documentation: 'PEM private key for rest.ssl.certificate.location.',
  },
  'config.storage.topic': {
    type: 'string',
    default: 'siphon-configs',
    importance: 'high',
    group: 'Stores',
    documentation: 'Compacted topic with connector configs and target states.',
  },
  'offset.storage.topic': {
    type: 'string',
    default: 'siphon-offsets',
    importance: 'high',
    group: 'Stores',
    documentation: "Compacted topic with source offsets in Kafka Connect's layout.",
  },
  'status.storage.topic': {
    type: 'string',
    default: 'siphon-status',
    importance: 'high',
    group: 'Stores',
    documentation: 'Compacted topic with connector and task statuses.',
  },
  'config.storage.replication.factor': {
    type: 'int',
    default: -1,
    importance: 'medium',
    group: 'Stores',
    documentation: 'Replication factor of the configs topic; -1 uses the broker default.',
  },
  'offset.storage.replication.factor': {
    type: 'int',
    default: -1,
    importance: 'medium',
    group: 'Stores',
    documentation: 'Replication factor of the offsets topic; -1 uses the broker default.',
  },
  'status.storage.replication.factor': {
    type: 'int',
    default: -1,
    importance: 'medium',
    group: 'Stores',
    documentation: 'Replication factor of the status topic; -1 uses the broker default.',
  },
  'offset.storage.partitions': {
    type: 'int',
    default: 25,
    importance: 'medium',
    group: 'Stores',
    documentation: 'Partitions of the offsets topic when the worker creates it.',
  },
  'status.storage.partitions': {
    type: 'int',
    default: 5,
    importance: 'medium',
    group: 'Stores',
    documentation: 'Partitions of the status topic when the worker creates it.',
  },
  'offset.flush.interval.ms': {
    type: 'long',
    default: 60000,
    importance: 'medium',
    group: 'Tasks',
    documentation: 'How often source offsets are committed (also on stop).',
  },
  'session.timeout.ms': {
    type: 'int',
    default: 10000,
    importance: 'high',
    group: 'Cluster',
    documentation:
      'How long the group coordinator waits for a worker’s heartbeat before it counts the worker as gone and rebalances (Kafka Connect’s name). A worker that cannot reach the coordinator for this long stops its tasks.',
    validator: atLeast(1000),
  },
  'heartbeat.interval.ms': {
    type: 'int',
    default: 3000,
    importance: 'high',
    group: 'Cluster',
    documentation:
      'How often a worker heartbeats to the group coordinator; also how soon it learns of a rebalance. Keep it under a third of session.timeout.ms.',
    validator: atLeast(100),
  },
  'rebalance.timeout.ms': {
    type: 'int',
    default: 60000,
    importance: 'medium',
    group: 'Cluster',
    documentation: 'How long the coordinator waits for every worker to rejoin once a rebalance begins.',
    validator: atLeast(1000),
  },
  'scheduled.rebalance.max.delay.ms': {
    type: 'int',
    default: 300000,
    importance: 'medium',
    group: 'Cluster',
    documentation:
      'How long the connectors and tasks of a worker that vanished (no clean leave: kill -9, a network cut) wait for it to come back before the leader gives them to other workers (Kafka Connect’s name and default, five minutes). A worker that stops cleanly has its work reassigned at once.',
    validator: atLeast(0),
  },
  'task.shutdown.graceful.timeout.ms': {
    type: 'long',
    default: 5000,
    importance: 'medium',
    group: 'Tasks',
    documentation: 'How long stopping tasks may take on shutdown before the worker exits anyway.',
  },
  'producer.compression.type': {
    type: 'string',
    default: 'none',
    allowed: ['none', 'gzip'],
    importance: 'medium',
    group: 'Tasks',
    documentation:
      "Compression of the records source tasks produce: none or gzip (lz4, snappy and zstd need codecs that are not available as maintained pure JavaScript packages). Compressed, a record may be larger than the topic's max.message.bytes before compression.",
  },
  'topic.creation.enable': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    group: 'Tasks',
    documentation:
      'Whether source connectors with topic.creation.default.* settings have their topics created by the worker (KIP-158).',
  },
  'exactly.once.source.support': {
    type: 'string',
    default: 'disabled',
    allowed: ['disabled', 'enabled'],
    importance: 'medium',
    group: 'Tasks',
    documentation:
      'enabled: source connectors may set exactly.once.support=required to write records and offsets in one Kafka transaction.',
  },
  'key.converter': {
    type: 'string',
    default: 'avro',
    importance: 'high',
    group: 'Converters',
    documentation:
      'Default key converter (avro, json, string or a Kafka Connect class name); connectors override it.',
    validator: knownConverter('key.converter'),
  },
  'value.converter': {
    type: 'string',
    default: 'avro',
    importance: 'high',
    group: 'Converters',
    documentation: 'Default value converter; connectors override it.',
    validator: knownConverter('value.converter'),
  },
  'schema.registry.url': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Schema registry',
    documentation: 'An external schema registry; when unset the worker runs the embedded one.',
  },
  'schema.registry.embedded': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    group: 'Schema registry',
    documentation: 'Run the embedded schema registry when schema.registry.url is unset.',
  },
  'schema.registry.host': {
    type: 'string',
    default: '127.0.0.1',
    importance: 'medium',
    group: 'Schema registry',
    documentation: 'Interface of the embedded schema registry.',
  },
  'schema.registry.port': {
    type: 'int',
    default: 8081,
    importance: 'medium',
    group: 'Schema registry',
    documentation: 'Port of the embedded schema registry; 0 picks a free port.',
  },
  'schema.registry.topic': {
    type: 'string',
    default: '_schemas',
    importance: 'medium',
    group: 'Schema registry',
    documentation: 'Compacted topic of the embedded schema registry.',
  },
  'connectors.dir': {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Plugins',
    documentation:
      "Directory whose sub-folders hold connector plugins (<dir>/index.ts exporting `plugin`); defaults to the installation's connectors/ folder.",
  },
  'plugin.path': {
    type: 'list',
    default: [],
    importance: 'medium',
    group: 'Plugins',
    documentation: 'Extra plugin modules (files exporting `plugin`, or folders with index.ts/index.js).',
  },
  'config.providers': {
    type: 'list',
    default: [...configProviderNames],
    allowed: configProviderNames,
    importance: 'medium',
    group: 'Secrets',
    documentation: 'Config providers connectors may reference: env (${env:VAR}), file (${file:path:key}).',
  },
  'config.providers.file.param.allowed.paths': {
    type: 'list',
    default: null,
    importance: 'high',
    group: 'Secrets',
    documentation:
      'Absolute directories (or files) connector configs may read with ${file:path:key} (KIP-993); a path outside them is refused without saying whether it exists. Unset: any file the worker can read, as in Kafka (the worker warns at start). The quick start and the deploy/ configs set it.',
    validator: (v) => {
      const relative = Array.isArray(v) ? v.filter((p) => !isAbsolute(p)) : [];
      return relative.length > 0
        ? `Invalid value ${relative.join(',')} for configuration config.providers.file.param.allowed.paths: paths must be absolute, e.g. /etc/siphon/secrets`
        : undefined;
    },
  },
  'config.providers.env.param.allowlist.pattern': {
    type: 'string',
    default: '.*',
    importance: 'high',
    group: 'Secrets',
    documentation:
      "Regular expression the whole name of a variable read with ${env:VAR} must match; other names are refused without saying whether they are set. The default `.*` (Kafka's) allows every variable of the worker (the worker warns at start); the quick start and the deploy/ configs allow only the credentials they pass.",
    validator: (v) => {
      try {
        new RegExp(String(v));
        return undefined;
      } catch (error) {
        return `Invalid value ${String(v)} for configuration config.providers.env.param.allowlist.pattern: ${(error as Error).message}`;
      }
    },
  },
  'events.buffer.size': {
    type: 'int',
    default: 10000,
    importance: 'medium',
    group: 'Events and console',
    documentation:
      'Events GET /events keeps for clients that reconnect with Last-Event-ID; older ones are announced as a gap.',
    validator: atLeast(1),
  },
  'events.lag.interval.ms': {
    type: 'long',
    default: 5000,
    importance: 'medium',
    group: 'Events and console',
    documentation: 'How often a lag event (seconds, bytes, records per second) is published per connector.',
    validator: atLeast(100),
  },
  'events.lag.alert.seconds': {
    type: 'double',
    default: 300,
    importance: 'medium',
    group: 'Events and console',
    documentation:
      'An alert event is published when a connector lags more than this many seconds (and when it recovers).',
  },
  'retention.check.interval.ms': {
    type: 'long',
    default: 10000,
    importance: 'medium',
    group: 'Events and console',
    documentation:
      "How often the worker measures, from the database, what each source server retains for its connector (replication slot WAL, binlog files), whatever the connector's state.",
    validator: atLeast(100),
  },
  'log.level': {
    type: 'string',
    default: 'info',
    allowed: ['debug', 'info', 'warn', 'error'],
    importance: 'medium',
    group: 'Logging',
    documentation: 'Lowest level written.',
  },
  'log.format': {
    type: 'string',
    default: 'text',
    allowed: ['text', 'json'],
    importance: 'medium',
    group: 'Logging',
    documentation: 'text: readable lines; json: one JSON object per line.',
  },
} as const satisfies KeySpecs;

const workerConfig = defineConfig(workerKeySpecs);

export const workerConfigDef: ConfigDef = workerConfig.def;

/** The worker's options, typed by their definitions. */
export type WorkerOptions = ConfigOptions<typeof workerKeySpecs>;
/** Worker keys whose value has type T, for the typed accessors. */
export type WorkerKeyOf<T> = {
  [K in keyof WorkerOptions]: WorkerOptions[K] extends T ? K : never;
}[keyof WorkerOptions];

/** key.converter / value.converter: a converter short name or Kafka Connect class name. */
export function knownConverter(name: string) {
  return (value: unknown) =>
    converterClassNames.some((c) => c.toLowerCase() === String(value).trim().toLowerCase())
      ? undefined
      : `Invalid value ${String(value)} for configuration ${name}: use one of ${converterClassNames.join(', ')}`;
}

/** What connector configs may reference through config providers. */
export function providerPolicyOf(config: WorkerConfig): ConfigProviderPolicy {
  const { options } = config;
  return {
    enabled: options['config.providers'],
    allowedPaths: options['config.providers.file.param.allowed.paths'],
    envAllowlist: new RegExp(`^(?:${options['config.providers.env.param.allowlist.pattern']})$`),
  };
}

/** What a worker with Kafka's permissive provider defaults lets any REST client read. */
export function openProviderWarnings(config: WorkerConfig): string[] {
  const policy = providerPolicyOf(config);
  const warnings: string[] = [];
  if (policy.enabled.includes('env') && policy.envAllowlist?.test('SIPHON_REST_AUTH_BEARER_TOKEN')) {
    warnings.push(
      'connector configs may read every environment variable of the worker, its own SIPHON_* settings included (${env:...}); set config.providers.env.param.allowlist.pattern to the variables they need',
    );
  }
  if (policy.enabled.includes('file') && policy.allowedPaths === null) {
    warnings.push(
      'connector configs may read every file the worker can read (${file:...}); set config.providers.file.param.allowed.paths to the directories they need',
    );
  }
  return warnings;
}

/** `bootstrap.servers` → `SIPHON_BOOTSTRAP_SERVERS`. */
export function environmentName(configName: string): string {
  return 'SIPHON_' + configName.toUpperCase().replace(/[.-]/g, '_');
}

/** A worker config that cannot work; `key` is the first bad key, or the unreadable file. */
export class WorkerConfigError extends ConfigError {
  override readonly name = 'WorkerConfigError';
}

function flattenYaml(value: unknown, prefix: string, out: Record<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenYaml(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    out[prefix] = value.map(String).join(',');
  } else if (value !== null && value !== undefined) {
    out[prefix] = String(value);
  }
}

export function readWorkerConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WorkerConfigError(
      path,
      `Cannot read worker config file "${path}": ${(error as Error).message}`,
    );
  }
  const extension = extname(path).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') {
    const flat: Record<string, string> = {};
    flattenYaml(parseYaml(text), '', flat);
    return flat;
  }
  return parseProperties(text);
}

export interface WorkerConfig {
  /** Every worker key with its type, defaults applied. */
  readonly options: WorkerOptions;
  readonly values: ParsedConfig;
  /** The resolved raw strings, for settings passed through (converter prefixes). */
  readonly raw: Readonly<Record<string, string>>;
  string(name: WorkerKeyOf<string>): string;
  optionalString(name: WorkerKeyOf<string | null>): string | null;
  number(name: WorkerKeyOf<number>): number;
  list(name: WorkerKeyOf<readonly string[]>): readonly string[];
}

/**
 * File, then `SIPHON_*` environment variables (they win), then explicit overrides
 * (tests). Config provider references are resolved and their values masked in logs.
 */
export function loadWorkerConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, string> } = {},
): WorkerConfig {
  const raw: Record<string, string> = options.file ? readWorkerConfigFile(options.file) : {};
  const env = options.env ?? process.env;
  for (const k of workerConfigDef) {
    const fromEnv = env[environmentName(k.name)];
    if (fromEnv !== undefined) raw[k.name] = fromEnv;
  }
  Object.assign(raw, options.overrides ?? {});
  const resolved = resolveConfigProviders(raw);
  resolved.secrets.forEach(registerSecret);
  const { values, errors } = parseConfig(workerConfigDef, resolved.config);
  const [firstBad] = errors.keys();
  if (firstBad !== undefined) {
    const safe = withoutResolvedValues(errors, raw, workerConfigDef, resolved.secrets);
    throw new WorkerConfigError(
      firstBad,
      `Invalid worker configuration:\n  ${describeErrors(safe).join('\n  ')}\n` +
        `Fix the file or the SIPHON_* environment variable (e.g. ${environmentName('rest.port')}).`,
    );
  }
  for (const k of workerConfigDef) {
    if (k.type === 'password') registerSecret(resolved.config[k.name]);
  }
  const workerOptions = workerConfig.read(values);
  return {
    options: workerOptions,
    values,
    raw: resolved.config,
    string: (name) => workerOptions[name],
    optionalString: (name) => workerOptions[name],
    number: (name) => workerOptions[name],
    list: (name) => workerOptions[name],
  };
}
