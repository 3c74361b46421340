import { DataError } from '../../runtime/plugin/index.js';

/**
 * Debezium's temporal encodings (days, ms, µs, ns since the epoch or midnight; ISO strings
 * with an offset) as the SQL literals each target accepts, computed with bigint so
 * microseconds and nanoseconds are exact. PostgreSQL holds ±infinity and BC values; MySQL
 * and MariaDB hold years 1 to 9999 and TIME within ±838:59:59.999999: anything else is
 * refused (TemporalRangeError, which names the value) or, with
 * `temporal.out.of.range.mode=clamp`, replaced by the nearest value the target holds.
 */
const MICROS_PER_DAY = 86_400_000_000n;

/** How a target treats a value outside its range. */
export type TemporalTarget = 'postgresql' | 'mysql' | 'mysql-clamp';

/** A value the target column cannot hold; the sink names the column around it. */
class TemporalRangeError extends DataError {
  override readonly name: string = 'TemporalRangeError';
}

/** Debezium's ±infinity: the extreme int32 days, the extreme int64 micros (scaled: compared by magnitude). */
const INFINITY_DAYS = 2147483647;
const NEGATIVE_INFINITY_DAYS = -2147483648;
const INFINITY_MICROS = 9223372036854775000n;

const MYSQL_MIN = { date: '0001-01-01', timestamp: '0001-01-01 00:00:00.000000' };
const MYSQL_MAX = { date: '9999-12-31', timestamp: '9999-12-31 23:59:59.999999' };
const MYSQL_TIME_LIMIT_MICROS = (838n * 3600n + 59n * 60n + 59n) * 1_000_000n + 999_999n;

function pad(value: bigint | number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Proleptic Gregorian civil date of a day count (astronomical years: 0 is 1 BC). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** The year range MySQL/MariaDB DATE and DATETIME hold: refused, or clamped to its ends. */
function mysqlRange(year: number, target: TemporalTarget, what: string): 'min' | 'max' | null {
  if (target === 'postgresql' || (year >= 1 && year <= 9999)) return null;
  if (target === 'mysql-clamp') return year < 1 ? 'min' : 'max';
  throw new TemporalRangeError(
    `${what} is outside the years 1 to 9999 that MySQL/MariaDB hold; set temporal.out.of.range.mode=clamp to store the nearest value`,
  );
}

/** `YYYY-MM-DD`, with PostgreSQL's ` BC` suffix for years before 1 (astronomical year 0 is 1 BC). */
function civilText(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const text = `${pad(year < 1 ? 1 - year : year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  return year < 1 ? `${text} BC` : text;
}

function infinity(positive: boolean, target: TemporalTarget, kind: 'date' | 'timestamp'): string {
  const word = positive ? 'infinity' : '-infinity';
  const nearest = (positive ? MYSQL_MAX : MYSQL_MIN)[kind];
  if (target === 'postgresql') return word;
  if (target === 'mysql-clamp') return nearest;
  throw new TemporalRangeError(
    `${word} has no MySQL/MariaDB ${kind === 'date' ? 'DATE' : 'DATETIME'}; set temporal.out.of.range.mode=clamp to store ${nearest}`,
  );
}

/** A date (days since the epoch) as `YYYY-MM-DD`, PostgreSQL's `… BC` or `infinity`. */
export function dateLiteral(days: number, target: TemporalTarget): string {
  if (days >= INFINITY_DAYS || days <= NEGATIVE_INFINITY_DAYS) return infinity(days > 0, target, 'date');
  const text = civilText(days);
  const clamp = mysqlRange(civilFromDays(days).year, target, `date ${text}`);
  return clamp === null ? text : clamp === 'min' ? MYSQL_MIN.date : MYSQL_MAX.date;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) from microseconds since the epoch; `infinity` and `… BC` for PostgreSQL. */
export function timestampLiteral(micros: bigint, target: TemporalTarget): string {
  if (micros >= INFINITY_MICROS || micros <= -INFINITY_MICROS)
    return infinity(micros > 0n, target, 'timestamp');
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const date = civilText(Number(days));
  const text = date.endsWith(' BC')
    ? `${date.slice(0, -3)} ${timeOfDay(rest)} BC`
    : `${date} ${timeOfDay(rest)}`;
  const clamp = mysqlRange(civilFromDays(Number(days)).year, target, `timestamp ${text}`);
  return clamp === null ? text : clamp === 'min' ? MYSQL_MIN.timestamp : MYSQL_MAX.timestamp;
}

/**
 * A time as `HH:MM:SS.ffffff` from microseconds since midnight. MySQL TIME is a signed
 * duration (`-12:34:56.123456`, `838:59:59`); PostgreSQL `time` holds 00:00:00 to 24:00:00.
 */
export function timeLiteral(micros: bigint, target: TemporalTarget): string {
  if (target === 'postgresql') {
    if (micros < 0n || micros > MICROS_PER_DAY) {
      throw new TemporalRangeError(
        `time ${signedDuration(micros)} is outside 00:00:00 to 24:00:00, all a PostgreSQL time column holds; use an interval column for MySQL TIME durations`,
      );
    }
    return timeOfDay(micros);
  }
  if (micros > MYSQL_TIME_LIMIT_MICROS || micros < -MYSQL_TIME_LIMIT_MICROS) {
    if (target === 'mysql-clamp') return micros > 0n ? '838:59:59.999999' : '-838:59:59.999999';
    throw new TemporalRangeError(
      `time ${signedDuration(micros)} is outside MySQL/MariaDB TIME's ±838:59:59.999999`,
    );
  }
  return signedDuration(micros);
}

function signedDuration(micros: bigint): string {
  return micros < 0n ? `-${timeOfDay(-micros)}` : timeOfDay(micros);
}

/** `HH:MM:SS.ffffff` for non-negative microseconds; hours may exceed 23. */
function timeOfDay(micros: bigint): string {
  const totalSeconds = micros / 1_000_000n;
  const fraction = pad(micros % 1_000_000n, 6);
  return `${pad(totalSeconds / 3600n, 2)}:${pad((totalSeconds / 60n) % 60n, 2)}:${pad(totalSeconds % 60n, 2)}.${fraction}`;
}

export function toMicros(value: unknown, unitsPerSecond: 1_000n | 1_000_000n | 1_000_000_000n): bigint {
  const units = typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)));
  if (unitsPerSecond === 1_000n) return units * 1000n;
  if (unitsPerSecond === 1_000_000_000n) return units / 1000n;
  return units;
}

const ZONED =
  /^([+-]?\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/** Microseconds since the epoch of an ISO-8601 timestamp with offset (years may be signed or have more than 4 digits). */
function zonedToMicros(iso: string): bigint {
  const match = ZONED.exec(iso.trim());
  if (!match) throw new DataError(`"${iso}" is not an ISO-8601 timestamp with an offset`);
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = '', zone = 'Z'] =
    match;
  const days = daysFromCivil(Number(year), Number(month), Number(day));
  const offsetSeconds =
    zone === 'Z'
      ? 0n
      : (zone.startsWith('-') ? -1n : 1n) *
        (BigInt(Number(zone.slice(1, 3))) * 3600n +
          BigInt(Number(zone.replace(':', '').slice(3, 5) || '0')) * 60n);
  const seconds = BigInt(Number(hour)) * 3600n + BigInt(Number(minute)) * 60n + BigInt(Number(second));
  return (
    BigInt(days) * MICROS_PER_DAY +
    (seconds - offsetSeconds) * 1_000_000n +
    BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0')
  );
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * A ZonedTimestamp for the target: PostgreSQL timestamptz keeps the text as it is, except
 * ±infinity and years outside 1..9999 (BC, `+10000`), which it only reads as UTC literals;
 * MySQL/MariaDB DATETIME gets it converted to UTC.
 */
export function zonedTimestampLiteral(iso: string, target: TemporalTarget): string {
  const text = iso.trim();
  if (text === 'infinity' || text === '-infinity') {
    return timestampLiteral(text === 'infinity' ? INFINITY_MICROS : -INFINITY_MICROS, target);
  }
  if (target === 'postgresql' && /^\d{4}-/.test(text)) return text;
  const literal = timestampLiteral(zonedToMicros(text), target);
  if (target !== 'postgresql') return literal;
  return literal.endsWith(' BC') ? `${literal.slice(0, -3)}+00 BC` : `${literal}+00`;
}

/** An ISO-8601 time with offset (ZonedTime) in UTC, `HH:MM:SS.ffffff`. */
export function zonedTimeToUtc(iso: string): string {
  const micros = zonedToMicros(`1970-01-02T${iso}`) % MICROS_PER_DAY;
  return timeOfDay(micros < 0n ? micros + MICROS_PER_DAY : micros);
}
