import { ConfigError, defineConfig } from '../plugin/index.js';
import type { ConfigKey, DefinedConfig, KeySpecs } from '../plugin/index.js';

/**
 * Reads one transform's or predicate's settings (`transforms.<alias>.*`) and turns bad
 * values into errors that name the full config key, the value and the fix.
 */
export class TransformConfigError extends ConfigError {
  override readonly name: string = 'TransformConfigError';
  /** `key` is the full config key, e.g. `transforms.route.regex`. */
  constructor(key: string, message: string) {
    super(key, `${key}: ${message}`);
  }
}

/** The keys every transform has (`transforms.<alias>.*`) besides its own. */
export const transformKeySpecs = {
  type: {
    type: 'class',
    importance: 'high',
    group: 'Transform',
    documentation: 'The transform class.',
  },
  predicate: {
    type: 'string',
    default: null,
    importance: 'medium',
    group: 'Transform',
    documentation: 'A predicate (listed in `predicates`) limiting the transform to the records it matches.',
  },
  negate: {
    type: 'boolean',
    default: false,
    importance: 'low',
    group: 'Transform',
    documentation: 'Apply the transform to the records the predicate does not match instead.',
  },
} as const satisfies KeySpecs;

export const transformConfig = defineConfig(transformKeySpecs);

/** The key every predicate has (`predicates.<name>.*`) besides its own. */
export const predicateConfig = defineConfig({
  type: { type: 'class', importance: 'high', group: 'Predicate', documentation: 'The predicate class.' },
});

type KeyName<S extends KeySpecs> = keyof S & string;

/**
 * A transform's or predicate's raw settings read through its definition: only defined
 * keys (or their aliases) are read, and defaults come from the definition.
 */
export class TransformSettings<S extends KeySpecs = KeySpecs> {
  constructor(
    /** e.g. `transforms.route.` */
    readonly prefix: string,
    private readonly config: Readonly<Record<string, string>>,
    private readonly definition: DefinedConfig<S>,
  ) {}

  /** The same settings, read through another definition (the transform class's own). */
  as<T extends KeySpecs>(definition: DefinedConfig<T>): TransformSettings<T> {
    return new TransformSettings(this.prefix, this.config, definition);
  }

  key(name: KeyName<S>): string {
    return this.prefix + name;
  }

  private spec(name: KeyName<S>): ConfigKey {
    const spec = this.definition.def.find((key) => key.name === name);
    // Unreachable through the typed names; guards the definition against drifting from the reads.
    if (spec === undefined) throw new ConfigError(this.key(name), `${this.key(name)} is not a defined key`);
    return spec;
  }

  /** The raw value under the key's name or one of its older aliases. */
  optionalString(name: KeyName<S>): string | undefined {
    const spec = this.spec(name);
    for (const candidate of [spec.name, ...(spec.aliases ?? [])]) {
      const value = this.config[this.prefix + candidate];
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** The value, or the definition's default when unset. */
  string(name: KeyName<S>): string {
    const value = this.optionalString(name);
    if (value !== undefined) return value;
    const fallback = this.spec(name).default;
    return typeof fallback === 'string' ? fallback : '';
  }

  requiredString(name: KeyName<S>, fix: string): string {
    const value = this.optionalString(name);
    if (value === undefined || value.trim() === '') {
      throw new TransformConfigError(this.key(name), `is required; ${fix}`);
    }
    return value;
  }

  list(name: KeyName<S>): string[] {
    const value = this.optionalString(name);
    if (value === undefined) return [];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  boolean(name: KeyName<S>): boolean {
    const value = this.optionalString(name);
    if (value === undefined || value.trim() === '') return this.spec(name).default === true;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true') return true;
    if (normalized === 'false') return false;
    throw new TransformConfigError(this.key(name), `"${value}" is not a boolean; use true or false`);
  }

  /** One of `allowed` (the definition's `allowed`), or the definition's default. */
  oneOf<T extends string>(name: KeyName<S>, allowed: readonly T[]): T {
    const value = this.optionalString(name);
    const wanted =
      value === undefined || value.trim() === '' ? this.spec(name).default : value.trim().toLowerCase();
    const match = allowed.find((option) => option === wanted);
    if (match === undefined) {
      throw new TransformConfigError(
        this.key(name),
        `"${value}" is not allowed; use one of ${allowed.join(', ')}`,
      );
    }
    return match;
  }

  regex(name: KeyName<S>, fix: string): RegExp {
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
