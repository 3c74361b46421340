/**
 * Record-model values (structs, maps, arrays, int64 as bigint, bytes) as JSON text for
 * json/jsonb columns. Big integers keep every digit; bytes become base64 as in Kafka
 * Connect's JsonConverter.
 */
export function toJsonText(value: unknown): string {
  return write(value);
}

function write(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  const entries =
    value instanceof Map ? [...value.entries()] : Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${JSON.stringify(String(key))}:${write(item)}`).join(',')}}`;
}
