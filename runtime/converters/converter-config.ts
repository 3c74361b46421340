import { ConfigError } from '../plugin/errors.js';
import { describeErrors, parseConfig } from '../config/config-parser.js';
import type { ConfigDef, ParsedConfig } from '../plugin/index.js';

/** A converter's settings checked against its ConfigDef; throws one error listing every bad key. */
export function parseConverterConfig(
  converterName: string,
  def: ConfigDef,
  raw: Readonly<Record<string, string>>,
): ParsedConfig {
  const { values, errors } = parseConfig(def, raw);
  if (errors.size > 0) {
    throw new ConfigError(
      [...errors.keys()][0]!,
      `${converterName} configuration is invalid: ${describeErrors(errors).join('; ')}`,
    );
  }
  return values;
}
