import { DataError } from '../../runtime/plugin/index.js';

/**
 * PostgreSQL log sequence numbers: "16/B374D848" on the wire and in SQL, a 64-bit
 * integer in offsets (Debezium stores them as numbers; real LSNs stay far below 2^53).
 */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) throw new DataError(`"${text}" is not a PostgreSQL LSN (expected hex "X/Y")`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** An LSN as an offset number; throws rather than silently losing precision. */
export function lsnToNumber(lsn: bigint): number {
  if (lsn > BigInt(Number.MAX_SAFE_INTEGER))
    throw new Error(`LSN ${formatLsn(lsn)} exceeds 2^53 and cannot be stored`);
  return Number(lsn);
}
