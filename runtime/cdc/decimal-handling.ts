import { DataError } from '../plugin/index.js';
import type { Schema, Struct } from '../record/index.js';
import { bytes, int32, named, optional as optionalSchema, struct, withDoc } from '../record/index.js';

/**
 * `decimal.handling.mode`: how exact numerics (NUMERIC/DECIMAL, MONEY) are emitted.
 *  - precise: Kafka Connect `Decimal` (fixed scale) or Debezium `VariableScaleDecimal`
 *    (no declared scale); NaN and ±Infinity cannot be represented and become null.
 *  - double: float64 (NaN and ±Infinity kept).
 *  - string: the plain decimal text ("NaN", "Infinity", "-Infinity" kept).
 */
export type DecimalHandlingMode = 'precise' | 'double' | 'string';
export const decimalHandlingModes: readonly DecimalHandlingMode[] = ['precise', 'double', 'string'];

export const connectDecimalName = 'org.apache.kafka.connect.data.Decimal';
export const variableScaleDecimalName = 'io.debezium.data.VariableScaleDecimal';

/** Schema for an exact numeric; `scale` undefined means a variable scale (NUMERIC without typmod). */
export function decimalSchema(
  mode: DecimalHandlingMode,
  precision: number | undefined,
  scale: number | undefined,
  optional: boolean,
): Schema {
  if (mode === 'double') return { type: 'float64', optional };
  if (mode === 'string') return { type: 'string', optional };
  if (scale === undefined) {
    const variableScale = withDoc(
      named(
        struct(undefined, [
          ['scale', int32()],
          ['value', bytes()],
        ]),
        variableScaleDecimalName,
        { version: 1 },
      ),
      'Variable scaled decimal',
    );
    return optional ? optionalSchema(variableScale) : variableScale;
  }
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
  return { type: 'bytes', optional, name: connectDecimalName, version: 1, parameters };
}

const specialValues = new Map<string, number>([
  ['nan', Number.NaN],
  ['infinity', Number.POSITIVE_INFINITY],
  ['+infinity', Number.POSITIVE_INFINITY],
  ['-infinity', Number.NEGATIVE_INFINITY],
]);

/**
 * The value for `decimalSchema` from a plain decimal text ("-12.340", "NaN", "Infinity").
 * A fixed scale rescales the text to exactly `scale` fraction digits.
 */
export function decimalValue(mode: DecimalHandlingMode, text: string, scale: number | undefined): unknown {
  const special = specialValues.get(text.toLowerCase());
  if (mode === 'double') return special ?? Number(text);
  if (mode === 'string') return special === undefined ? text : specialText(special);
  if (special !== undefined) return null;
  if (scale === undefined) return variableScaleValue(text);
  return rescale(text, scale);
}

function specialText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Splits a decimal text into sign, integer digits and fraction digits; throws on bad input. */
function parts(text: string): { negative: boolean; int: string; frac: string } {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (match === null || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new DataError(`"${text}" is not a decimal number`);
  }
  let int = match[2] ?? '';
  let frac = match[3] ?? '';
  const exponent = Number(match[4] ?? '0');
  if (exponent > 0) {
    const moved = frac.padEnd(exponent, '0');
    int += moved.slice(0, exponent);
    frac = moved.slice(exponent);
  } else if (exponent < 0) {
    const padded = int.padStart(-exponent, '0');
    frac = padded.slice(padded.length + exponent) + frac;
    int = padded.slice(0, padded.length + exponent);
  }
  return { negative: match[1] === '-', int: int.replace(/^0+(?=\d)/, '') || '0', frac };
}

/** "1.5" at scale 3 → "1.500"; extra fraction digits are rounded half-up. */
export function rescale(text: string, scale: number): string {
  const { negative, int, frac } = parts(text);
  let unscaled = BigInt(int + frac.slice(0, scale).padEnd(scale, '0'));
  const dropped = frac.slice(scale);
  if (dropped.length > 0 && Number(dropped[0]) >= 5) unscaled += 1n;
  return formatUnscaled(negative ? -unscaled : unscaled, scale);
}

export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const body =
    scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative && unscaled !== 0n ? `-${body}` : body;
}

/** Debezium's VariableScaleDecimal: `{scale, value}` with value the two's complement big-endian unscaled integer. */
export function variableScaleValue(text: string): Struct {
  const { negative, int, frac } = parts(text);
  const unscaled = BigInt(int + frac) * (negative ? -1n : 1n);
  return { scale: frac.length, value: unscaledBytes(unscaled) };
}

/** Java BigInteger.toByteArray(): minimal two's complement, big-endian. */
export function unscaledBytes(value: bigint): Buffer {
  let hex = (value < 0n ? -value : value).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (value >= 0n) {
    if (bytes.length === 0 || (bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return bytes;
  }
  // Negative: two's complement of the magnitude over enough bytes to keep the sign bit.
  let length = bytes.length;
  const magnitude = -value;
  if (magnitude > 1n << BigInt(length * 8 - 1)) length++;
  const twos = (1n << BigInt(length * 8)) + value;
  return Buffer.from(twos.toString(16).padStart(length * 2, '0'), 'hex');
}
