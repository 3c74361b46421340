import { readFileSync } from 'node:fs';
import { parseProperties } from './properties-file.js';

/**
 * Kafka Connect config providers: `${env:VAR}` and `${file:/path/to/file.properties:key}`.
 * References are stored as written and resolved only when a task starts (or a config is
 * validated); resolved values are returned as secrets so the logger masks them.
 */
export type ConfigProviderName = 'env' | 'file';
export const configProviderNames: readonly ConfigProviderName[] = ['env', 'file'];

const reference = /\$\{([^}:]+):(?:([^}]*):)?([^}]*)\}/g;

export class ConfigProviderError extends Error {
  override readonly name = 'ConfigProviderError';
}

export interface ResolvedConfig {
  readonly config: Record<string, string>;
  /** Every value a provider returned; never to be printed. */
  readonly secrets: readonly string[];
}

export function hasProviderReference(value: string): boolean {
  reference.lastIndex = 0;
  return reference.test(value);
}

function lookup(
  provider: string,
  path: string | undefined,
  key: string,
  enabled: readonly string[],
  configKey: string,
): string {
  if (!enabled.includes(provider)) {
    throw new ConfigProviderError(
      `${configKey}: config provider "${provider}" is not enabled; enabled providers: ${enabled.join(', ') || 'none'} (set config.providers in the worker config)`,
    );
  }
  if (provider === 'env') {
    const name = path ? `${path}:${key}` : key;
    const value = process.env[name];
    if (value === undefined) {
      throw new ConfigProviderError(
        `${configKey}: environment variable "${name}" referenced as \${env:${name}} is not set in the worker's environment`,
      );
    }
    return value;
  }
  if (!path) {
    throw new ConfigProviderError(
      `${configKey}: \${file:...} needs a path and a key, e.g. \${file:/etc/siphon/secrets.properties:password}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigProviderError(
      `${configKey}: cannot read "${path}" for \${file:...}: ${(error as Error).message}`,
    );
  }
  const value = parseProperties(text)[key];
  if (value === undefined) {
    throw new ConfigProviderError(`${configKey}: file "${path}" has no key "${key}"`);
  }
  return value;
}

/** Replaces every provider reference; throws ConfigProviderError naming the config key. */
export function resolveConfigProviders(
  raw: Readonly<Record<string, string>>,
  enabled: readonly string[] = configProviderNames,
): ResolvedConfig {
  const config: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [configKey, value] of Object.entries(raw)) {
    config[configKey] = value.replace(
      reference,
      (_match, provider: string, path: string | undefined, key: string) => {
        const resolved = lookup(provider, path, key, enabled, configKey);
        secrets.push(resolved);
        return resolved;
      },
    );
  }
  return { config, secrets };
}
