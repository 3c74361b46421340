/**
 * A schema's identity for lookup and registration, as Confluent compares parsed schemas
 * rather than their text: the same Avro schema written with or without nested namespaces
 * (Avro Java's `Schema.toString()` drops the ones a name inherits), with its keys in any
 * order, with whitespace, or with `{"type": "string"}` for `"string"`, has one canonical
 * form. Everything that changes what a reader sees (names, fields, defaults, doc, order,
 * aliases and custom properties such as `connect.name`) stays part of it.
 */

const primitives = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const namedTypes = new Set(['record', 'error', 'enum', 'fixed']);

/** The canonical JSON text of an Avro schema text; throws when `text` is not JSON. */
export function canonicalSchema(text: string): string {
  return JSON.stringify(canonical(JSON.parse(text) as unknown, undefined));
}

function canonical(schema: unknown, namespace: string | undefined): unknown {
  if (typeof schema === 'string') return primitives.has(schema) ? schema : fullName(schema, namespace);
  if (Array.isArray(schema)) return schema.map((branch) => canonical(branch, namespace));
  if (schema === null || typeof schema !== 'object') return schema;
  const object = schema as Record<string, unknown>;
  const type = object.type;
  if (typeof type !== 'string' || (!primitives.has(type) && !namedTypes.has(type) && !isContainer(type))) {
    // {"type": {...}} or {"type": "some.Name"}: the inner schema is what counts.
    if (Object.keys(object).length === 1) return canonical(type, namespace);
  }
  if (typeof type === 'string' && primitives.has(type) && Object.keys(object).length === 1) return type;
  const result: Record<string, unknown> = {};
  let innerNamespace = namespace;
  if (typeof type === 'string' && namedTypes.has(type) && typeof object.name === 'string') {
    const ownNamespace = typeof object.namespace === 'string' ? object.namespace || undefined : namespace;
    const name = fullName(object.name, ownNamespace);
    result.name = name;
    innerNamespace = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : undefined;
  }
  for (const [key, value] of Object.entries(object)) {
    if (key === 'name' || key === 'namespace') continue;
    if (key === 'fields' && Array.isArray(value)) {
      result.fields = value.map((field) => canonicalField(field, innerNamespace));
    } else if (key === 'items' || key === 'values' || (key === 'type' && typeof value !== 'string')) {
      result[key] = canonical(value, innerNamespace);
    } else {
      result[key] = sortedKeys(value);
    }
  }
  return sortedKeys(result, false);
}

function canonicalField(field: unknown, namespace: string | undefined): unknown {
  if (field === null || typeof field !== 'object') return field;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(field as Record<string, unknown>)) {
    result[key] = key === 'type' ? canonical(value, namespace) : sortedKeys(value);
  }
  return sortedKeys(result, false);
}

function isContainer(type: string): boolean {
  return type === 'array' || type === 'map';
}

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`;
}

/** Object keys sorted (recursively unless `deep` is false, for already canonical children). */
function sortedKeys(value: unknown, deep = true): unknown {
  if (Array.isArray(value)) return deep ? value.map((v) => sortedKeys(v)) : value;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => {
        const child = (value as Record<string, unknown>)[key];
        return [key, deep ? sortedKeys(child) : child];
      }),
  );
}
