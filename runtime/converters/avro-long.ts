import avro from 'avsc';

/**
 * Avro `long` as bigint. avsc's default long is a JavaScript number and throws (or
 * loses digits) past 2^53; PostgreSQL bigint and microsecond timestamps need all 64 bits.
 */
export const bigintLongType = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (json: number | string | bigint) => BigInt(json),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** avsc `typeHook` that swaps every `long` for bigintLongType; pass it to Type.forSchema. */
export function bigintLongHook(schema: unknown): avro.Type | undefined {
  const isLong =
    schema === 'long' ||
    (typeof schema === 'object' &&
      schema !== null &&
      !Array.isArray(schema) &&
      (schema as { type?: unknown }).type === 'long');
  return isLong ? bigintLongType : undefined;
}
