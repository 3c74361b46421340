import type { ConfigDef, ConfigKey, ParsedConfig, ParsedConfigValue } from '../plugin/index.js';

/**
 * Turns raw string configs into typed values against a ConfigDef, collecting every
 * problem per key (Kafka Connect reports all failing fields at once, not the first).
 */
export interface ParseResult {
  readonly values: ParsedConfig;
  /** Problems per key name; a key with no entry is valid. */
  readonly errors: ReadonlyMap<string, readonly string[]>;
}

export type RawConfig = Readonly<Record<string, string>>;

/** The raw value for a key, found under its name or one of its aliases. */
export function rawValueOf(key: ConfigKey, raw: RawConfig): string | undefined {
  if (raw[key.name] !== undefined) return raw[key.name];
  for (const alias of key.aliases ?? []) {
    if (raw[alias] !== undefined) return raw[alias];
  }
  return undefined;
}

function parseTyped(key: ConfigKey, text: string): ParsedConfigValue | Error {
  const trimmed = text.trim();
  switch (key.type) {
    case 'int':
    case 'long': {
      const n = Number(trimmed);
      if (trimmed === '' || !Number.isSafeInteger(n)) {
        return new Error(`Invalid value "${text}" for configuration ${key.name}: expected an integer`);
      }
      if (key.type === 'int' && (n < -2147483648 || n > 2147483647)) {
        return new Error(`Invalid value "${text}" for configuration ${key.name}: out of range for int`);
      }
      return n;
    }
    case 'double': {
      const n = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(n)) {
        return new Error(`Invalid value "${text}" for configuration ${key.name}: expected a number`);
      }
      return n;
    }
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      return new Error(`Invalid value "${text}" for configuration ${key.name}: expected true or false`);
    }
    case 'list':
      return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
    case 'string':
    case 'password':
    case 'class':
      return text;
  }
}

function checkAllowed(key: ConfigKey, value: ParsedConfigValue): ParsedConfigValue | Error {
  if (!key.allowed || value === null) return value;
  const pick = (item: string): string | undefined =>
    key.allowed?.find((allowed) => allowed.toLowerCase() === item.toLowerCase());
  const items = Array.isArray(value) ? value : [String(value)];
  const normalised: string[] = [];
  for (const item of items) {
    const match = pick(item);
    if (match === undefined) {
      return new Error(
        `Invalid value "${item}" for configuration ${key.name}: must be one of ${key.allowed.join(', ')}`,
      );
    }
    normalised.push(match);
  }
  return Array.isArray(value) ? normalised : (normalised[0] ?? null);
}

export function parseConfig(def: ConfigDef, raw: RawConfig): ParseResult {
  const values: Record<string, ParsedConfigValue> = {};
  const errors = new Map<string, string[]>();
  const fail = (name: string, message: string): void => {
    errors.set(name, [...(errors.get(name) ?? []), message]);
  };
  for (const key of def) {
    const text = rawValueOf(key, raw);
    if (text === undefined) {
      if (key.default === undefined) {
        fail(key.name, `Missing required configuration "${key.name}" which has no default value.`);
        values[key.name] = null;
      } else {
        values[key.name] = key.default;
      }
      continue;
    }
    const typed = parseTyped(key, text);
    const checked = typed instanceof Error ? typed : checkAllowed(key, typed);
    if (checked instanceof Error) {
      fail(key.name, checked.message);
      values[key.name] = null;
    } else {
      values[key.name] = checked;
    }
  }
  for (const key of def) {
    const value = values[key.name] ?? null;
    if (!key.validator || errors.has(key.name) || value === null) continue;
    const message = key.validator(value, values);
    if (message) fail(key.name, message);
  }
  return { values, errors };
}

/** A typed value back in the string form Kafka Connect shows (lists comma-joined). */
export function formatConfigValue(value: ParsedConfigValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** All problems of a parse result as "key: message" lines, for a 400 body or a startup error. */
export function describeErrors(errors: ReadonlyMap<string, readonly string[]>): string[] {
  return [...errors.entries()].flatMap(([name, messages]) => messages.map((m) => `${name}: ${m}`));
}
