/**
 * JSON text with numbers kept exact: JSON.parse turns 9007199254740993 into a double,
 * which would corrupt int64 and decimal columns. `parseExactJson` returns integer
 * literals as bigint and other numbers as JsonNumberText (their literal text);
 * `stringifyExactJson` writes both back as bare numbers.
 */

/** A non-integer JSON number as written, so a decimal keeps every digit. */
export class JsonNumberText {
  constructor(readonly text: string) {}
  toNumber(): number {
    return Number(this.text);
  }
}

export type ExactJson =
  null | boolean | number | bigint | JsonNumberText | string | ExactJson[] | { [key: string]: ExactJson };

export function stringifyExactJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return { [numberMarker]: v.toString() };
    if (v instanceof JsonNumberText) return { [numberMarker]: v.text };
    return v;
  }).replace(markerPattern, '$1');
}

// An exact number becomes {"<marker>":"123.45"} inside JSON.stringify, then the bare number.
// The pattern cannot match inside a JSON string, where every quote is escaped.
const numberMarker = '\u0000siphon-number';
const markerPattern = /\{"\\u0000siphon-number":"(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"\}/g;

export function parseExactJson(text: string): ExactJson {
  return parseNatively(text, false) ?? parseExactJsonByHand(text);
}

/**
 * As parseExactJson, but integers of at most 15 digits come back as number (bigint only
 * where the text goes to the hand-written parser): a double holds those exactly, so only
 * the other numbers (fractions, exponents, longer integers such as Debezium's `ts_ns`)
 * need marking and restoring. For readers with a schema, which take both (json-payload.ts):
 * the sink's payloads, where most numbers are small integers.
 */
export function parseJsonWithSafeIntegers(text: string): ExactJson {
  return parseNatively(text, true) ?? parseExactJsonByHand(text);
}

/**
 * The fast path: each number literal to keep exact becomes a string holding a marker and
 * the literal, JSON.parse (native, several times faster) reads the result, and the marked
 * strings become bigint / JsonNumberText again. Strings are skipped whole and numbers
 * follow JSON's grammar, so the marking sees the tokens JSON.parse sees; text that is not
 * valid JSON stays invalid (or is declined while marking), and the hand-written parser
 * reports the error. A number where a key belongs would pass as a marked string: it is
 * refused while restoring. Undefined when the marker occurs in the text itself or any step
 * fails.
 */
function parseNatively(text: string, keepSafeIntegers: boolean): ExactJson | undefined {
  const marked = markNumbers(text, keepSafeIntegers);
  if (marked === undefined) return undefined;
  try {
    if (marked === text) return JSON.parse(text) as ExactJson; // nothing marked: nothing to restore
    if (markerInText.test(text)) return undefined;
    return restoreNumbers(JSON.parse(marked));
  } catch {
    // Not JSON, a number where a key belongs, or nesting too deep: the hand-written parser decides.
    return undefined;
  }
}

/**
 * The index after the string opening at `open`: past the closing quote, the first one after
 * an even run of backslashes; -1 when the string does not end.
 */
function afterString(text: string, open: number): number {
  for (let from = open + 1; ;) {
    const end = text.indexOf('"', from);
    if (end < 0) return -1;
    let run = 0;
    while (text.charCodeAt(end - 1 - run) === backslash) run++;
    from = end + 1;
    if (run % 2 === 0) return from;
  }
}

// A Unicode noncharacter: never in Siphon's messages, and checked for anyway (raw or escaped).
const marker = '\ufdd0';
const markerInText = /\ufdd0|\\u[fF][dD][dD]0/;

const quote = 34;
const backslash = 92;
const minus = 45;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * The text with each number outside strings as `"<marker><literal>"` (with keepSafeIntegers,
 * all but integers of at most 15 digits); the text itself when nothing was marked; undefined
 * where JSON cannot be.
 */
function markNumbers(text: string, keepSafeIntegers: boolean): string | undefined {
  let out = '';
  let copied = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === quote) {
      i = afterString(text, i);
      if (i < 0) return undefined;
    } else if (c === minus || isDigit(c)) {
      const start = i;
      if (c === minus) i++;
      const digits = i;
      if (text.charCodeAt(i) === 48) i++;
      else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
      else return undefined;
      const integerEnd = i;
      if (text.charCodeAt(i) === 46) {
        i++;
        if (!isDigit(text.charCodeAt(i))) return undefined;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      const e = text.charCodeAt(i);
      if (e === 101 || e === 69) {
        i++;
        const sign = text.charCodeAt(i);
        if (sign === 43 || sign === minus) i++;
        if (!isDigit(text.charCodeAt(i))) return undefined;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      // Kept: integers of at most 15 digits, except -0 (JSON.parse's negative zero; the integer is 0).
      const negativeZero = c === minus && i === digits + 1 && text.charCodeAt(digits) === 48;
      if (keepSafeIntegers && i === integerEnd && i - digits <= 15 && !negativeZero) continue;
      out += `${text.slice(copied, start)}"${marker}${text.slice(start, i)}"`;
      copied = i;
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function restoreNumbers(value: unknown): ExactJson {
  if (typeof value === 'string') {
    if (value.charCodeAt(0) !== 0xfdd0) return value;
    const literal = value.slice(1);
    return /[.eE]/.test(literal) ? new JsonNumberText(literal) : BigInt(literal);
  }
  if (typeof value !== 'object' || value === null) return value as ExactJson;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreNumbers(value[i]);
    return value as ExactJson[];
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    if (key.charCodeAt(0) === 0xfdd0) throw new SyntaxError('a number where a key belongs');
    const held = object[key];
    const restored = restoreNumbers(held);
    if (restored === held) continue; // most values: no write
    // defineProperty: a "__proto__" key must stay data, not change the prototype.
    if (key === '__proto__') Object.defineProperty(object, key, { value: restored });
    else object[key] = restored;
  }
  return object as { [key: string]: ExactJson };
}

/** The parser every text the fast path declines goes to (exported for the tests comparing both). */
export function parseExactJsonByHand(text: string): ExactJson {
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.value();
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail('unexpected text after the JSON value');
  return value;
}

const numberPattern = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// Control characters must be escaped inside JSON strings, so the pattern excludes them.
// eslint-disable-next-line no-control-regex
const stringPattern = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(problem: string): never {
    throw new SyntaxError(`invalid JSON at position ${this.pos}: ${problem}`);
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(): ExactJson {
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [literal, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return value;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
  }

  private number(): bigint | JsonNumberText {
    numberPattern.lastIndex = this.pos;
    const match = numberPattern.exec(this.text);
    if (!match) return this.fail('bad number');
    this.pos += match[0].length;
    const integral = match[1] === undefined && match[2] === undefined;
    return integral ? BigInt(match[0]) : new JsonNumberText(match[0]);
  }

  private string(): string {
    stringPattern.lastIndex = this.pos;
    const match = stringPattern.exec(this.text);
    if (!match) return this.fail('bad string');
    this.pos += match[0].length;
    return JSON.parse(match[0]) as string;
  }

  private array(): ExactJson[] {
    this.pos++;
    const items: ExactJson[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.value());
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === ']') return items;
      if (c !== ',') this.fail('expected , or ] in array');
    }
  }

  private object(): { [key: string]: ExactJson } {
    this.pos++;
    const result: { [key: string]: ExactJson } = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.pos++] !== ':') this.fail('expected : after key');
      this.skipWhitespace();
      // defineProperty: a "__proto__" key must stay data, not change the prototype.
      Object.defineProperty(result, key, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === '}') return result;
      if (c !== ',') this.fail('expected , or } in object');
    }
  }
}

export function isJsonObject(value: ExactJson | undefined): value is { [key: string]: ExactJson } {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumberText)
  );
}
