import type { ParsedConfig, ParsedConfigValue } from '../plugin/index.js';

/**
 * Typed reads of a validated ParsedConfig. The runtime validated each key against its
 * ConfigKey already, so a wrong type here is a programming error, reported with the key.
 */
export class ConfigReader {
  constructor(private readonly config: ParsedConfig) {}

  private raw(key: string): ParsedConfigValue {
    return this.config[key] ?? null;
  }

  string(key: string): string {
    const value = this.raw(key);
    if (typeof value !== 'string') throw new Error(`${key}: expected a string, got ${JSON.stringify(value)}`);
    return value;
  }

  optionalString(key: string): string | null {
    const value = this.raw(key);
    if (value === null || value === '') return null;
    if (Array.isArray(value)) return value.join(',');
    return String(value);
  }

  number(key: string): number {
    const value = this.raw(key);
    const parsed = typeof value === 'number' ? value : Number(value);
    if (typeof value === 'boolean' || value === null || !Number.isFinite(parsed)) {
      throw new Error(`${key}: expected a number, got ${JSON.stringify(value)}`);
    }
    return parsed;
  }

  boolean(key: string): boolean {
    const value = this.raw(key);
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new Error(`${key}: expected true or false, got ${JSON.stringify(value)}`);
  }

  /** One of `allowed`, compared case-insensitively as Debezium does for its enumerations. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key).toLowerCase();
    const match = allowed.find((a) => a.toLowerCase() === value);
    if (match === undefined) throw new Error(`${key}: "${value}" is not one of ${allowed.join(', ')}`);
    return match;
  }
}
