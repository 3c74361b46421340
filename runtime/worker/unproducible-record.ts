import type { SourceRecord } from '../record/index.js';

/**
 * A source record the broker refuses (larger than the topic's max.message.bytes, even
 * compressed), described so a person finds the row: topic, table (from a Debezium
 * envelope's source block), key and source position.
 */
export function isRecordTooLarge(error: unknown): boolean {
  // kafkajs' error, possibly wrapped (StageError) with it as the cause.
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

const maxKeyText = 200;

export function describeRecord(record: SourceRecord, bytes: number): string {
  const source = (record.value as { source?: Record<string, unknown> } | null)?.source;
  const table = source
    ? [source['db'], source['schema'], source['table']]
        .filter((p) => typeof p === 'string' && p !== '')
        .join('.')
    : '';
  const key = JSON.stringify(record.key, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `<${v.length} bytes>` : v,
  );
  const keyText = key === undefined ? 'null' : key.length > maxKeyText ? `${key.slice(0, maxKeyText)}…` : key;
  return (
    `record of ${bytes} bytes for topic ${record.topic}${table ? `, table ${table}` : ''}, key ${keyText}, ` +
    `source position ${JSON.stringify(record.sourceOffset)} is larger than the broker accepts; ` +
    "raise the topic's max.message.bytes (topic.creation.default.max.message.bytes) and the broker's, or compress (producer.compression.type=gzip)"
  );
}
