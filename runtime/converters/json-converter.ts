import { DataError } from '../plugin/errors.js';
import { atLeast, defineConfig, type KeySpecs } from '../plugin/index.js';
import type { Schema, SchemaAndValue } from '../record/index.js';
import type { Converter } from './converter.js';
import {
  isJsonObject,
  parseExactJson,
  parseJsonWithSafeIntegers,
  stringifyExactJson,
  type ExactJson,
} from './exact-json.js';
import {
  fromJsonPayload,
  fromSchemalessJson,
  toSchemalessJson,
  type PayloadOptions,
} from './json-payload.js';
import { JsonPayloadWriters } from './json-payload-writer.js';
import { schemaFromJson, schemaToJson } from './json-schema-form.js';

const jsonConverterKeySpecs = {
  'schemas.enable': {
    type: 'boolean',
    default: true,
    importance: 'high',
    group: 'Converter',
    documentation:
      'Wrap each message as {"schema": …, "payload": …}; false writes and reads the bare payload.',
  },
  'schemas.cache.size': {
    type: 'int',
    default: 1000,
    importance: 'low',
    group: 'Converter',
    documentation:
      'How many parsed schemas of incoming messages are kept, so the same schema is parsed once.',
    validator: atLeast(1),
  },
  'decimal.format': {
    type: 'string',
    default: 'BASE64',
    allowed: ['BASE64', 'NUMERIC'],
    importance: 'low',
    group: 'Converter',
    documentation:
      'Decimals as base64 of the unscaled two-s complement bytes (BASE64) or as JSON numbers (NUMERIC).',
  },
  'replace.null.with.default': {
    type: 'boolean',
    default: true,
    importance: 'low',
    group: 'Converter',
    documentation: 'Write a field’s default value when it is null.',
  },
} as const satisfies KeySpecs;

export const jsonConverterConfig = defineConfig(jsonConverterKeySpecs);

const envelopeError =
  'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. ' +
  'If you are reading plain JSON data, set schemas.enable=false in the converter configuration.';

/** Kafka Connect's JsonConverter (org.apache.kafka.connect.json.JsonConverter), same bytes on the wire. */
export class JsonConverter implements Converter {
  private schemasEnabled = true;
  private options: PayloadOptions = { decimalFormat: 'BASE64', replaceNullWithDefault: true };
  private cacheSize = 1000;
  private writers = new JsonPayloadWriters(this.options);
  /**
   * Schemas from connectors are reused objects: the envelope's start up to the payload,
   * `{"schema":…,"payload":`, is encoded once per schema.
   */
  private readonly envelopeStarts = new WeakMap<Schema, Buffer>();
  /** Parsed incoming schemas by their JSON text, least recently used dropped first. */
  private readonly parsedSchemas = new Map<string, Schema>();
  private lastSchema: { prefix: Buffer; schema: Schema } | undefined;

  async configure(config: Readonly<Record<string, string>>): Promise<void> {
    const options = jsonConverterConfig.parse(config, 'JsonConverter');
    this.schemasEnabled = options['schemas.enable'];
    this.cacheSize = options['schemas.cache.size'];
    this.options = {
      decimalFormat: options['decimal.format'],
      replaceNullWithDefault: options['replace.null.with.default'],
    };
    this.writers = new JsonPayloadWriters(this.options);
  }

  async fromConnectData(topic: string, schema: Schema | null, value: unknown): Promise<Buffer | null> {
    if (schema === null && (value === null || value === undefined)) return null;
    let payloadText: string;
    try {
      payloadText =
        schema === null ? stringifyExactJson(toSchemalessJson(value)) : this.writers.write(schema, value);
    } catch (error) {
      throw new DataError(
        `JsonConverter cannot convert a record for topic ${topic}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (!this.schemasEnabled) return Buffer.from(payloadText);
    if (schema === null) return Buffer.from(`{"schema":null,"payload":${payloadText}}`);
    // The cached start, then the payload and the closing brace, written into one buffer.
    const start = this.envelopeStart(schema);
    const message = Buffer.allocUnsafe(start.length + Buffer.byteLength(payloadText) + 1);
    start.copy(message);
    const end = start.length + message.write(payloadText, start.length);
    message[end] = 0x7d;
    return message;
  }

  async toConnectData(topic: string, bytes: Buffer | null): Promise<SchemaAndValue> {
    if (bytes === null) return { schema: null, value: null };
    try {
      return this.schemasEnabled
        ? (this.readWithLastSchema(bytes) ?? this.readEnvelope(parseExactJson(bytes.toString('utf8'))))
        : { schema: null, value: fromSchemalessJson(parseExactJson(bytes.toString('utf8'))) };
    } catch (error) {
      throw new DataError(
        `JsonConverter cannot read a message of topic ${topic}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Fast path: a topic's messages nearly always repeat the previous message's schema
   * bytes, so only the payload after them is decoded and parsed. Undefined when the
   * message differs.
   */
  private readWithLastSchema(bytes: Buffer): SchemaAndValue | undefined {
    const last = this.lastSchema;
    if (last === undefined) return undefined;
    const start = last.prefix.length;
    if (
      bytes.length <= start ||
      bytes[bytes.length - 1] !== 0x7d ||
      bytes.compare(last.prefix, 0, start, 0, start) !== 0
    ) {
      return undefined;
    }
    let payload: ExactJson;
    try {
      const text = bytes.toString('utf8', start, bytes.length - 1);
      payload = parseJsonWithSafeIntegers(text);
    } catch {
      return undefined;
    }
    return { schema: last.schema, value: fromJsonPayload(last.schema, payload, this.options) };
  }

  private readEnvelope(json: ExactJson): SchemaAndValue {
    if (
      !isJsonObject(json) ||
      !('schema' in json) ||
      !('payload' in json) ||
      Object.keys(json).length !== 2
    ) {
      throw new DataError(envelopeError);
    }
    if (json.schema === null) return { schema: null, value: fromSchemalessJson(json.payload ?? null) };
    const schemaText = stringifyExactJson(json.schema);
    const schema = this.parseSchema(schemaText, json.schema!);
    this.lastSchema = { prefix: Buffer.from(`{"schema":${schemaText},"payload":`), schema };
    return { schema, value: fromJsonPayload(schema, json.payload, this.options) };
  }

  private envelopeStart(schema: Schema): Buffer {
    let start = this.envelopeStarts.get(schema);
    if (start === undefined) {
      // Defaults are written by the payload writer and read back into the schema's JSON tree.
      const schemaJson = schemaToJson(schema, (s, v) => parseExactJson(this.writers.write(s, v)));
      start = Buffer.from(`{"schema":${stringifyExactJson(schemaJson)},"payload":`);
      this.envelopeStarts.set(schema, start);
    }
    return start;
  }

  private parseSchema(key: string, json: ExactJson): Schema {
    const cached = this.parsedSchemas.get(key);
    if (cached !== undefined) {
      this.parsedSchemas.delete(key);
      this.parsedSchemas.set(key, cached);
      return cached;
    }
    const schema = schemaFromJson(json, (s, v) => fromJsonPayload(s, v, this.options, 'schema default'));
    this.parsedSchemas.set(key, schema);
    if (this.parsedSchemas.size > this.cacheSize) {
      this.parsedSchemas.delete(this.parsedSchemas.keys().next().value!);
    }
    return schema;
  }
}
