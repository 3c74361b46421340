import { describeErrors, parseConfig, type RawConfig } from '../config/config-parser.js';
import type { ConfigDef, ConfigKey, ConfigValidator, ParsedConfig, ParsedConfigValue } from './config-def.js';
import { ConfigError } from './errors.js';

/**
 * One definition per config key, from which everything else derives: the ConfigDef
 * (validation, the validate endpoint, REST, the generated reference) and the TYPE of the
 * parsed options, so readers use `options['snapshot.mode']` as a union of its allowed
 * values, not `values['snapshot.mode'] as SnapshotMode`. Defaults live here only.
 */

/**
 * A key's definition: a ConfigKey whose name is its property name in `defineConfig({...})`;
 * with `allowed`, the option's type is the union of the allowed values.
 */
export interface KeySpec extends Omit<ConfigKey, 'name' | 'default'> {
  /** Absent: the key is required. `null`: optional with no value. */
  readonly default?: string | number | boolean | readonly string[] | null;
}

export type KeySpecs = Readonly<Record<string, KeySpec>>;

type AllowedOf<K extends KeySpec> = K extends { readonly allowed: readonly (infer A extends string)[] }
  ? A
  : string;

type PresentValue<K extends KeySpec> = K['type'] extends 'int' | 'long' | 'double'
  ? number
  : K['type'] extends 'boolean'
    ? boolean
    : K['type'] extends 'list'
      ? readonly AllowedOf<K>[]
      : AllowedOf<K>;

/** A key without a value (default null) reads as null; every other key always has one. */
export type OptionValue<K extends KeySpec> = K extends { readonly default: null }
  ? PresentValue<K> | null
  : PresentValue<K>;

/** The typed options a definition parses to, one property per key name. */
export type ConfigOptions<S extends KeySpecs> = { readonly [N in keyof S]: OptionValue<S[N]> };

export interface DefinedConfig<S extends KeySpecs> {
  /** The keys in declaration order, for validation, REST and the reference. */
  readonly def: ConfigDef;
  readonly specs: S;
  /**
   * Parses raw strings; throws one ConfigError (keyed by the first bad key) whose message
   * lists every bad key with its value and the fix.
   */
  parse(raw: RawConfig, subject: string): ConfigOptions<S>;
  /**
   * The typed view of a config the runtime parsed already (a task's `context.config`):
   * keys left out get their default here, so no reader repeats one.
   */
  read(config: ParsedConfig): ConfigOptions<S>;
}

function configKeyOf(name: string, spec: KeySpec): ConfigKey {
  const { default: fallback, ...rest } = spec;
  if (fallback === undefined) return { name, ...rest };
  const copied = typeof fallback === 'object' && fallback !== null ? [...fallback] : fallback;
  return { name, ...rest, default: copied };
}

function typeMismatch(spec: ConfigKey, value: ParsedConfigValue): boolean {
  switch (spec.type) {
    case 'int':
    case 'long':
    case 'double':
      return typeof value !== 'number';
    case 'boolean':
      return typeof value !== 'boolean';
    case 'list':
      return !Array.isArray(value);
    case 'string':
    case 'password':
    case 'class':
      return typeof value !== 'string';
  }
}

/** The allowed spelling of `item` (enumerations compare case-insensitively, as Debezium's). */
function allowedSpelling(allowed: readonly string[], item: string): string | undefined {
  const lower = item.toLowerCase();
  return allowed.find((option) => option.toLowerCase() === lower);
}

/** `value` checked against its key: the value to use, or the problem as an Error. */
function checkedValue(key: ConfigKey, value: ParsedConfigValue): ParsedConfigValue | Error {
  if (value === null) return key.default === null ? null : new Error('missing, and it has no default value');
  if (typeMismatch(key, value)) return new Error(`expected a ${key.type}, got ${JSON.stringify(value)}`);
  const allowed = key.allowed;
  if (allowed === undefined) return value;
  const items = Array.isArray(value) ? value : [String(value)];
  const spelled: string[] = [];
  for (const item of items) {
    const match = allowedSpelling(allowed, item);
    if (match === undefined) return new Error(`"${item}" is not one of ${allowed.join(', ')}`);
    spelled.push(match);
  }
  return Array.isArray(value) ? spelled : (spelled[0] ?? null);
}

export function defineConfig<const S extends KeySpecs>(specs: S): DefinedConfig<S> {
  const def: ConfigDef = Object.entries(specs).map(([name, spec]) => configKeyOf(name, spec));
  const read = (config: ParsedConfig): ConfigOptions<S> => {
    const options: Record<string, ParsedConfigValue> = {};
    for (const key of def) {
      let value = config[key.name] ?? key.default ?? null;
      // An optional text key set to "" means "not set", as Kafka Connect's null default.
      if (value === '' && key.default === null) value = null;
      const checked = checkedValue(key, value);
      if (checked instanceof Error) throw new ConfigError(key.name, `${key.name}: ${checked.message}`);
      options[key.name] = checked;
    }
    // Each property was checked against its spec above; the mapped type states that.
    return options as ConfigOptions<S>;
  };
  return {
    def,
    specs,
    read,
    parse(raw, subject) {
      const { values, errors } = parseConfig(def, raw);
      const [firstBad] = errors.keys();
      if (firstBad !== undefined) {
        throw new ConfigError(
          firstBad,
          `${subject} configuration is invalid: ${describeErrors(errors).join('; ')}`,
        );
      }
      return read(values);
    },
  };
}

/** The one "at least N" check (counts, sizes, intervals), worded the same everywhere. */
export function atLeast(min: number): ConfigValidator {
  return (value) =>
    typeof value === 'number' && value >= min ? undefined : `must be at least ${min}, got ${String(value)}`;
}

export function between(min: number, max: number): ConfigValidator {
  return (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `must be an integer from ${min} to ${max}, got ${String(value)}`;
}
