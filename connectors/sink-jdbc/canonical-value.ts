import type { CanonicalValue } from '../../runtime/plugin/index.js';
import { toJsonText } from './json-text.js';

/**
 * One canonical text per value, by the target column's kind, for verifications: the
 * parameter the sink binds for a record and the value read back from the column give the
 * same text exactly when the column holds what the sink wrote. So equal timestamps written
 * differently (`…T10:00:00.5Z`, `… 10:00:00.500000+00`), JSON with another key order,
 * `t`/`true`/`1` or `12.50`/`12.5` compare equal; anything else that differs is a difference.
 */
export type ColumnKind =
  | 'integer'
  | 'decimal'
  | 'float4'
  | 'float8'
  | 'boolean'
  | 'timestamp'
  | 'timestamptz'
  | 'date'
  | 'time'
  | 'timetz'
  | 'json'
  | 'array'
  | 'bytes'
  | 'uuid'
  | 'interval'
  | 'text';

/** The kind of a column from information_schema's data_type (and MySQL's column_type). */
export function columnKind(dataType: string, columnType = ''): ColumnKind {
  const type = dataType.toLowerCase();
  if (/^tinyint\(1\)/.test(columnType.toLowerCase()) || type === 'boolean' || type === 'bool')
    return 'boolean';
  if (['smallint', 'integer', 'bigint', 'int', 'tinyint', 'mediumint', 'year'].includes(type))
    return 'integer';
  if (['numeric', 'decimal'].includes(type)) return 'decimal';
  if (['real', 'float'].includes(type)) return 'float4';
  if (['double precision', 'double'].includes(type)) return 'float8';
  if (['timestamp without time zone', 'datetime'].includes(type)) return 'timestamp';
  // MySQL's TIMESTAMP is read in the session's UTC: a UTC wall time like DATETIME.
  if (type === 'timestamp') return 'timestamp';
  if (type === 'timestamp with time zone') return 'timestamptz';
  if (type === 'date') return 'date';
  if (['time without time zone', 'time'].includes(type)) return 'time';
  if (type === 'time with time zone') return 'timetz';
  if (['json', 'jsonb'].includes(type)) return 'json';
  if (type === 'array') return 'array';
  if (['bytea', 'blob', 'longblob', 'mediumblob', 'tinyblob', 'binary', 'varbinary'].includes(type))
    return 'bytes';
  if (type === 'uuid') return 'uuid';
  if (type === 'interval') return 'interval';
  return 'text';
}

export function canonicalValue(kind: ColumnKind, value: unknown): CanonicalValue {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'integer':
      return integerText(value);
    case 'decimal':
      return decimalText(String(value));
    case 'float4':
      return String(Math.fround(Number(value)));
    case 'float8':
      return String(Number(value));
    case 'boolean':
      return [true, 1, 1n, '1', 't', 'true', 'TRUE'].includes(value as never) ? 'true' : 'false';
    case 'timestamp':
    case 'timestamptz':
      return timestampText(value);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : dateText(String(value));
    case 'time':
      return timeText(String(value));
    case 'timetz':
      return timeTzText(String(value));
    case 'json':
      return typeof value === 'string' ? canonicalJsonText(value) : canonicalJson(value, false);
    case 'array':
      return canonicalJson(typeof value === 'string' ? parseJson(value) : value, true);
    case 'bytes':
      return Buffer.isBuffer(value) ? value.toString('hex') : String(value).replace(/^\\x/, '').toLowerCase();
    case 'uuid':
      return String(value).toLowerCase();
    case 'interval':
      return intervalMicros(String(value));
    case 'text':
      return Buffer.isBuffer(value)
        ? value.toString('utf8')
        : typeof value === 'object'
          ? toJsonText(value)
          : String(value);
  }
}

function integerText(value: unknown): string {
  const text = String(value).trim();
  try {
    return BigInt(text).toString();
  } catch {
    return text;
  }
}

/** `-012.3400` → `-12.34`; `0.000` → `0`. */
export function decimalText(text: string): string {
  const match = /^([+-]?)0*(\d*?)(?:\.(\d*?)0*)?$/.exec(text.trim());
  if (!match) return text.trim();
  const [, sign, whole = '', fraction = ''] = match;
  const digits = `${whole === '' ? '0' : whole}${fraction === '' ? '' : `.${fraction}`}`;
  return sign === '-' && /[1-9]/.test(digits) ? `-${digits}` : digits;
}

const timestampPattern =
  /^(-?\d{4,}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A timestamp as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (a wall time without a zone stays as it is). */
export function timestampText(value: unknown): string {
  if (value instanceof Date) return timestampText(value.toISOString());
  const text = String(value).trim();
  const plain = utcTimestampText(text);
  if (plain !== null) return plain;
  const match = timestampPattern.exec(text);
  if (!match) return text;
  const [, date = '', hh = '00', mm = '00', ss = '00', fraction = '', zone] = match;
  const micros = fraction.padEnd(6, '0').slice(0, 6);
  if (zone === undefined || /^(Z|[+-]00(:?00)?)$/i.test(zone)) return `${date} ${hh}:${mm}:${ss}.${micros}`;
  const offset =
    zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const millis = Date.parse(`${date}T${hh}:${mm}:${ss}${offset}`);
  if (Number.isNaN(millis)) return text;
  return `${new Date(millis).toISOString().slice(0, 19).replace('T', ' ')}.${micros}`;
}

/**
 * The date of a date or timestamp text: every digit of the year (12024-01-01 and
 * 12024-01-02 are two dates) and PostgreSQL's era (0044-03-15 BC is not 0044-03-15).
 */
function dateText(text: string): string {
  const date = /^-?\d{4,}-\d{2}-\d{2}/.exec(text.trim())?.[0];
  if (date === undefined) return text.trim();
  return text.trimEnd().endsWith(' BC') ? `${date} BC` : date;
}

/**
 * The common forms, as the general pattern would read them but without it (a verification
 * canonicalises millions): `YYYY-MM-DD HH:MM:SS[.f…]` with no zone or `+00`. Null for others.
 */
function utcTimestampText(text: string): string | null {
  let end = text.length;
  if (text.endsWith('+00')) end -= 3;
  if (end < 19 || !digitsAt(text, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])) return null;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':')
    return null;
  if (end === 19) return `${text.slice(0, 19)}.000000`;
  if (text[19] !== '.' || end === 20 || end > 29) return null;
  for (let i = 20; i < end; i++) if (!isDigit(text.charCodeAt(i))) return null;
  return `${text.slice(0, 19)}.${text.slice(20, end).padEnd(6, '0').slice(0, 6)}`;
}

function digitsAt(text: string, positions: readonly number[]): boolean {
  return positions.every((position) => isDigit(text.charCodeAt(position)));
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function timeText(text: string): string {
  const match = /^(-?\d{1,3}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!match) return text.trim();
  const [, hh = '', mm = '', ss = '', fraction = ''] = match;
  return `${hh.padStart(2, '0')}:${mm}:${ss}.${fraction.padEnd(6, '0').slice(0, 6)}`;
}

function timeTzText(text: string): string {
  const match = /^(\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i.exec(text.trim());
  if (!match) return text.trim();
  const [, time = '', zone = 'Z'] = match;
  return `${timestampText(`1970-01-02T${time}${zone}`).slice(11)}Z`;
}

/** MicroDuration: `N microseconds` as bound, or the epoch microseconds the target query returns. */
function intervalMicros(text: string): string {
  const bound = /^(-?\d+) microseconds$/.exec(text.trim());
  return decimalText(bound ? (bound[1] ?? text) : text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON with object keys sorted; in arrays read from array columns, scalars compare as text. */
function canonicalJson(value: unknown, scalarsAsText: boolean): string {
  const write = (item: unknown): string => {
    if (item === null || item === undefined) return 'null';
    if (Array.isArray(item)) return `[${item.map(write).join(',')}]`;
    if (Buffer.isBuffer(item)) return JSON.stringify(item.toString('base64'));
    if (typeof item === 'object') {
      const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${write(inner)}`).join(',')}}`;
    }
    if (scalarsAsText) return JSON.stringify(String(item));
    if (typeof item === 'bigint') return item.toString();
    if (typeof item === 'number' && Number.isFinite(item)) return jsonNumber(String(item)) ?? 'null';
    return JSON.stringify(item);
  };
  return write(value);
}

/**
 * JSON text in canonical form, parsed here rather than by JSON.parse, whose doubles would
 * make 12345678901234567891 equal …890: object keys sorted (the last of a repeated key
 * wins, as in JSON.parse and jsonb), no spaces, strings re-escaped one way, numbers as exact
 * decimals (1.50, 15e-1 and 1.5 are one number). Text that is not JSON stays as it is (it
 * cannot equal the canonical form of any JSON).
 */
export function canonicalJsonText(text: string): string {
  const parser = new JsonCanonicalizer(text);
  const canonical = parser.document();
  return canonical ?? text;
}

const jsonNumberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class JsonCanonicalizer {
  private at = 0;

  constructor(private readonly text: string) {}

  /** The canonical text, or null when the text is not one JSON value. */
  document(): string | null {
    const value = this.value();
    this.space();
    return value !== null && this.at === this.text.length ? value : null;
  }

  private space(): void {
    const text = this.text;
    while (this.at < text.length) {
      const c = text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at++;
    }
  }

  private value(): string | null {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.at)) {
        this.at += literal.length;
        return literal;
      }
    }
    jsonNumberPattern.lastIndex = this.at;
    const match = jsonNumberPattern.exec(this.text);
    if (!match) return null;
    this.at += match[0].length;
    return jsonNumber(match[0]);
  }

  private object(): string | null {
    this.at++;
    const members = new Map<string, string>();
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return '{}';
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') return null;
      const key = this.string();
      this.space();
      if (key === null || this.text[this.at] !== ':') return null;
      this.at++;
      const value = this.value();
      if (value === null) return null;
      members.delete(key);
      members.set(key, value);
      this.space();
      const next = this.text[this.at++];
      if (next === '}') break;
      if (next !== ',') return null;
    }
    // Keys compare as their decoded strings, in code-unit order.
    const entries = [...members].map(
      ([key, value]) =>
        [key.includes('\\') ? (JSON.parse(key) as string) : key.slice(1, -1), key, value] as const,
    );
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([, key, value]) => `${key}:${value}`).join(',')}}`;
  }

  private array(): string | null {
    this.at++;
    const items: string[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return '[]';
    }
    for (;;) {
      const item = this.value();
      if (item === null) return null;
      items.push(item);
      this.space();
      const next = this.text[this.at++];
      if (next === ']') break;
      if (next !== ',') return null;
    }
    return `[${items.join(',')}]`;
  }

  /** A string token, re-escaped as JSON.stringify escapes (unchanged when nothing needs it). */
  private string(): string | null {
    const start = this.at;
    let end = start + 1;
    const text = this.text;
    // An escape, a control character or a surrogate: JSON.stringify may write it another way.
    let review = false;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === 0x22) break;
      if (c === 0x5c) end++;
      if (c === 0x5c || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) review = true;
    }
    if (end >= text.length) return null;
    this.at = end + 1;
    const token = text.slice(start, this.at);
    if (!review) return token;
    try {
      return JSON.stringify(JSON.parse(token) as string);
    } catch {
      return null;
    }
  }
}

/** A JSON number as an exact decimal: no exponent, sign, leading or trailing zeros beyond need (huge exponents as `<digits>e<n>`). */
function jsonNumber(text: string): string | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  let scale = Number(exponent) - fraction.length;
  const trimmed = digits.replace(/0+$/, '');
  scale += digits.length - trimmed.length;
  digits = trimmed;
  if (Math.abs(scale) > 64) return `${sign}${digits}e${scale}`;
  if (scale >= 0) return `${sign}${digits}${'0'.repeat(scale)}`;
  const point = digits.length + scale;
  return point > 0
    ? `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
    : `${sign}0.${'0'.repeat(-point)}${digits}`;
}
