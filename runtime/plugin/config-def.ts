/**
 * A plugin declares each config key once; validation, `GET /connector-plugins`,
 * `PUT /connector-plugins/{p}/config/validate` and the README reference derive from it.
 * Types and importance follow Kafka Connect's ConfigDef.
 */
export type ConfigType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'list' | 'password' | 'class';
export type Importance = 'high' | 'medium' | 'low';

/** Returns an error message for a bad value (naming the value and the fix), or undefined. */
export type ConfigValidator = (value: ParsedConfigValue, config: ParsedConfig) => string | undefined;

export type ParsedConfigValue = string | number | boolean | string[] | null;
export type ParsedConfig = Readonly<Record<string, ParsedConfigValue>>;

export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  /** Absent: the key is required. `null`: optional with no value. */
  readonly default?: ParsedConfigValue;
  readonly importance: Importance;
  readonly group: string;
  readonly documentation: string;
  readonly validator?: ConfigValidator;
  /** Allowed values for enumerations; shown as `recommended_values` and checked. */
  readonly allowed?: readonly string[];
  /** Keys whose meaning depends on this one (Kafka Connect's `dependents`). */
  readonly dependents?: readonly string[];
  /** Other names accepted for this key (older Debezium or Confluent names). */
  readonly aliases?: readonly string[];
}

export type ConfigDef = readonly ConfigKey[];
