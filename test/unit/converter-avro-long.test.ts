import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { bigintLongHook } from '../../runtime/converters/avro-long.js';
import { RandomRecords } from '../support/random-records.js';

/** Avro's long encoding, written the obvious way: zigzag, then 7 bits a byte, low first. */
function referenceEncoding(value: bigint): Buffer {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (zigzag >= 0x80n) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  bytes.push(Number(zigzag));
  return Buffer.from(bytes);
}

const type = avro.Type.forSchema('long', { typeHook: bigintLongHook as never });
const record = avro.Type.forSchema(
  {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'a', type: 'long' },
      { name: 'b', type: ['null', 'long'] },
      { name: 'c', type: { type: 'array', items: 'long' } },
    ],
  },
  { typeHook: bigintLongHook as never },
);

function values(): bigint[] {
  const edges = [0n, 1n, -1n, 63n, -64n, 64n, 2n ** 52n - 1n, -(2n ** 52n) + 1n, 2n ** 52n, -(2n ** 52n)];
  edges.push(2n ** 53n, -(2n ** 53n), 2n ** 56n - 1n, 2n ** 56n, 2n ** 63n - 1n, -(2n ** 63n));
  edges.push(1_764_780_000_000_000_123n, -1_764_780_000_000_000_123n, 1_764_780_000_000_000n);
  for (let bits = 1; bits < 63; bits++)
    edges.push(2n ** BigInt(bits) - 1n, 2n ** BigInt(bits), -(2n ** BigInt(bits)));
  const random = new RandomRecords(17);
  for (let i = 0; i < 5000; i++) {
    const bits = BigInt(1 + random.int(63));
    const magnitude = (BigInt(random.int(2 ** 30)) * 2n ** 33n + BigInt(random.int(2 ** 30))) % 2n ** bits;
    edges.push(random.chance(0.5) ? magnitude : -magnitude - 1n);
  }
  return edges;
}

describe('Avro long as bigint', () => {
  it('writes and reads every 64-bit value as Avro encodes it', () => {
    for (const value of values()) {
      const expected = referenceEncoding(value);
      const written = type.toBuffer(value);
      assert.deepEqual(written, expected, `${value}`);
      assert.equal(type.fromBuffer(expected), value, `${value}`);
    }
  });

  it('round-trips inside records, unions and arrays, however small the buffer avsc starts with', () => {
    const all = values();
    for (let i = 0; i + 3 < all.length; i += 3) {
      const value = { a: all[i]!, b: i % 2 ? null : all[i + 1]!, c: [all[i + 2]!, all[i + 3]!] };
      const bytes = record.toBuffer(value);
      assert.deepEqual({ ...record.fromBuffer(bytes) }, value); // avsc reads into its record class
      // encode into a buffer too small: avsc reports a negative position rather than writing past it.
      const small = Buffer.alloc(4);
      const position = record.encode(value, small);
      assert.ok(position === bytes.length || position < 0, `${position}`);
    }
  });

  it('refuses what is not a 64-bit bigint and reads no value from a truncated buffer', () => {
    for (const bad of [1, '1', 2n ** 63n, -(2n ** 63n) - 1n])
      assert.throws(() => type.toBuffer(bad as never));
    const truncated = referenceEncoding(2n ** 62n).subarray(0, 5);
    assert.throws(() => type.fromBuffer(truncated), /truncated/);
  });
});
