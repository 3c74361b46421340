import { readFileSync } from 'node:fs';
import { extname, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ConfigDef, ConfigKey, ParsedConfig } from '../plugin/index.js';
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

const key = (k: Omit<ConfigKey, 'importance'> & { importance?: ConfigKey['importance'] }): ConfigKey => ({
  importance: 'medium',
  ...k,
});

export const workerConfigDef: ConfigDef = [
  key({
    name: 'bootstrap.servers',
    type: 'list',
    default: ['127.0.0.1:9092'],
    importance: 'high',
    group: 'Kafka',
    documentation: 'Kafka brokers to connect to, host:port comma-separated.',
  }),
  key({
    name: 'client.id',
    type: 'string',
    default: 'siphon',
    group: 'Kafka',
    documentation: 'Prefix of the Kafka client ids the worker uses.',
  }),
  key({
    name: 'group.id',
    type: 'string',
    default: 'siphon',
    importance: 'high',
    group: 'Kafka',
    documentation:
      'The worker group. Workers with different group ids are independent and need their own store topics; two live workers never share one group id.',
  }),
  key({
    name: 'security.protocol',
    type: 'string',
    default: 'PLAINTEXT',
    allowed: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    group: 'Kafka security',
    documentation: 'How the worker talks to Kafka.',
  }),
  key({
    name: 'sasl.mechanism',
    type: 'string',
    default: 'PLAIN',
    allowed: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    group: 'Kafka security',
    documentation: 'SASL mechanism with SASL_PLAINTEXT or SASL_SSL.',
  }),
  key({
    name: 'sasl.username',
    type: 'string',
    default: null,
    group: 'Kafka security',
    documentation: 'SASL user name.',
  }),
  key({
    name: 'sasl.password',
    type: 'password',
    default: null,
    group: 'Kafka security',
    documentation: 'SASL password (use ${env:VAR} or ${file:path:key}).',
  }),
  key({
    name: 'ssl.ca.location',
    type: 'string',
    default: null,
    group: 'Kafka security',
    documentation: "PEM file with the CA certificates that sign the brokers' certificates.",
  }),
  key({
    name: 'ssl.certificate.location',
    type: 'string',
    default: null,
    group: 'Kafka security',
    documentation: 'PEM client certificate for mutual TLS.',
  }),
  key({
    name: 'ssl.key.location',
    type: 'string',
    default: null,
    group: 'Kafka security',
    documentation: 'PEM private key of the client certificate.',
  }),
  key({
    name: 'ssl.key.password',
    type: 'password',
    default: null,
    group: 'Kafka security',
    documentation: 'Passphrase of ssl.key.location.',
  }),
  key({
    name: 'rest.host',
    type: 'string',
    default: '127.0.0.1',
    importance: 'high',
    group: 'REST',
    documentation: 'Interface the REST API listens on.',
  }),
  key({
    name: 'rest.port',
    type: 'int',
    default: 8083,
    importance: 'high',
    group: 'REST',
    documentation: 'Port of the REST API; 0 picks a free port.',
    validator: (v) =>
      Number(v) < 0 || Number(v) > 65535
        ? `Invalid value ${String(v)} for configuration rest.port: must be 0-65535`
        : undefined,
  }),
  key({
    name: 'rest.advertised.host.name',
    type: 'string',
    default: null,
    group: 'REST',
    documentation: 'Host name in worker ids (status `worker_id`); defaults to rest.host.',
  }),
  key({
    name: 'rest.auth.bearer.token',
    type: 'password',
    default: null,
    group: 'REST',
    documentation: 'When set, every request except GET /health needs `Authorization: Bearer <token>`.',
  }),
  key({
    name: 'rest.auth.basic.username',
    type: 'string',
    default: null,
    group: 'REST',
    documentation: 'When set with rest.auth.basic.password, requests need HTTP basic authentication.',
  }),
  key({
    name: 'rest.auth.basic.password',
    type: 'password',
    default: null,
    group: 'REST',
    documentation: 'Password for rest.auth.basic.username.',
  }),
  key({
    name: 'rest.ssl.certificate.location',
    type: 'string',
    default: null,
    group: 'REST',
    documentation: 'PEM certificate; with rest.ssl.key.location the REST API serves HTTPS.',
  }),
  key({
    name: 'rest.ssl.key.location',
    type: 'string',
    default: null,
    group: 'REST',
    documentation: 'PEM private key for rest.ssl.certificate.location.',
  }),
  key({
    name: 'config.storage.topic',
    type: 'string',
    default: 'siphon-configs',
    importance: 'high',
    group: 'Stores',
    documentation: 'Compacted topic with connector configs and target states.',
  }),
  key({
    name: 'offset.storage.topic',
    type: 'string',
    default: 'siphon-offsets',
    importance: 'high',
    group: 'Stores',
    documentation: "Compacted topic with source offsets in Kafka Connect's layout.",
  }),
  key({
    name: 'status.storage.topic',
    type: 'string',
    default: 'siphon-status',
    importance: 'high',
    group: 'Stores',
    documentation: 'Compacted topic with connector and task statuses.',
  }),
  key({
    name: 'config.storage.replication.factor',
    type: 'int',
    default: -1,
    group: 'Stores',
    documentation: 'Replication factor of the configs topic; -1 uses the broker default.',
  }),
  key({
    name: 'offset.storage.replication.factor',
    type: 'int',
    default: -1,
    group: 'Stores',
    documentation: 'Replication factor of the offsets topic; -1 uses the broker default.',
  }),
  key({
    name: 'status.storage.replication.factor',
    type: 'int',
    default: -1,
    group: 'Stores',
    documentation: 'Replication factor of the status topic; -1 uses the broker default.',
  }),
  key({
    name: 'offset.storage.partitions',
    type: 'int',
    default: 25,
    group: 'Stores',
    documentation: 'Partitions of the offsets topic when the worker creates it.',
  }),
  key({
    name: 'status.storage.partitions',
    type: 'int',
    default: 5,
    group: 'Stores',
    documentation: 'Partitions of the status topic when the worker creates it.',
  }),
  key({
    name: 'offset.flush.interval.ms',
    type: 'long',
    default: 60000,
    group: 'Tasks',
    documentation: 'How often source offsets are committed (also on stop).',
  }),
  key({
    name: 'task.shutdown.graceful.timeout.ms',
    type: 'long',
    default: 5000,
    group: 'Tasks',
    documentation: 'How long stopping tasks may take on shutdown before the worker exits anyway.',
  }),
  key({
    name: 'producer.compression.type',
    type: 'string',
    default: 'none',
    allowed: ['none', 'gzip'],
    group: 'Tasks',
    documentation:
      "Compression of the records source tasks produce: none or gzip (lz4, snappy and zstd need codecs that are not available as maintained pure JavaScript packages). Compressed, a record may be larger than the topic's max.message.bytes before compression.",
  }),
  key({
    name: 'topic.creation.enable',
    type: 'boolean',
    default: true,
    group: 'Tasks',
    documentation:
      'Whether source connectors with topic.creation.default.* settings have their topics created by the worker (KIP-158).',
  }),
  key({
    name: 'exactly.once.source.support',
    type: 'string',
    default: 'disabled',
    allowed: ['disabled', 'enabled'],
    group: 'Tasks',
    documentation:
      'enabled: source connectors may set exactly.once.support=required to write records and offsets in one Kafka transaction.',
  }),
  key({
    name: 'key.converter',
    type: 'string',
    default: 'avro',
    importance: 'high',
    group: 'Converters',
    documentation:
      'Default key converter (avro, json, string or a Kafka Connect class name); connectors override it.',
    validator: knownConverter('key.converter'),
  }),
  key({
    name: 'value.converter',
    type: 'string',
    default: 'avro',
    importance: 'high',
    group: 'Converters',
    documentation: 'Default value converter; connectors override it.',
    validator: knownConverter('value.converter'),
  }),
  key({
    name: 'schema.registry.url',
    type: 'string',
    default: null,
    group: 'Schema registry',
    documentation: 'An external schema registry; when unset the worker runs the embedded one.',
  }),
  key({
    name: 'schema.registry.embedded',
    type: 'boolean',
    default: true,
    group: 'Schema registry',
    documentation: 'Run the embedded schema registry when schema.registry.url is unset.',
  }),
  key({
    name: 'schema.registry.host',
    type: 'string',
    default: '127.0.0.1',
    group: 'Schema registry',
    documentation: 'Interface of the embedded schema registry.',
  }),
  key({
    name: 'schema.registry.port',
    type: 'int',
    default: 8081,
    group: 'Schema registry',
    documentation: 'Port of the embedded schema registry; 0 picks a free port.',
  }),
  key({
    name: 'schema.registry.topic',
    type: 'string',
    default: '_schemas',
    group: 'Schema registry',
    documentation: 'Compacted topic of the embedded schema registry.',
  }),
  key({
    name: 'connectors.dir',
    type: 'string',
    default: null,
    group: 'Plugins',
    documentation:
      "Directory whose sub-folders hold connector plugins (<dir>/index.ts exporting `plugin`); defaults to the installation's connectors/ folder.",
  }),
  key({
    name: 'plugin.path',
    type: 'list',
    default: [],
    group: 'Plugins',
    documentation: 'Extra plugin modules (files exporting `plugin`, or folders with index.ts/index.js).',
  }),
  key({
    name: 'config.providers',
    type: 'list',
    default: [...configProviderNames],
    allowed: configProviderNames,
    group: 'Secrets',
    documentation: 'Config providers connectors may reference: env (${env:VAR}), file (${file:path:key}).',
  }),
  key({
    name: 'config.providers.file.param.allowed.paths',
    type: 'list',
    default: null,
    importance: 'high',
    group: 'Secrets',
    documentation:
      'Absolute directories (or files) connector configs may read with ${file:path:key} (KIP-993); a path outside them is refused without saying whether it exists. Unset: any file the worker can read, as in Kafka (the worker warns at start). The quick start and the deploy/ configs set it.',
    validator: (v) => {
      const relative = (v as string[]).filter((p) => !isAbsolute(p));
      return relative.length > 0
        ? `Invalid value ${relative.join(',')} for configuration config.providers.file.param.allowed.paths: paths must be absolute, e.g. /etc/siphon/secrets`
        : undefined;
    },
  }),
  key({
    name: 'config.providers.env.param.allowlist.pattern',
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
  }),
  key({
    name: 'events.buffer.size',
    type: 'int',
    default: 10000,
    group: 'Events and console',
    documentation:
      'Events GET /events keeps for clients that reconnect with Last-Event-ID; older ones are announced as a gap.',
    validator: (v) => (typeof v === 'number' && v >= 1 ? undefined : `must be at least 1, got ${String(v)}`),
  }),
  key({
    name: 'events.lag.interval.ms',
    type: 'long',
    default: 5000,
    group: 'Events and console',
    documentation: 'How often a lag event (seconds, bytes, records per second) is published per connector.',
    validator: (v) =>
      typeof v === 'number' && v >= 100 ? undefined : `must be at least 100 ms, got ${String(v)}`,
  }),
  key({
    name: 'events.lag.alert.seconds',
    type: 'double',
    default: 300,
    group: 'Events and console',
    documentation:
      'An alert event is published when a connector lags more than this many seconds (and when it recovers).',
  }),
  key({
    name: 'retention.check.interval.ms',
    type: 'long',
    default: 10000,
    group: 'Events and console',
    documentation:
      "How often the worker measures, from the database, what each source server retains for its connector (replication slot WAL, binlog files), whatever the connector's state.",
    validator: (v) =>
      typeof v === 'number' && v >= 100 ? undefined : `must be at least 100 ms, got ${String(v)}`,
  }),
  key({
    name: 'log.level',
    type: 'string',
    default: 'info',
    allowed: ['debug', 'info', 'warn', 'error'],
    group: 'Logging',
    documentation: 'Lowest level written.',
  }),
  key({
    name: 'log.format',
    type: 'string',
    default: 'text',
    allowed: ['text', 'json'],
    group: 'Logging',
    documentation: 'text: readable lines; json: one JSON object per line.',
  }),
];

/** key.converter / value.converter: a converter short name or Kafka Connect class name. */
export function knownConverter(name: string) {
  return (value: unknown) =>
    converterClassNames.some((c) => c.toLowerCase() === String(value).trim().toLowerCase())
      ? undefined
      : `Invalid value ${String(value)} for configuration ${name}: use one of ${converterClassNames.join(', ')}`;
}

/** What connector configs may reference through config providers. */
export function providerPolicyOf(config: WorkerConfig): ConfigProviderPolicy {
  const paths = config.values['config.providers.file.param.allowed.paths'];
  return {
    enabled: config.list('config.providers'),
    allowedPaths: Array.isArray(paths) ? paths : null,
    envAllowlist: new RegExp(`^(?:${config.string('config.providers.env.param.allowlist.pattern')})$`),
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

export class WorkerConfigError extends Error {
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
    throw new WorkerConfigError(`Cannot read worker config file "${path}": ${(error as Error).message}`);
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
  readonly values: ParsedConfig;
  /** The resolved raw strings, for settings passed through (converter prefixes). */
  readonly raw: Readonly<Record<string, string>>;
  string(name: string): string;
  optionalString(name: string): string | null;
  number(name: string): number;
  list(name: string): readonly string[];
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
  if (errors.size > 0) {
    const safe = withoutResolvedValues(errors, raw, workerConfigDef, resolved.secrets);
    throw new WorkerConfigError(
      `Invalid worker configuration:\n  ${describeErrors(safe).join('\n  ')}\n` +
        `Fix the file or the SIPHON_* environment variable (e.g. ${environmentName('rest.port')}).`,
    );
  }
  for (const k of workerConfigDef) {
    if (k.type === 'password') registerSecret(resolved.config[k.name]);
  }
  const get = (name: string) => {
    if (!(name in values)) throw new Error(`Unknown worker config key ${name}`);
    return values[name] ?? null;
  };
  return {
    values,
    raw: resolved.config,
    string: (name) => String(get(name)),
    optionalString: (name) => {
      const v = get(name);
      return v === null ? null : String(v);
    },
    number: (name) => Number(get(name)),
    list: (name) => {
      const v = get(name);
      return Array.isArray(v) ? v : [];
    },
  };
}
