import avro from 'avsc';
import { bigintLongHook } from './avro-long.js';

/**
 * avsc builds a decoded record with `this.<field> = value`; for a field named `__proto__`
 * that sets the prototype instead, and the value is lost. Avro binary does not carry field
 * names, so inside avsc such a field takes another name (same position, same bytes) while
 * the registered schema keeps `__proto__`; avro-value.ts reads and writes it under this key.
 */
const AVSC_PROTO_KEY = 'siphon__proto__field';

/** The key avsc holds an Avro field's value under. */
export function avscKey(avroFieldName: string): string {
  return avroFieldName === '__proto__' ? AVSC_PROTO_KEY : avroFieldName;
}

/** The converters' avsc `typeHook`: bigint longs (avro-long.ts) and the `__proto__` field. */
export function avscTypeHook(schema: unknown, options: avro.ForSchemaOptions): avro.Type | undefined {
  const long = bigintLongHook(schema);
  if (long !== undefined) return long;
  const record = schema as { type?: unknown; fields?: { name?: unknown }[] } | null;
  if (typeof record !== 'object' || record === null || record.type !== 'record') return undefined;
  if (!record.fields?.some((field) => field.name === '__proto__')) return undefined;
  return avro.Type.forSchema(
    {
      ...record,
      fields: record.fields.map((field) =>
        field.name === '__proto__' ? { ...field, name: AVSC_PROTO_KEY } : field,
      ),
    } as avro.Schema,
    options,
  );
}
