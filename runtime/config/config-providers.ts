import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '../plugin/index.js';
import { parseProperties } from './properties-file.js';

/**
 * Kafka Connect config providers: `${env:VAR}` and `${file:/path/to/file.properties:key}`.
 * References are stored as written and resolved only when a task starts (or a config is
 * validated); resolved values are returned as secrets so the logger masks them. The
 * worker's allow-lists (Kafka's `allowed.paths`, KIP-993, and `allowlist.pattern`) limit
 * what a REST client may reference; a refused reference says nothing about the file or
 * variable behind it.
 */
export type ConfigProviderName = 'env' | 'file';
export const configProviderNames: readonly ConfigProviderName[] = ['env', 'file'];

const reference = /\$\{([^}:]+):(?:([^}]*):)?([^}]*)\}/g;

/** A config provider reference that cannot be resolved; `key` is the config key holding it. */
export class ConfigProviderError extends ConfigError {
  override readonly name = 'ConfigProviderError';

  constructor(key: string, problem: string) {
    super(key, `${key}: ${problem}`);
  }
}

/** What connector configs may reference; the worker config's own references are unrestricted. */
export interface ConfigProviderPolicy {
  readonly enabled: readonly string[];
  /** Directories or files `${file:…}` may read (normalised, absolute); null: any. */
  readonly allowedPaths: readonly string[] | null;
  /** Environment variable names `${env:…}` may read (the whole name must match); null: any. */
  readonly envAllowlist: RegExp | null;
}

export const unrestrictedProviders: ConfigProviderPolicy = {
  enabled: configProviderNames,
  allowedPaths: null,
  envAllowlist: null,
};

export interface ResolvedConfig {
  readonly config: Record<string, string>;
  /** Every value a provider returned; never to be printed. */
  readonly secrets: readonly string[];
}

export function hasProviderReference(value: string): boolean {
  reference.lastIndex = 0;
  return reference.test(value);
}

/** True when `path` (after normalising `..`) is one of `allowed` or inside one of them. */
function pathAllowed(path: string, allowed: readonly string[]): boolean {
  const target = resolve(path);
  return allowed.some((entry) => {
    const inside = relative(resolve(entry), target);
    return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
  });
}

function lookupEnv(name: string, policy: ConfigProviderPolicy, configKey: string): string {
  if (policy.envAllowlist && !policy.envAllowlist.test(name)) {
    throw new ConfigProviderError(
      configKey,
      `\${env:${name}} is not allowed by the worker's config.providers.env.param.allowlist.pattern; reference an allowed variable or ask the worker's operator to allow it`,
    );
  }
  const value = process.env[name];
  if (value === undefined) {
    throw new ConfigProviderError(
      configKey,
      `environment variable "${name}" referenced as \${env:${name}} is not set in the worker's environment`,
    );
  }
  return value;
}

function lookupFile(path: string, key: string, policy: ConfigProviderPolicy, configKey: string): string {
  // Checked before touching the file, so a refusal reveals nothing about it.
  if (policy.allowedPaths && !pathAllowed(path, policy.allowedPaths)) {
    throw new ConfigProviderError(
      configKey,
      `the file of \${file:${path}:...} is outside the worker's config.providers.file.param.allowed.paths; use a file in an allowed directory`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigProviderError(
      configKey,
      `cannot read "${path}" for \${file:...}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const value = parseProperties(text)[key];
  if (value === undefined) {
    throw new ConfigProviderError(configKey, `file "${path}" has no key "${key}"`);
  }
  return value;
}

function lookup(
  provider: string,
  path: string | undefined,
  key: string,
  policy: ConfigProviderPolicy,
  configKey: string,
): string {
  if (!policy.enabled.includes(provider)) {
    throw new ConfigProviderError(
      configKey,
      `config provider "${provider}" is not enabled; enabled providers: ${policy.enabled.join(', ') || 'none'} (set config.providers in the worker config)`,
    );
  }
  if (provider === 'env') return lookupEnv(path ? `${path}:${key}` : key, policy, configKey);
  if (!path) {
    throw new ConfigProviderError(
      configKey,
      `\${file:...} needs a path and a key, e.g. \${file:/etc/siphon/secrets.properties:password}`,
    );
  }
  return lookupFile(path, key, policy, configKey);
}

/** Replaces every provider reference; throws ConfigProviderError naming the config key. */
export function resolveConfigProviders(
  raw: Readonly<Record<string, string>>,
  policy: ConfigProviderPolicy = unrestrictedProviders,
): ResolvedConfig {
  const config: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [configKey, value] of Object.entries(raw)) {
    config[configKey] = value.replace(
      reference,
      (_match, provider: string, path: string | undefined, key: string) => {
        const resolved = lookup(provider, path, key, policy, configKey);
        secrets.push(resolved);
        return resolved;
      },
    );
  }
  return { config, secrets };
}
