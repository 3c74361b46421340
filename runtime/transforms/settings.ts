import { ConfigError } from '../plugin/index.js';

/**
 * Reads one transform's or predicate's settings (`transforms.<alias>.*`) and turns bad
 * values into errors that name the full config key, the value and the fix.
 */
export class TransformConfigError extends ConfigError {
  override readonly name = 'TransformConfigError';
  /** `key` is the full config key, e.g. `transforms.route.regex`. */
  constructor(key: string, message: string) {
    super(key, `${key}: ${message}`);
  }
}

export class TransformSettings {
  constructor(
    /** e.g. `transforms.route.` */
    readonly prefix: string,
    private readonly config: Readonly<Record<string, string>>,
  ) {}

  key(name: string): string {
    return this.prefix + name;
  }

  /** The raw value of the first of `names` that is set (later names are older aliases). */
  optionalString(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.config[this.key(name)];
      if (value !== undefined) return value;
    }
    return undefined;
  }

  requiredString(name: string, fix: string): string {
    const value = this.optionalString(name);
    if (value === undefined || value.trim() === '') {
      throw new TransformConfigError(this.key(name), `is required; ${fix}`);
    }
    return value;
  }

  list(...names: string[]): string[] {
    const value = this.optionalString(...names);
    if (value === undefined) return [];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.optionalString(name);
    if (value === undefined || value.trim() === '') return defaultValue;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true') return true;
    if (normalized === 'false') return false;
    throw new TransformConfigError(this.key(name), `"${value}" is not a boolean; use true or false`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], defaultValue: T): T {
    const value = this.optionalString(name);
    if (value === undefined || value.trim() === '') return defaultValue;
    const normalized = value.trim().toLowerCase();
    const match = allowed.find((option) => option === normalized);
    if (match === undefined) {
      throw new TransformConfigError(
        this.key(name),
        `"${value}" is not allowed; use one of ${allowed.join(', ')}`,
      );
    }
    return match;
  }

  regex(name: string, fix: string): RegExp {
    const source = this.requiredString(name, fix);
    try {
      // Java's Matcher.matches(): the whole string must match.
      return new RegExp(`^(?:${source})$`);
    } catch (error) {
      throw new TransformConfigError(
        this.key(name),
        `"${source}" is not a valid regular expression (${(error as Error).message})`,
      );
    }
  }
}
