import type { SourceRecord } from '../record/index.js';

/**
 * Roughly what a queued source record holds on the heap, for `max.queue.size.in.bytes`:
 * its key, value and headers walked (strings by length, binary by byte length, a fixed
 * cost per object, property and number). Schemas are shared between records and not
 * counted. An estimate, as Debezium's is: it bounds memory in proportion, cheaply.
 */
export function approximateRecordBytes(record: SourceRecord): number {
  let bytes = recordOverhead + valueBytes(record.key) + valueBytes(record.value);
  for (const header of record.headers ?? []) bytes += slot + header.key.length + valueBytes(header.value);
  return bytes;
}

/** The record object, its topic, source partition and offset (small, flat objects). */
const recordOverhead = 256;
/** A property or array element: its pointer and share of the hidden class. */
const slot = 16;
const objectHeader = 32;

function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return objectHeader + value.length;
    case 'object': {
      if (value === null) return 0;
      if (ArrayBuffer.isView(value)) return objectHeader * 2 + value.byteLength;
      if (value instanceof Date) return objectHeader;
      let bytes = objectHeader;
      if (Array.isArray(value)) {
        for (const element of value) bytes += slot + valueBytes(element);
      } else {
        for (const key in value) bytes += slot + valueBytes((value as Record<string, unknown>)[key]);
      }
      return bytes;
    }
    case 'bigint':
      return objectHeader;
    default:
      return 0; // numbers and booleans live in their slot
  }
}
