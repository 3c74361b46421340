import { ConfigError, DataError, isRetriable, SiphonError } from '../plugin/errors.js';
import avro from 'avsc';
import { defineConfig, type KeySpecs } from '../plugin/index.js';
import { validateValue, type Schema, type SchemaAndValue } from '../record/index.js';
import { avscTypeHook } from './avsc-type-hook.js';
import { fromAvroSchema, toAvroSchema, type AvroJson } from './avro-schema.js';
import { fromAvroValue, toAvroValue } from './avro-value.js';
import type { Converter } from './converter.js';
import { SchemaRegistryClient, type RegistryCredentials } from './schema-registry-client.js';
import { subjectNameStrategies, type SubjectNameStrategy } from './subject-name-strategy.js';

const avroConverterKeySpecs = {
  'schema.registry.url': {
    type: 'list',
    default: null,
    importance: 'high',
    group: 'Converter',
    documentation:
      'Schema Registry URL (the first of a comma-separated list is used). Empty: the worker’s embedded registry.',
  },
  'auto.register.schemas': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    group: 'Converter',
    documentation:
      'Register new schemas; false only looks them up and fails for a schema not registered yet.',
  },
  'key.subject.name.strategy': {
    type: 'class',
    default: subjectNameStrategies[0]!.className,
    allowed: subjectNameStrategies.flatMap((s) => [s.className, s.shortName]),
    importance: 'medium',
    group: 'Converter',
    documentation: 'How the subject of a key schema is named (TopicNameStrategy: <topic>-key).',
  },
  'value.subject.name.strategy': {
    type: 'class',
    default: subjectNameStrategies[0]!.className,
    allowed: subjectNameStrategies.flatMap((s) => [s.className, s.shortName]),
    importance: 'medium',
    group: 'Converter',
    documentation: 'How the subject of a value schema is named (TopicNameStrategy: <topic>-value).',
  },
  'basic.auth.credentials.source': {
    type: 'string',
    default: 'URL',
    allowed: ['URL', 'USER_INFO'],
    importance: 'medium',
    group: 'Converter',
    documentation: 'Where registry credentials come from: the URL’s user info, or basic.auth.user.info.',
  },
  'basic.auth.user.info': {
    type: 'password',
    default: null,
    importance: 'medium',
    group: 'Converter',
    documentation: 'Registry credentials as user:password, with basic.auth.credentials.source=USER_INFO.',
  },
} as const satisfies KeySpecs;

export const avroConverterConfig = defineConfig(avroConverterKeySpecs);

/** What the converter needs from the worker. */
export interface AvroConverterDeps {
  /** The registry used when `schema.registry.url` is not set (the worker's embedded one). */
  readonly defaultSchemaRegistryUrl?: string;
}

interface WriterSchema {
  readonly avroText: string;
  readonly fullName: string | undefined;
  /** How a message written with this schema reads back, so its id needs no lookup either. */
  readonly readerSchema: ReaderSchema;
  /** Registry ids by topic (the subject follows from the topic), once registered or found. */
  readonly ids: Map<string, number>;
}

interface ReaderSchema {
  readonly schema: Schema;
  /** avsc's codec for the Avro schema, built as Confluent's JavaScript client builds it. */
  readonly type: avro.Type;
}

/** The Confluent wire format's header: magic byte 0 and the 4-byte schema id. */
const headerSize = 5;

/**
 * Confluent's AvroConverter (io.confluent.connect.avro.AvroConverter): Avro binary in the
 * Confluent wire format (magic 0, 4-byte big-endian schema id, body). The hot path makes
 * no HTTP call and builds no cache key: Avro schemas, their avsc codecs and registry ids
 * (by topic) are cached per record-model Schema object; ids are also shared per subject
 * and schema text, and reader schemas kept per id.
 */
export class AvroConverter implements Converter {
  private isKey = false;
  private autoRegister = true;
  private strategy: SubjectNameStrategy = subjectNameStrategies[0]!;
  private http!: SchemaRegistryClient;
  /** Where messages are encoded before being copied out at their size; grows to the largest. */
  private scratch = Buffer.allocUnsafe(16 * 1024);
  private readonly writerSchemas = new WeakMap<Schema, WriterSchema>();
  private readonly ids = new Map<string, Promise<number>>();
  private readonly readerSchemas = new Map<number, Promise<ReaderSchema>>();

  constructor(private readonly deps: AvroConverterDeps = {}) {}

  async configure(config: Readonly<Record<string, string>>, isKey: boolean): Promise<void> {
    const options = avroConverterConfig.parse(config, 'AvroConverter');
    this.isKey = isKey;
    this.autoRegister = options['auto.register.schemas'];
    const strategyName = options[isKey ? 'key.subject.name.strategy' : 'value.subject.name.strategy'];
    this.strategy = subjectNameStrategies.find(
      (s) => s.className === strategyName || s.shortName === strategyName,
    )!;
    const configured = options['schema.registry.url']?.[0] ?? this.deps.defaultSchemaRegistryUrl;
    if (configured === undefined || configured === '') {
      throw new ConfigError(
        'schema.registry.url',
        'AvroConverter needs schema.registry.url (e.g. value.converter.schema.registry.url=http://127.0.0.1:8081) ' +
          'when the worker runs no embedded schema registry',
      );
    }
    const { url, credentials } = registryAddress(
      configured,
      options['basic.auth.credentials.source'],
      options['basic.auth.user.info'],
    );
    this.http = new SchemaRegistryClient(url, credentials);
  }

  async fromConnectData(topic: string, schema: Schema | null, value: unknown): Promise<Buffer | null> {
    // As Confluent's serializer: a null value is a tombstone, whatever the schema.
    if (value === null || value === undefined) return null;
    if (schema === null) {
      throw new DataError(`AvroConverter cannot write a record for topic ${topic} without a schema`);
    }
    const writer = this.writerSchema(topic, schema);
    const id = writer.ids.get(topic) ?? (await this.registeredId(topic, writer));
    let avroValue: unknown;
    try {
      avroValue = toAvroValue(schema, value);
    } catch (error) {
      throw new DataError(
        `AvroConverter cannot convert a record for topic ${topic}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      return this.encode(writer.readerSchema.type, id, avroValue);
    } catch (error) {
      // Only on failure: name the offending field in record-model terms.
      let problem = (error as Error).message;
      try {
        validateValue(schema, value);
      } catch (invalid) {
        problem = (invalid as Error).message;
      }
      throw new DataError(`AvroConverter cannot encode a record for topic ${topic}: ${problem}`, {
        cause: error,
      });
    }
  }

  /** Header and Avro body written into the scratch buffer, then copied out at their size. */
  private encode(type: avro.Type, id: number, avroValue: unknown): Buffer {
    let end = -1;
    while (end < 0) {
      this.scratch[0] = 0;
      this.scratch.writeInt32BE(id, 1);
      end = type.encode(avroValue, this.scratch, headerSize);
      // A negative end is how many bytes were missing.
      if (end < 0) this.scratch = Buffer.allocUnsafe(2 * (this.scratch.length - end));
    }
    return Buffer.from(this.scratch.subarray(0, end));
  }

  /** The id of the writer's schema under the topic's subject, registered or looked up once. */
  private async registeredId(topic: string, writer: WriterSchema): Promise<number> {
    const subject = this.strategy.subject(topic, this.isKey, writer.fullName);
    const id = await this.schemaId(topic, subject, writer.avroText);
    writer.ids.set(topic, id);
    if (!this.readerSchemas.has(id)) this.readerSchemas.set(id, Promise.resolve(writer.readerSchema));
    return id;
  }

  async toConnectData(topic: string, bytes: Buffer | null): Promise<SchemaAndValue> {
    if (bytes === null) return { schema: null, value: null };
    if (bytes.length < 5 || bytes[0] !== 0) {
      throw new DataError(
        `AvroConverter cannot read a message of topic ${topic}: not in the Confluent wire format ` +
          `(${bytes.length < 5 ? `only ${bytes.length} bytes` : `magic byte ${bytes[0]}, expected 0`})`,
      );
    }
    const id = bytes.readUInt32BE(1);
    const reader = await this.readerSchema(topic, id);
    const avroValue: unknown = reader.type.fromBuffer(bytes.subarray(headerSize));
    return { schema: reader.schema, value: fromAvroValue(reader.schema, avroValue) };
  }

  private writerSchema(topic: string, schema: Schema): WriterSchema {
    let writer = this.writerSchemas.get(schema);
    if (writer === undefined) {
      let avroJson: AvroJson;
      let avroText: string;
      let type: avro.Type;
      try {
        avroJson = toAvroSchema(schema);
        avroText = JSON.stringify(avroJson);
        type = avscType(avroText);
      } catch (error) {
        throw new DataError(
          `AvroConverter cannot map the schema of topic ${topic} to Avro: ${(error as Error).message}`,
          { cause: error },
        );
      }
      writer = {
        avroText,
        fullName: recordFullName(avroJson),
        readerSchema: { schema: fromAvroSchema(avroJson), type },
        ids: new Map(),
      };
      this.writerSchemas.set(schema, writer);
    }
    return writer;
  }

  private schemaId(topic: string, subject: string, avroText: string): Promise<number> {
    const key = `${subject}\u0000${avroText}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = (
        this.autoRegister ? this.http.register(subject, avroText) : this.http.lookup(subject, avroText)
      ).catch((error: Error) => {
        this.ids.delete(key);
        // Retriable as its cause: a registry that cannot be reached now may be reached later.
        throw new SiphonError(
          `The schema registry at ${this.http.url} rejected the ${this.isKey ? 'key' : 'value'} schema of topic ${topic} ` +
            `(subject ${subject}): ${error.message}`,
          isRetriable(error),
          { cause: error },
        );
      });
      this.ids.set(key, id);
    }
    return id;
  }

  private readerSchema(topic: string, id: number): Promise<ReaderSchema> {
    let reader = this.readerSchemas.get(id);
    if (reader === undefined) {
      reader = this.http
        .schemaById(id)
        .then((text) => ({ schema: fromAvroSchema(JSON.parse(text) as AvroJson), type: avscType(text) }))
        .catch((error: Error) => {
          this.readerSchemas.delete(id);
          throw new SiphonError(
            `AvroConverter cannot read a message of topic ${topic} with schema id ${id}: ${error.message}`,
            isRetriable(error),
            { cause: error },
          );
        });
      this.readerSchemas.set(id, reader);
    }
    return reader;
  }
}

/** avsc's codec for a schema text, with the options the registry client would give it. */
function avscType(avroText: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(avroText) as avro.Schema, { typeHook: avscTypeHook });
}

/** The full name of the top-level Avro record (what RecordNameStrategy names subjects after). */
function recordFullName(avro: AvroJson): string | undefined {
  const record = Array.isArray(avro) ? avro.find((branch) => branch !== 'null') : avro;
  if (
    record === undefined ||
    typeof record !== 'object' ||
    Array.isArray(record) ||
    record.type !== 'record'
  ) {
    return undefined;
  }
  return record.namespace === undefined
    ? String(record.name)
    : `${String(record.namespace)}.${String(record.name)}`;
}

function registryAddress(
  configured: string,
  credentialsSource: string,
  userInfo: string | null,
): { url: string; credentials?: RegistryCredentials } {
  let parsed: URL;
  try {
    parsed = new URL(configured);
  } catch {
    // A URL may carry credentials: never echo them.
    const shown = configured.replace(/\/\/[^@/]*@/, '//[hidden]@');
    throw new ConfigError(
      'schema.registry.url',
      `AvroConverter schema.registry.url "${shown}" is not a URL; use e.g. http://127.0.0.1:8081`,
    );
  }
  let credentials: RegistryCredentials | undefined;
  if (credentialsSource === 'USER_INFO') {
    const colon = userInfo?.indexOf(':') ?? -1;
    if (userInfo === null || colon < 0) {
      throw new ConfigError(
        'basic.auth.user.info',
        'AvroConverter basic.auth.credentials.source=USER_INFO needs basic.auth.user.info as user:password',
      );
    }
    credentials = { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) };
  } else if (parsed.username !== '') {
    credentials = {
      username: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
    };
  }
  parsed.username = '';
  parsed.password = '';
  const url = parsed.toString().replace(/\/+$/, '');
  return credentials === undefined ? { url } : { url, credentials };
}
