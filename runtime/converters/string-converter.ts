import { defineConfig, type KeySpecs } from '../plugin/index.js';
import { optional, string, type Schema, type SchemaAndValue } from '../record/index.js';
import type { Converter } from './converter.js';
import { stringifyExactJson } from './exact-json.js';
import { toSchemalessJson } from './json-payload.js';

const stringConverterKeySpecs = {
  'converter.encoding': {
    type: 'string',
    default: 'UTF-8',
    allowed: ['UTF-8', 'UTF8'],
    importance: 'low',
    group: 'Converter',
    documentation: 'Character encoding of the bytes; only UTF-8 is supported.',
  },
} as const satisfies KeySpecs;

export const stringConverterConfig = defineConfig(stringConverterKeySpecs);

const optionalString: Schema = optional(string());

/**
 * Kafka Connect's StringConverter: any value as its string form (bigint digits,
 * decimals as their text); reads every message back as an optional string.
 */
export class StringConverter implements Converter {
  async configure(config: Readonly<Record<string, string>>): Promise<void> {
    stringConverterConfig.parse(config, 'StringConverter');
  }

  async fromConnectData(_topic: string, _schema: Schema | null, value: unknown): Promise<Buffer | null> {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return Buffer.from(value);
    return Buffer.from(
      typeof value === 'object' ? stringifyExactJson(toSchemalessJson(value)) : String(value),
      'utf8',
    );
  }

  async toConnectData(_topic: string, bytes: Buffer | null): Promise<SchemaAndValue> {
    return { schema: optionalString, value: bytes === null ? null : bytes.toString('utf8') };
  }
}
