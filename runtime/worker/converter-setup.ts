import type { Converter } from '../converters/converter.js';

/**
 * Which converter a connector uses for keys or values, with its settings (Kafka Connect's
 * rule): a connector that names `key.converter` takes its own `key.converter.*` settings;
 * otherwise the worker's converter and the worker's settings apply.
 */
export type ConverterFactory = (
  nameOrClass: string,
  config: Readonly<Record<string, string>>,
  isKey: boolean,
) => Promise<Converter>;

export interface ConverterChoice {
  readonly name: string;
  readonly config: Record<string, string>;
}

export function chooseConverter(
  isKey: boolean,
  connectorConfig: Readonly<Record<string, string>>,
  workerConfig: Readonly<Record<string, string>>,
  workerDefault: string,
): ConverterChoice {
  const prefix = isKey ? 'key.converter' : 'value.converter';
  const own = connectorConfig[prefix];
  const source = own ? connectorConfig : workerConfig;
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith(prefix + '.')) config[key.slice(prefix.length + 1)] = value;
  }
  return { name: own || workerDefault, config };
}
