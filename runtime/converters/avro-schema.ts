import { DataError } from '../plugin/errors.js';
import {
  LogicalName,
  decimalToUnscaled,
  logicalTypeOf,
  unscaledToBytes,
  unscaledToDecimal,
  bytesToUnscaled,
  withSourceColumnName,
  type Field,
  type Schema,
} from '../record/index.js';

/**
 * Record-model schemas to Avro schemas and back, as Confluent's AvroConverter
 * (AvroData) does it, so Debezium consumers read Siphon topics unchanged:
 * - a struct becomes a record; `Schema.name` `a.b.Value` is namespace `a.b`, name `Value`,
 *   plus `"connect.name"`; an unnamed struct is `io.confluent.connect.avro.ConnectDefault`;
 * - a named record appearing again (`before` and `after`) is written once, then referenced by name;
 * - optional becomes `["null", T]` with default null (`[T, "null"]` when the default is a value);
 * - int8/int16 are Avro int with `"connect.type"`; named schemas keep `connect.name`,
 *   `connect.version`, `connect.parameters` and `connect.default`; only Kafka Connect's own
 *   logical types gain Avro's `logicalType` (Decimal as bytes with scale/precision, Date,
 *   Time as time-millis, Timestamp as timestamp-millis), never Debezium's semantic types;
 * - maps with string keys are Avro maps, others arrays of `io.confluent.connect.avro.MapEntry` records.
 * Avro names allow only [A-Za-z0-9_]: other characters become `_` (the original name stays in
 * `connect.name`, so it round-trips); field names are adjusted the same way and come back
 * adjusted, their original name kept in the field schema's `__debezium.source.column.name`
 * parameter (see runtime/record/source-column-name.ts) so a sink still writes that column.
 */

export type AvroJson = string | AvroJson[] | { [key: string]: unknown };

const connectNamespace = 'io.confluent.connect.avro';
const defaultRecordName = 'ConnectDefault';
const mapEntryName = 'MapEntry';
/** Confluent's precision when a Decimal schema does not say. */
const defaultDecimalPrecision = 64;

/** An Avro name part: letters, digits and `_`, not starting with a digit. */
export function avroName(part: string): string {
  const replaced = part.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) || replaced === '' ? `_${replaced}` : replaced;
}

function splitFullName(fullName: string): { namespace?: string; name: string } {
  const parts = fullName.split('.').map(avroName);
  const name = parts.pop()!;
  return parts.length === 0 ? { name } : { namespace: parts.join('.'), name };
}

const fieldNameCache = new WeakMap<Schema, readonly string[]>();

/** The Avro field name of each record-model field (adjusted to Avro's rules, checked unique). */
export function avroFieldNames(schema: Schema): readonly string[] {
  const cached = fieldNameCache.get(schema);
  if (cached !== undefined) return cached;
  const names = (schema.fields ?? []).map((f) => avroName(f.name));
  const seen = new Map<string, string>();
  (schema.fields ?? []).forEach((f, i) => {
    const other = seen.get(names[i]!);
    if (other !== undefined) {
      throw new DataError(
        `fields "${other}" and "${f.name}" of ${schema.name ?? 'a struct'} both become Avro field "${names[i]}"; rename one`,
      );
    }
    seen.set(names[i]!, f.name);
  });
  fieldNameCache.set(schema, names);
  return names;
}

export function toAvroSchema(schema: Schema): AvroJson {
  return new ConnectToAvro().convert(schema);
}

class ConnectToAvro {
  /** Full Avro names already written, with the text of their definition to detect clashes. */
  private readonly defined = new Map<string, string>();
  private unnamedCount = 0;
  private mapEntryCount = 0;

  convert(schema: Schema): AvroJson {
    const base = this.nonNull(schema);
    return schema.optional ? ['null', base] : base;
  }

  /** A field's type and default: a default value puts its branch first, as Avro requires. */
  field(field: Field, avroFieldName: string): Record<string, unknown> {
    const schema = withSourceColumnName(field.schema, field.name, avroFieldName);
    const base = this.nonNull(schema);
    const result: Record<string, unknown> = { name: avroFieldName };
    if (schema.optional) {
      if (schema.defaultValue === undefined || schema.defaultValue === null) {
        result.type = ['null', base];
        result.default = null;
      } else {
        result.type = [base, 'null'];
        result.default = avroDefault(schema, schema.defaultValue);
      }
    } else {
      result.type = base;
      if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
        result.default = avroDefault(schema, schema.defaultValue);
      }
    }
    return result;
  }

  private nonNull(schema: Schema): AvroJson {
    switch (schema.type) {
      case 'struct':
        return this.record(schema);
      case 'array':
        return { type: 'array', items: this.convert(schema.valueSchema!) };
      case 'map':
        return this.map(schema);
      default:
        return this.primitive(schema);
    }
  }

  private primitive(schema: Schema): AvroJson {
    const avroType = {
      int8: 'int',
      int16: 'int',
      int32: 'int',
      int64: 'long',
      float32: 'float',
      float64: 'double',
      boolean: 'boolean',
      string: 'string',
      bytes: 'bytes',
    }[schema.type as Exclude<Schema['type'], 'struct' | 'array' | 'map'>];
    const props: Record<string, unknown> = {};
    if (schema.type === 'int8' || schema.type === 'int16') props['connect.type'] = schema.type;
    if (schema.name === LogicalName.Decimal) {
      props.scale = Number(schema.parameters?.scale ?? '0');
      props.precision = Number(schema.parameters?.['connect.decimal.precision'] ?? defaultDecimalPrecision);
    }
    if (schema.doc !== undefined) props['connect.doc'] = schema.doc;
    Object.assign(props, connectProps(schema, true));
    const logicalType = logicalTypeOf(schema)?.avroLogicalType;
    if (logicalType !== undefined) props.logicalType = logicalType;
    return Object.keys(props).length === 0 ? avroType : { type: avroType, ...props };
  }

  private record(schema: Schema): AvroJson {
    let fullName: string;
    let namespace: string | undefined;
    let name: string;
    if (schema.name === undefined) {
      this.unnamedCount++;
      namespace = connectNamespace;
      name = this.unnamedCount === 1 ? defaultRecordName : `${defaultRecordName}${this.unnamedCount}`;
      fullName = `${namespace}.${name}`;
    } else {
      ({ namespace, name } = splitFullName(schema.name));
      fullName = namespace === undefined ? name : `${namespace}.${name}`;
    }
    const fieldNames = avroFieldNames(schema);
    // Defaults of int64 fields are bigint, which JSON.stringify refuses.
    const definitionKey = JSON.stringify(schema, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const earlier = this.defined.get(fullName);
    if (earlier !== undefined) {
      if (earlier !== definitionKey) {
        throw new DataError(
          `record ${fullName} appears twice in one schema with different definitions; give them different names`,
        );
      }
      return fullName;
    }
    this.defined.set(fullName, definitionKey);
    const record: Record<string, unknown> = { type: 'record', name };
    if (namespace !== undefined) record.namespace = namespace;
    if (schema.doc !== undefined) record.doc = schema.doc;
    record.fields = (schema.fields ?? []).map((f, i) => this.field(f, fieldNames[i]!));
    Object.assign(record, connectProps(schema));
    return record;
  }

  private map(schema: Schema): AvroJson {
    const keySchema = schema.keySchema!;
    const valueSchema = schema.valueSchema!;
    if (keySchema.type === 'string' && !keySchema.optional) {
      return { type: 'map', values: this.convert(valueSchema) };
    }
    this.mapEntryCount++;
    const name = this.mapEntryCount === 1 ? mapEntryName : `${mapEntryName}${this.mapEntryCount}`;
    return {
      type: 'array',
      items: {
        type: 'record',
        name,
        namespace: connectNamespace,
        fields: [
          { name: 'key', type: this.convert(keySchema) },
          { name: 'value', type: this.convert(valueSchema) },
        ],
      },
    };
  }
}

/** Confluent's Connect metadata, in its order; `connect.default` only on primitives, as AvroData writes it. */
function connectProps(schema: Schema, withDefault = false): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  if (schema.version !== undefined) props['connect.version'] = schema.version;
  if (schema.parameters !== undefined) props['connect.parameters'] = schema.parameters;
  if (withDefault && schema.defaultValue !== undefined && schema.defaultValue !== null) {
    props['connect.default'] = avroDefault(schema, schema.defaultValue);
  }
  if (schema.name !== undefined) props['connect.name'] = schema.name;
  return props;
}

/** A record-model default value in Avro's JSON default form (bytes as ISO-8859-1 text). */
function avroDefault(schema: Schema, value: unknown): unknown {
  switch (schema.type) {
    case 'int64':
      return Number(value as bigint);
    case 'bytes':
      if (schema.name === LogicalName.Decimal) {
        const scale = Number(schema.parameters?.scale ?? '0');
        return unscaledToBytes(decimalToUnscaled(value as string, scale)).toString('latin1');
      }
      return Buffer.from(value as Uint8Array).toString('latin1');
    case 'array':
      return (value as unknown[]).map((v) => avroDefault(schema.valueSchema!, v));
    case 'map':
      if (schema.keySchema!.type === 'string') {
        return Object.fromEntries(
          [...(value as Map<string, unknown>)].map(([k, v]) => [k, avroDefault(schema.valueSchema!, v)]),
        );
      }
      return [...(value as Map<unknown, unknown>)].map(([k, v]) => ({
        key: avroDefault(schema.keySchema!, k),
        value: avroDefault(schema.valueSchema!, v),
      }));
    case 'struct': {
      const struct = value as Record<string, unknown>;
      const names = avroFieldNames(schema);
      return Object.fromEntries(
        (schema.fields ?? []).map((f, i) => [names[i], avroDefault(f.schema, struct[f.name] ?? null)]),
      );
    }
    default:
      return value;
  }
}

// ---- Avro → record model -------------------------------------------------------------

const primitiveTypes: Record<string, Schema['type']> = {
  boolean: 'boolean',
  int: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  bytes: 'bytes',
  string: 'string',
};

/** Names Avro's own logical types get when the writer was not a Connect converter. */
const logicalTypeNames: Record<string, string> = {
  date: LogicalName.Date,
  'time-millis': LogicalName.Time,
  'timestamp-millis': LogicalName.Timestamp,
  'time-micros': LogicalName.MicroTime,
  'timestamp-micros': LogicalName.MicroTimestamp,
};

/** The record-model schema of an Avro schema (as parsed JSON), e.g. a writer schema from the registry. */
export function fromAvroSchema(avroSchema: AvroJson): Schema {
  return new AvroToConnect().convert(avroSchema, undefined, 'schema');
}

type AvroObject = { [key: string]: unknown };

class AvroToConnect {
  private readonly named = new Map<string, Schema>();

  convert(avro: unknown, namespace: string | undefined, path: string): Schema {
    if (typeof avro === 'string') return this.reference(avro, namespace, path);
    if (Array.isArray(avro)) return this.union(avro, namespace, path);
    if (avro === null || typeof avro !== 'object') throw new DataError(`${path}: not an Avro schema`);
    const object = avro as AvroObject;
    const type = object.type;
    if (typeof type === 'string' && type in primitiveTypes) return this.primitive(object, type);
    switch (type) {
      case 'record':
        return this.record(object, namespace, path);
      case 'array':
        return this.array(object, namespace, path);
      case 'map':
        return {
          type: 'map',
          optional: false,
          keySchema: { type: 'string', optional: false },
          valueSchema: this.convert(object.values, namespace, `${path}.values`),
        };
      case 'enum':
        return this.enumeration(object, namespace);
      case 'fixed':
        return this.fixed(object, namespace);
      default:
        if (typeof type === 'object') return this.convert(type, namespace, path);
        throw new DataError(`${path}: Avro type ${JSON.stringify(type)} has no record-model equivalent`);
    }
  }

  private reference(name: string, namespace: string | undefined, path: string): Schema {
    if (name in primitiveTypes) return { type: primitiveTypes[name]!, optional: false };
    const known =
      this.named.get(name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`) ??
      this.named.get(name);
    if (known === undefined) throw new DataError(`${path}: unknown Avro type name ${name}`);
    return known;
  }

  private union(branches: unknown[], namespace: string | undefined, path: string): Schema {
    const nonNull = branches.filter((b) => b !== 'null');
    if (nonNull.length !== 1 || branches.length > 2) {
      throw new DataError(`${path}: Avro unions other than [null, T] have no record-model equivalent`);
    }
    const inner = this.convert(nonNull[0], namespace, path);
    return branches.length === 2 ? { ...inner, optional: true } : inner;
  }

  private primitive(object: AvroObject, avroType: string): Schema {
    let schema: Schema = { type: primitiveTypes[avroType]!, optional: false };
    const connectType = object['connect.type'];
    if ((connectType === 'int8' || connectType === 'int16') && avroType === 'int')
      schema = { ...schema, type: connectType };
    schema = withConnectProps(schema, object);
    if (typeof object['connect.doc'] === 'string') schema = { ...schema, doc: object['connect.doc'] };
    if (schema.name === undefined && typeof object.logicalType === 'string') {
      if (object.logicalType === 'decimal' && avroType === 'bytes') {
        const parameters: Record<string, string> = { scale: String(object.scale ?? 0) };
        if (object.precision !== undefined)
          parameters['connect.decimal.precision'] = String(object.precision);
        schema = { ...schema, name: LogicalName.Decimal, version: 1, parameters };
      } else if (logicalTypeNames[object.logicalType] !== undefined) {
        schema = { ...schema, name: logicalTypeNames[object.logicalType], version: 1 };
      }
    }
    return { ...schema, optional: false };
  }

  private record(object: AvroObject, namespace: string | undefined, path: string): Schema {
    const name = String(object.name);
    const ns = name.includes('.')
      ? undefined
      : typeof object.namespace === 'string'
        ? object.namespace || undefined
        : namespace;
    const fullName = ns === undefined ? name : `${ns}.${name}`;
    const childNamespace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    if (!Array.isArray(object.fields)) throw new DataError(`${path}: record ${fullName} has no fields array`);
    const fields: Field[] = [];
    const placeholder: { -readonly [K in keyof Schema]: Schema[K] } = {
      type: 'struct',
      optional: false,
      fields,
    };
    // Names the converter made up for unnamed structs and map entries are not record-model names.
    const isDefaultName =
      childNamespace === connectNamespace &&
      (name.startsWith(defaultRecordName) || name.startsWith(mapEntryName));
    const connectName =
      typeof object['connect.name'] === 'string'
        ? object['connect.name']
        : isDefaultName
          ? undefined
          : fullName;
    if (connectName !== undefined) placeholder.name = connectName;
    if (typeof object.doc === 'string') placeholder.doc = object.doc;
    if (typeof object['connect.version'] === 'number') placeholder.version = object['connect.version'];
    if (isStringRecord(object['connect.parameters'])) placeholder.parameters = object['connect.parameters'];
    this.named.set(fullName, placeholder);
    (object.fields as AvroObject[]).forEach((f, index) => {
      const fieldName = String(f.name);
      let schema = this.convert(f.type, childNamespace, `${path}.${fieldName}`);
      if (f.default !== undefined && f.default !== null)
        schema = { ...schema, defaultValue: fromAvroDefault(schema, f.default) };
      fields.push({ name: fieldName, index, schema });
    });
    return placeholder;
  }

  private array(object: AvroObject, namespace: string | undefined, path: string): Schema {
    const items = object.items;
    const itemSchema = this.convert(items, namespace, `${path}.items`);
    const entryFields = itemSchema.fields;
    const itemName =
      typeof items === 'string'
        ? items
        : qualify(String((items as AvroObject).name), (items as AvroObject).namespace, namespace);
    const isMapEntry =
      itemName.startsWith(`${connectNamespace}.${mapEntryName}`) &&
      entryFields?.length === 2 &&
      entryFields[0]!.name === 'key' &&
      entryFields[1]!.name === 'value';
    if (isMapEntry) {
      return {
        type: 'map',
        optional: false,
        keySchema: entryFields[0]!.schema,
        valueSchema: entryFields[1]!.schema,
      };
    }
    return { type: 'array', optional: false, valueSchema: itemSchema };
  }

  private enumeration(object: AvroObject, namespace: string | undefined): Schema {
    const symbols = Array.isArray(object.symbols) ? object.symbols.map(String) : [];
    const schema: Schema = {
      type: 'string',
      optional: false,
      name: LogicalName.Enum,
      version: 1,
      parameters: { allowed: symbols.join(',') },
    };
    this.named.set(qualify(String(object.name), object.namespace, namespace), schema);
    return schema;
  }

  private fixed(object: AvroObject, namespace: string | undefined): Schema {
    let schema: Schema = { type: 'bytes', optional: false };
    if (object.logicalType === 'decimal') {
      schema = {
        ...schema,
        name: LogicalName.Decimal,
        version: 1,
        parameters: {
          scale: String(object.scale ?? 0),
          'connect.decimal.precision': String(object.precision),
        },
      };
    }
    this.named.set(qualify(String(object.name), object.namespace, namespace), schema);
    return schema;
  }
}

function qualify(name: string, ownNamespace: unknown, enclosing: string | undefined): string {
  if (name.includes('.')) return name;
  const ns = typeof ownNamespace === 'string' ? ownNamespace : enclosing;
  return ns ? `${ns}.${name}` : name;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function withConnectProps(schema: Schema, object: AvroObject): Schema {
  let result = schema;
  if (typeof object['connect.name'] === 'string') result = { ...result, name: object['connect.name'] };
  if (typeof object['connect.version'] === 'number')
    result = { ...result, version: object['connect.version'] };
  if (isStringRecord(object['connect.parameters']))
    result = { ...result, parameters: object['connect.parameters'] };
  return result;
}

/** An Avro JSON default as a record-model value. */
function fromAvroDefault(schema: Schema, json: unknown): unknown {
  switch (schema.type) {
    case 'int64':
      return BigInt(json as number);
    case 'bytes': {
      const bytes = Buffer.from(json as string, 'latin1');
      if (schema.name === LogicalName.Decimal)
        return unscaledToDecimal(bytesToUnscaled(bytes), Number(schema.parameters?.scale ?? '0'));
      return bytes;
    }
    case 'array':
      return (json as unknown[]).map((v) => fromAvroDefault(schema.valueSchema!, v));
    case 'map':
      if (Array.isArray(json)) {
        return new Map(
          (json as { key: unknown; value: unknown }[]).map((e) => [
            fromAvroDefault(schema.keySchema!, e.key),
            fromAvroDefault(schema.valueSchema!, e.value),
          ]),
        );
      }
      return new Map(
        Object.entries(json as object).map(([k, v]) => [k, fromAvroDefault(schema.valueSchema!, v)]),
      );
    case 'struct': {
      const object = json as Record<string, unknown>;
      return Object.fromEntries(
        (schema.fields ?? []).map((f) => [
          f.name,
          object[f.name] === undefined || object[f.name] === null
            ? null
            : fromAvroDefault(f.schema, object[f.name]),
        ]),
      );
    }
    default:
      return json;
  }
}
