import { ConfigError } from '../plugin/errors.js';
import type { ConfigDef } from '../plugin/index.js';
import { AvroConverter, avroConverterConfig } from './avro-converter.js';
import type { Converter } from './converter.js';
import { JsonConverter, jsonConverterConfig } from './json-converter.js';
import { StringConverter, stringConverterConfig } from './string-converter.js';

export type { Converter } from './converter.js';
export { subjectNameStrategies } from './subject-name-strategy.js';

/** What converters need from the worker. */
export interface ConverterDeps {
  /** URL of the worker's embedded schema registry, used when `schema.registry.url` is not set. */
  readonly defaultSchemaRegistryUrl?: string;
}

export interface ConverterKind {
  readonly shortName: string;
  readonly className: string;
  /** Its settings, given as `key.converter.<key>` / `value.converter.<key>`. */
  readonly configDef: ConfigDef;
  create(deps: ConverterDeps): Converter;
}

/** Every converter, by the short name and the Kafka Connect class name it answers to. */
export const converterKinds: readonly ConverterKind[] = [
  {
    shortName: 'avro',
    className: 'io.confluent.connect.avro.AvroConverter',
    configDef: avroConverterConfig.def,
    create: (deps) => new AvroConverter(deps),
  },
  {
    shortName: 'json',
    className: 'org.apache.kafka.connect.json.JsonConverter',
    configDef: jsonConverterConfig.def,
    create: () => new JsonConverter(),
  },
  {
    shortName: 'string',
    className: 'org.apache.kafka.connect.storage.StringConverter',
    configDef: stringConverterConfig.def,
    create: () => new StringConverter(),
  },
];

/** The accepted `key.converter` / `value.converter` values, for validation and docs. */
export const converterClassNames: readonly string[] = converterKinds.flatMap((k) => [
  k.className,
  k.shortName,
]);

/**
 * A configured converter for `key.converter` / `value.converter`. `config` holds the
 * converter's own settings without the `key.converter.` / `value.converter.` prefix.
 */
export async function createConverter(
  nameOrClass: string,
  config: Readonly<Record<string, string>>,
  isKey: boolean,
  deps: ConverterDeps,
): Promise<Converter> {
  const wanted = nameOrClass.trim();
  const kind = converterKinds.find((k) => k.className === wanted || k.shortName === wanted.toLowerCase());
  if (kind === undefined) {
    throw new ConfigError(
      `${isKey ? 'key' : 'value'}.converter`,
      `${isKey ? 'key' : 'value'}.converter "${nameOrClass}" is not a known converter; use one of ${converterClassNames.join(', ')}`,
    );
  }
  const converter = kind.create(deps);
  await converter.configure(config, isKey);
  return converter;
}
