import { formatConfigValue, parseConfig, rawValueOf, type RawConfig } from '../config/config-parser.js';
import {
  ConfigProviderError,
  hasProviderReference,
  resolveConfigProviders,
  type ConfigProviderPolicy,
} from '../config/config-providers.js';
import { withoutResolvedValues } from '../config/resolved-value-errors.js';
import { maskUrlCredentials, urlPasswords } from '../config/url-credentials.js';
import { HIDDEN, maskValues } from '../logging/logger.js';
import type { ConfigDef, ConnectorPlugin, ParsedConfig } from '../plugin/index.js';
import { validateTransformConfig } from '../transforms/index.js';
import { connectorConfigDef, passwordKeys, sinkRuntimeConfig } from './connector-config.js';
import type { PluginCatalog } from './plugin-catalog.js';

/**
 * Validates a connector config the way `POST /connectors` and
 * `PUT /connector-plugins/{p}/config/validate` need it: every key's own check, the
 * transforms, the plugin's cross-key checks, sink topic rules. Config provider references
 * are resolved for checking only; the stored config keeps them, and no message shows
 * what they resolved to (nor a password or a URL's password).
 */
export interface ConnectorValidation {
  readonly plugin: ConnectorPlugin | undefined;
  readonly def: ConfigDef;
  readonly values: ParsedConfig;
  readonly errors: ReadonlyMap<string, readonly string[]>;
  readonly errorCount: number;
}

export async function validateConnector(
  catalog: PluginCatalog,
  raw: RawConfig,
  worker: { readonly providers: ConfigProviderPolicy; readonly exactlyOnceSource: boolean },
): Promise<ConnectorValidation> {
  const className = raw['connector.class'];
  const plugin = className ? catalog.resolve(className) : undefined;
  const def = connectorConfigDef(plugin);
  const errors = new Map<string, string[]>();
  const add = (name: string, message: string) => errors.set(name, [...(errors.get(name) ?? []), message]);

  const resolvedRaw: Record<string, string> = {};
  const providerErrors = new Map<string, string>();
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    try {
      const resolved = resolveConfigProviders({ [key]: value }, worker.providers);
      Object.assign(resolvedRaw, resolved.config);
      secrets.push(...resolved.secrets);
    } catch (error) {
      if (!(error instanceof ConfigProviderError)) throw error;
      providerErrors.set(key, error.message);
      resolvedRaw[key] = value;
    }
  }
  for (const key of passwordKeys(def)) if (raw[key] !== undefined) secrets.push(raw[key]);
  for (const value of Object.values(resolvedRaw)) secrets.push(...urlPasswords(value));
  const parsed = parseConfig(def, resolvedRaw);
  // Per-key checks quote the value they refused: none of them may see a resolved one.
  const keyProblems = new Map(parsed.errors);
  for (const issue of validateTransformConfig(resolvedRaw)) {
    keyProblems.set(issue.name, [...(keyProblems.get(issue.name) ?? []), issue.message]);
  }
  for (const [name, messages] of withoutResolvedValues(keyProblems, raw, def, secrets)) {
    if (!providerErrors.has(name)) for (const m of messages) add(name, m);
  }
  for (const [name, message] of providerErrors) add(name, message);
  if (className && !plugin) {
    add(
      'connector.class',
      `Failed to find any class that implements Connector and which name matches ${className}; installed plugins: ${catalog.describeInstalled()}`,
    );
  }
  if (plugin?.type === 'sink') {
    // Keys that failed their own check read as their default here.
    const sink = sinkRuntimeConfig.read(parsed.values);
    const hasTopics = sink.topics.length > 0;
    const hasRegex = sink['topics.regex'] !== null;
    if (hasTopics === hasRegex) {
      add('topics', 'Must configure one of topics or topics.regex (and not both)');
    }
    const dlq = sink['errors.deadletterqueue.topic.name'];
    if (dlq !== '' && sink.topics.includes(dlq)) {
      add(
        'errors.deadletterqueue.topic.name',
        maskValues(`The dead-letter topic "${dlq}" may not be one of the consumed topics`, secrets),
      );
    }
  }
  if (
    plugin?.type === 'source' &&
    parsed.values['exactly.once.support'] === 'required' &&
    !worker.exactlyOnceSource
  ) {
    add(
      'exactly.once.support',
      'exactly.once.support=required needs a worker with exactly.once.source.support=enabled; enable it in the worker config or use requested',
    );
  }
  if (plugin?.validate && errors.size === 0) {
    // Cross-key checks (connecting to the database …) may quote any key's value.
    for (const issue of await plugin.validate(parsed.values))
      add(issue.name, maskValues(issue.message, secrets));
  }
  let errorCount = 0;
  for (const messages of errors.values()) errorCount += messages.length;
  return { plugin, def, values: parsed.values, errors, errorCount };
}

/** A stored or submitted config for display: password values hidden, provider references shown. */
export function maskConfig(def: ConfigDef, config: RawConfig): Record<string, string> {
  const hidden = passwordKeys(def);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = hidden.has(key) && !hasProviderReference(value) ? HIDDEN : maskUrlCredentials(value);
  }
  return out;
}

const connectType = (type: string) => type.toUpperCase();

/** Kafka Connect's ConfigKeyInfo: one key's definition (`GET /connector-plugins/{p}/config`). */
export function configKeyInfo(key: ConfigDef[number], order: number) {
  return {
    name: key.name,
    type: connectType(key.type),
    required: key.default === undefined,
    default_value: key.default === undefined ? null : formatConfigValue(key.default),
    importance: key.importance.toUpperCase(),
    documentation: key.documentation,
    group: key.group,
    width: 'NONE',
    display_name: key.name,
    dependents: [...(key.dependents ?? [])],
    order: order + 1,
  };
}

/** Kafka Connect's ConfigInfos body for the validate endpoint. */
export function validateResponse(validation: ConnectorValidation, raw: RawConfig, className: string) {
  const hidden = passwordKeys(validation.def);
  const groups: string[] = [];
  const configs = validation.def.map((key, order) => {
    if (!groups.includes(key.group)) groups.push(key.group);
    const rawValue = rawValueOf(key, raw);
    const shown =
      rawValue === undefined
        ? formatConfigValue(validation.values[key.name])
        : hidden.has(key.name) && !hasProviderReference(rawValue)
          ? HIDDEN
          : maskUrlCredentials(rawValue);
    return {
      definition: configKeyInfo(key, order),
      value: {
        name: key.name,
        value: shown,
        recommended_values: [...(key.allowed ?? [])],
        errors: [...(validation.errors.get(key.name) ?? [])],
        visible: true,
      },
    };
  });
  // Problems on keys outside the definition (transforms, providers on unknown keys).
  for (const [name, errors] of validation.errors) {
    if (validation.def.some((k) => k.name === name)) continue;
    configs.push({
      definition: {
        name,
        type: 'STRING',
        required: false,
        default_value: null,
        importance: 'LOW',
        documentation: '',
        group: 'Other',
        width: 'NONE',
        display_name: name,
        dependents: [],
        order: configs.length + 1,
      },
      value: {
        name,
        value: raw[name] === undefined ? null : maskUrlCredentials(raw[name]),
        recommended_values: [],
        errors: [...errors],
        visible: true,
      },
    });
  }
  return { name: className, error_count: validation.errorCount, groups, configs };
}
