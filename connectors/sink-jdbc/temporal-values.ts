/**
 * Debezium's temporal encodings (days, ms, µs, ns since the epoch or midnight; ISO strings
 * with an offset) as the SQL literals both dialects accept for their date/time columns,
 * computed with bigint so microseconds and nanoseconds are exact.
 */
const MICROS_PER_DAY = 86_400_000_000n;

export function daysToDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) from microseconds since the epoch. */
export function microsToTimestamp(micros: bigint): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  return `${daysToDate(Number(days))} ${microsToTime(rest)}`;
}

/** `HH:MM:SS.ffffff` from microseconds since midnight. */
export function microsToTime(micros: bigint): string {
  const totalSeconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  const hours = totalSeconds / 3600n;
  const minutes = (totalSeconds / 60n) % 60n;
  const seconds = totalSeconds % 60n;
  const two = (n: bigint) => n.toString().padStart(2, '0');
  return `${two(hours)}:${two(minutes)}:${two(seconds)}.${fraction}`;
}

export function toMicros(value: unknown, unitsPerSecond: 1_000n | 1_000_000n | 1_000_000_000n): bigint {
  const units = typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)));
  if (unitsPerSecond === 1_000n) return units * 1000n;
  if (unitsPerSecond === 1_000_000_000n) return units / 1000n;
  return units;
}

/**
 * An ISO-8601 timestamp with offset (ZonedTimestamp) as a UTC `YYYY-MM-DD HH:MM:SS.ffffff`,
 * for databases without a zoned type (MySQL/MariaDB DATETIME).
 */
export function zonedToUtc(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(
    iso.trim(),
  );
  if (!match) throw new Error(`"${iso}" is not an ISO-8601 timestamp with an offset`);
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const offset =
    zone === 'Z'
      ? 'Z'
      : zone.length === 3
        ? `${zone}:00`
        : zone.includes(':')
          ? zone
          : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const millis = Date.parse(`${date}T${time}${offset}`);
  if (Number.isNaN(millis)) throw new Error(`"${iso}" is not a valid timestamp`);
  const micros = BigInt(millis) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
  return microsToTimestamp(micros);
}

/** An ISO-8601 time with offset (ZonedTime) in UTC, `HH:MM:SS.ffffff`. */
export function zonedTimeToUtc(iso: string): string {
  return zonedToUtc(`1970-01-02T${iso}`).slice(11);
}
