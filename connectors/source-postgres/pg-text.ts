import { DataError } from '../../runtime/plugin/index.js';
import { epochDay } from '../../runtime/cdc/index.js';

/**
 * Parsers for PostgreSQL's text output of temporal and composite values, under the session
 * settings every connector connection uses (DateStyle=ISO, TimeZone=UTC, IntervalStyle=iso_8601).
 */

/** Debezium's timestamp ±infinity: the extreme int64 microseconds (scaled like any value). */
export const positiveInfinityMicros = 9223372036854775807n;
export const negativeInfinityMicros = -9223372036854775808n;

const microsPerDay = 86_400_000_000n;

function fractionMicros(fraction: string | undefined): bigint {
  return BigInt((fraction ?? '').padEnd(6, '0').slice(0, 6) || '0');
}

function bad(kind: string, text: string): DataError {
  return new DataError(`"${text}" is not a PostgreSQL ${kind} value`);
}

/** "2024-02-29" or "0044-03-15 BC" → days since the epoch. */
export function parseDate(text: string): number {
  const m = /^(\d+)-(\d\d)-(\d\d)( BC)?$/.exec(text);
  if (m === null) throw bad('date', text);
  const year = m[4] === undefined ? Number(m[1]) : 1 - Number(m[1]);
  return epochDay(year, Number(m[2]), Number(m[3]));
}

/** "13:45:07.25" → microseconds since midnight ("24:00:00" allowed). */
export function parseTimeMicros(text: string): bigint {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (m === null) throw bad('time', text);
  return (
    ((BigInt(Number(m[1])) * 60n + BigInt(Number(m[2]))) * 60n + BigInt(Number(m[3]))) * 1_000_000n +
    fractionMicros(m[4])
  );
}

/** "2024-02-29 13:45:07.25" (optionally "+00" / " BC") → microseconds since the epoch. */
export function parseTimestampMicros(text: string): bigint {
  const m = /^(\d+-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::\d\d){0,2})?( BC)?$/.exec(text);
  if (m === null) throw bad('timestamp', text);
  const days = parseDate(m[4] === undefined ? m[1]! : `${m[1]} BC`);
  const offsetMicros = m[3] === undefined ? 0n : parseOffsetSeconds(m[3]) * 1_000_000n;
  return BigInt(days) * microsPerDay + parseTimeMicros(m[2]!) - offsetMicros;
}

function parseOffsetSeconds(offset: string): bigint {
  const sign = offset.startsWith('-') ? -1n : 1n;
  const [h = '0', mi = '0', s = '0'] = offset.slice(1).split(':');
  return sign * (BigInt(Number(h)) * 3600n + BigInt(Number(mi)) * 60n + BigInt(Number(s)));
}

function pad(value: bigint | number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Microseconds since the epoch → ISO-8601 UTC, fraction without trailing zeros (Debezium's ZonedTimestamp). */
export function formatIsoTimestamp(micros: bigint): string {
  let days = micros / microsPerDay;
  let rest = micros % microsPerDay;
  if (rest < 0n) {
    rest += microsPerDay;
    days -= 1n;
  }
  const date = civilFromDays(Number(days));
  const year =
    date.year < 0 ? `-${pad(-date.year, 4)}` : date.year > 9999 ? `+${date.year}` : pad(date.year, 4);
  return `${year}-${pad(date.month, 2)}-${pad(date.day, 2)}T${formatTimeOfDay(rest)}Z`;
}

function formatTimeOfDay(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  const hms = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  return fraction === '' ? hms : `${hms}.${fraction}`;
}

function civilFromDays(z: number): { year: number; month: number; day: number } {
  // Howard Hinnant's civil_from_days, the inverse of epochDay.
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** timestamptz text → Debezium ZonedTimestamp ("2024-02-29T13:45:07.25Z"; ±infinity kept as words). */
export function zonedTimestamp(text: string, fractionWidth = 6): string {
  if (text === 'infinity' || text === '-infinity') return text;
  let whole: string;
  let fraction: string;
  const utc = utcTimestampText.exec(text);
  if (utc !== null && isCivilTime(utc)) {
    // Already UTC (the session's TimeZone): the text is rearranged, not computed.
    whole = `${utc[1]}-${utc[2]}-${utc[3]}T${utc[4]}:${utc[5]}:${utc[6]}`;
    fraction = (utc[7] ?? '').padEnd(6, '0').slice(0, 6).replace(/0+$/, '');
  } else {
    const iso = formatIsoTimestamp(parseTimestampMicros(text));
    [whole = '', fraction = ''] = iso.slice(0, -1).split('.');
  }
  // Debezium writes the column's precision in full: 11:45:07.250000Z, 11:45:05.000000Z.
  if (fractionWidth === 0) return fraction === '' ? `${whole}Z` : `${whole}.${fraction}Z`;
  return `${whole}.${fraction.padEnd(fractionWidth, '0').slice(0, Math.max(fractionWidth, fraction.length))}Z`;
}

const utcTimestampText = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?\+00$/;

/** Whether the fields name a real day and time, which the computed path would give back unchanged. */
function isCivilTime(m: RegExpExecArray): boolean {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= days &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6]) <= 59
  );
}

/** timetz text ("13:45:07.25+02") → Debezium ZonedTime in UTC ("11:45:07.25Z"). */
export function zonedTime(text: string): string {
  const m = /^(\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::\d\d){0,2})$/.exec(text);
  if (m === null) throw bad('time with time zone', text);
  let micros = parseTimeMicros(m[1]!) - parseOffsetSeconds(m[2]!) * 1_000_000n;
  micros = ((micros % microsPerDay) + microsPerDay) % microsPerDay;
  return `${formatTimeOfDay(micros)}Z`;
}

/** Debezium's MicroDuration month: 365.25 / 12 = 30.4375 days, exactly this many microseconds. */
const microsPerMonth = 2_629_800_000_000n;
const int64Max = 2n ** 63n - 1n;

const isoInterval =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/;

interface IntervalParts {
  readonly years: bigint;
  readonly months: bigint;
  readonly days: bigint;
  readonly hours: bigint;
  readonly minutes: bigint;
  /** Seconds with their fraction, in microseconds. */
  readonly secondMicros: bigint;
}

function intervalParts(text: string): IntervalParts {
  const m = isoInterval.exec(text);
  if (m === null) throw bad('interval', text);
  const n = (i: number): bigint => BigInt(m[i] ?? 0);
  const seconds = m[6] ?? '0';
  const negative = seconds.startsWith('-');
  const [whole = '0', fraction] = seconds.replace('-', '').split('.');
  return {
    years: n(1),
    months: n(2),
    days: n(3),
    hours: n(4),
    minutes: n(5),
    secondMicros: (BigInt(whole) * 1_000_000n + fractionMicros(fraction)) * (negative ? -1n : 1n),
  };
}

/**
 * ISO-8601 interval ("P1Y2M3DT4H5M6.5S", parts may be negative) → microseconds (Debezium's
 * MicroDuration), exactly; throws when the result does not fit int64.
 */
export function intervalMicros(text: string): bigint {
  const p = intervalParts(text);
  const micros =
    (p.years * 12n + p.months) * microsPerMonth +
    p.days * microsPerDay +
    p.hours * 3_600_000_000n +
    p.minutes * 60_000_000n +
    p.secondMicros;
  if (micros > int64Max || micros < -int64Max - 1n) {
    throw new DataError(
      `interval ${text} is beyond the int64 microseconds of io.debezium.time.MicroDuration; set interval.handling.mode=string to capture it as ISO 8601 text`,
    );
  }
  return micros;
}

/** ISO-8601 interval → Debezium's io.debezium.time.Interval text, every part written: P1Y2M3DT4H5M6.5S. */
export function intervalIso(text: string): string {
  const p = intervalParts(text);
  const sign = p.secondMicros < 0n ? '-' : '';
  const abs = p.secondMicros < 0n ? -p.secondMicros : p.secondMicros;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  const seconds = `${sign}${abs / 1_000_000n}${fraction === '' ? '' : `.${fraction}`}`;
  return `P${p.years}Y${p.months}M${p.days}DT${p.hours}H${p.minutes}M${seconds}S`;
}

/** hstore text ('"a"=>"1", "b"=>NULL') → the JSON object text Debezium emits ({"a":"1","b":null}). */
export function hstoreToJson(text: string): string {
  const result: Record<string, string | null> = {};
  const token = /\s*"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = token.exec(text)) !== null) {
    const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');
    result[unescape(m[1]!)] = m[3] === undefined ? unescape(m[2] ?? '') : null;
    if (token.lastIndex >= text.length) break;
  }
  return JSON.stringify(result);
}

/** point text "(1.5,-2)" → coordinates. */
export function parsePoint(text: string): { x: number; y: number } {
  const m = /^\(([^,]+),([^)]+)\)$/.exec(text);
  if (m === null) throw bad('point', text);
  return { x: Number(m[1]), y: Number(m[2]) };
}

/** Well-known binary of a point (little-endian), as Debezium's Point carries in `wkb`. */
export function pointWkb(x: number, y: number): Buffer {
  const wkb = Buffer.alloc(21);
  wkb.writeUInt8(1, 0);
  wkb.writeUInt32LE(1, 1);
  wkb.writeDoubleLE(x, 5);
  wkb.writeDoubleLE(y, 13);
  return wkb;
}

/** bit string "1011" → bytes, least significant byte first (Java BitSet.toByteArray, as Debezium's Bits). */
export function bitsToBytes(bits: string): Buffer {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) {
    // The rightmost character is bit 0.
    if (bits[bits.length - 1 - i] === '1') bytes[i >> 3]! |= 1 << (i & 7);
  }
  return bytes;
}
