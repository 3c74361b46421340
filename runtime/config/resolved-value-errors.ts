import { maskValues } from '../logging/logger.js';
import type { ConfigDef, ConfigKey } from '../plugin/index.js';
import { rawValueOf, type RawConfig } from './config-parser.js';
import { hasProviderReference } from './config-providers.js';

/**
 * Config problems made safe to show when values came from config providers. A check may
 * quote the value it refused (trimmed, lower-cased, one line of a file …), so a key whose
 * value holds a reference gets a message that names the key, its reference and what was
 * expected, never the value. Every other message has the resolved values and URL
 * passwords masked, since cross-key checks may quote other keys.
 */
function expectation(key: ConfigKey | undefined): string {
  if (key?.allowed) return `one of ${key.allowed.join(', ')}`;
  switch (key?.type) {
    case 'int':
    case 'long':
      return 'an integer';
    case 'double':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'list':
      return 'a comma-separated list';
    default:
      return 'a value this key accepts';
  }
}

function referenceProblem(name: string, written: string, key: ConfigKey | undefined): string {
  return `Invalid value for configuration ${name}: the config provider reference ${written} resolved to an invalid value (expected ${expectation(key)}); the resolved value is not shown — fix the referenced variable or file`;
}

export function withoutResolvedValues(
  errors: ReadonlyMap<string, readonly string[]>,
  written: RawConfig,
  def: ConfigDef,
  secrets: readonly string[],
): Map<string, string[]> {
  const safe = new Map<string, string[]>();
  for (const [name, messages] of errors) {
    const key = def.find((k) => k.name === name);
    const raw = key ? rawValueOf(key, written) : written[name];
    if (raw !== undefined && hasProviderReference(raw)) {
      safe.set(name, [referenceProblem(name, raw, key)]);
    } else {
      safe.set(
        name,
        messages.map((m) => maskValues(m, secrets)),
      );
    }
  }
  return safe;
}
