import { DataError } from '../plugin/errors.js';

/**
 * Decimal values travel as decimal strings ("-12.340") in the record model and as a
 * big-endian two's-complement unscaled integer in Avro and Kafka Connect's bytes form.
 */

const decimalText = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Parses a decimal string into its unscaled integer at `scale`, or explains what is wrong. */
export function decimalToUnscaled(text: string, scale: number): bigint {
  const match = decimalText.exec(text);
  if (!match) throw new DataError(`"${text}" is not a decimal number such as -12.34`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) {
    const trimmed = fraction.replace(/0+$/, '');
    if (trimmed.length > scale) {
      throw new DataError(`"${text}" has ${trimmed.length} fraction digits, more than the scale ${scale}`);
    }
  }
  const digits = `${whole}${fraction.slice(0, scale).padEnd(scale, '0')}`;
  const unscaled = BigInt(digits);
  return sign === '-' ? -unscaled : unscaled;
}

/** The decimal string of an unscaled integer at `scale`, with exactly `scale` fraction digits. */
export function unscaledToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Number of significant digits of the unscaled value (what a column's precision limits). */
export function unscaledPrecision(unscaled: bigint): number {
  return (unscaled < 0n ? -unscaled : unscaled).toString().length;
}

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** Big-endian two's complement in the fewest bytes (Java's BigInteger.toByteArray). */
export function unscaledToBytes(unscaled: bigint): Buffer {
  if (unscaled <= maxSafe && unscaled >= -maxSafe) return safeIntegerBytes(Number(unscaled));
  const length = byteLength(unscaled);
  const hex = BigInt.asUintN(8 * length, unscaled)
    .toString(16)
    .padStart(2 * length, '0');
  return Buffer.from(hex, 'hex');
}

/** unscaledToBytes for |value| ≤ 2^53 - 1, in exact double arithmetic instead of hex texts. */
function safeIntegerBytes(value: number): Buffer {
  // The fewest bytes whose signed range holds the value: magnitude < 2^(8·length - 1).
  const magnitude = value < 0 ? -value - 1 : value;
  let length = 1;
  while (magnitude >= 2 ** (8 * length - 1)) length++;
  const bytes = Buffer.allocUnsafe(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    const low = rest % 256;
    bytes[i] = low < 0 ? low + 256 : low;
    rest = Math.floor(rest / 256);
  }
  return bytes;
}

export function bytesToUnscaled(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  return BigInt.asIntN(bytes.length * 8, unsigned);
}

function byteLength(value: bigint): number {
  // Bits needed for the magnitude plus one sign bit, rounded up to whole bytes.
  const magnitude = value < 0n ? -value - 1n : value;
  return Math.floor(magnitude.toString(2).length / 8) + 1;
}
