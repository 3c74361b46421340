import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonConverter } from '../../runtime/converters/json-converter.js';
import {
  parseExactJson,
  parseExactJsonByHand,
  parseJsonWithSafeIntegers,
  JsonNumberText,
  type ExactJson,
} from '../../runtime/converters/exact-json.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { RandomRecords } from '../support/random-records.js';

/** The value or the error message, for comparing two parsers. */
function outcome(parse: (text: string) => unknown, text: string): unknown {
  try {
    return { value: parse(text) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function assertSameParse(text: string): void {
  assert.deepStrictEqual(outcome(parseExactJson, text), outcome(parseExactJsonByHand, text), text);
}

/** Random JSON text: awkward numbers, escapes, whitespace, keys; sometimes not JSON at all. */
class RandomJson {
  constructor(private readonly random: RandomRecords) {}

  space(): string {
    return this.random.chance(0.8) ? '' : this.random.pick([' ', '\n', '\t', '\r', '  ']);
  }

  number(): string {
    const r = this.random;
    const int = r.pick(['0', '7', '42', '9007199254740993', '18446744073709551617', String(r.int(1e9))]);
    const fraction = r.chance(0.3) ? `.${r.pick(['0', '50', '5', '000001', '123456789012345678901'])}` : '';
    const exponent = r.chance(0.15)
      ? `${r.pick(['e', 'E'])}${r.pick(['', '+', '-'])}${r.pick(['0', '5', '400'])}`
      : '';
    return `${r.chance(0.3) ? '-' : ''}${int}${fraction}${exponent}`;
  }

  string(): string {
    const pieces = [
      'a',
      '1',
      '-2',
      '1.5',
      'é',
      '😀',
      '\\"',
      '\\\\',
      '\\/',
      '\\b',
      '\\f',
      '\\n',
      '\\r',
      '\\t',
      '\\u0000',
      '\\ud800',
      '\\uDFFF',
      '\\u00e9',
      '\\ufdd0',
      '\\uFDD0',
      '\ufdd0',
      '{',
      ':',
      ',',
      ' ',
    ];
    let s = '"';
    for (let i = this.random.int(8); i > 0; i--) s += this.random.pick(pieces);
    return `${s}"`;
  }

  value(depth = 0): string {
    const r = this.random;
    const kind = depth > 4 ? r.int(5) : r.int(7);
    switch (kind) {
      case 0:
      case 1:
        return this.number();
      case 2:
        return this.string();
      case 3:
        return r.pick(['true', 'false', 'null']);
      case 4:
        return r.chance(0.5) ? '[]' : '{}';
      case 5: {
        const items = Array.from(
          { length: r.int(5) },
          () => this.space() + this.value(depth + 1) + this.space(),
        );
        return `[${items.join(',')}]`;
      }
      default: {
        const keys = ['"id"', '"__proto__"', '"1"', '"a"', '"a"', '"\\u0061"', this.string()];
        const members = Array.from(
          { length: r.int(5) },
          () =>
            `${this.space()}${r.pick(keys)}${this.space()}:${this.space()}${this.value(depth + 1)}${this.space()}`,
        );
        return `{${members.join(',')}}`;
      }
    }
  }

  /** One random edit: most such texts are not JSON, some still are. */
  mutate(text: string): string {
    const r = this.random;
    const at = r.int(text.length + 1);
    const inserted = r.pick([
      '{',
      '}',
      '[',
      ']',
      '"',
      ',',
      ':',
      '-',
      '.',
      'e',
      '0',
      '1',
      ' ',
      '\\',
      '\n',
      '\u0001',
      'x',
    ]);
    switch (r.int(3)) {
      case 0:
        return text.slice(0, at) + text.slice(at + 1);
      case 1:
        return text.slice(0, at) + inserted + text.slice(at);
      default:
        return text.slice(0, at) + inserted + text.slice(at + 1);
    }
  }
}

describe('parseExactJson fast path', () => {
  it('reads what the hand-written parser reads, for generated valid and broken texts', () => {
    const random = new RandomRecords(7);
    const json = new RandomJson(random);
    let valid = 0;
    let broken = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = json.space() + json.value() + json.space();
      for (let edits = random.chance(0.4) ? 1 + random.int(3) : 0; edits > 0; edits--)
        text = json.mutate(text);
      assertSameParse(text);
      if ('value' in (outcome(parseExactJsonByHand, text) as object)) valid++;
      else broken++;
    }
    assert.ok(valid > 5000 && broken > 3000, `${valid} valid, ${broken} broken`);
  });

  it('refuses what JSON.parse would accept only after the numbers were marked', () => {
    for (const text of ['{1:2}', '{-1.5:"x"}', '[{"a":1},{2:3}]']) {
      assert.throws(() => parseExactJson(text), /invalid JSON at position \d+: expected a string key/);
    }
  });

  it('keeps numbers exact wherever they are', () => {
    assertSameParse('[-0,0.0,1E+2,-9223372036854775808,123456789012345678901234567890.0001]');
    assertSameParse('{"__proto__":{"x":1},"a":1,"a":2.50}');
    assertSameParse('"\ufdd01"');
    assertSameParse('"\\ufdd01"');
  });

  it('reads the messages JsonConverter writes exactly as the hand-written parser', async () => {
    const random = new RandomRecords(99);
    const converter = new JsonConverter();
    await converter.configure({ 'decimal.format': 'NUMERIC' });
    const texts = [(await converter.fromConnectData('t', everyTypeEnvelope, everyTypeEvent))!.toString()];
    for (let i = 0; i < 300; i++) {
      const schema = random.schema();
      try {
        texts.push((await converter.fromConnectData('t', schema, random.value(schema)))!.toString());
      } catch {
        // A generated value the schema refuses (a null for a required field): nothing to read.
      }
    }
    assert.ok(texts.length > 200);
    for (const text of texts) assertSameParse(text);
  });
});

/** The hand parser's reading with every bigint of at most 15 digits a number: what parseJsonWithSafeIntegers gives. */
function withSafeNumbers(value: ExactJson): unknown {
  if (typeof value === 'bigint')
    return value >= -999_999_999_999_999n && value <= 999_999_999_999_999n ? Number(value) : value;
  if (Array.isArray(value)) return value.map(withSafeNumbers);
  if (value !== null && typeof value === 'object' && !(value instanceof JsonNumberText)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSafeNumbers(v)]));
  }
  return value;
}

describe('parseJsonWithSafeIntegers', () => {
  it('reads what the hand-written parser reads, for generated valid and broken texts', () => {
    const random = new RandomRecords(11);
    const json = new RandomJson(random);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = json.space() + json.value() + json.space();
      for (let edits = random.chance(0.4) ? 1 + random.int(3) : 0; edits > 0; edits--)
        text = json.mutate(text);
      const exact = outcome(parseExactJsonByHand, text);
      const fast = outcome(parseJsonWithSafeIntegers, text);
      if ('value' in (exact as object)) {
        valid++;
        // Safe integers are numbers, or bigints where the text went to the hand-written parser.
        const normalized = (read: unknown) => withSafeNumbers((read as { value: ExactJson }).value);
        assert.ok('value' in (fast as object), text);
        assert.deepStrictEqual(normalized(fast), normalized(exact), text);
      } else {
        assert.deepStrictEqual(fast, exact, text);
      }
    }
    assert.ok(valid > 5000, `${valid} valid`);
  });

  it('keeps fractions, exponents, -0 and integers of 16 digits or more exact, outside strings only', () => {
    assert.deepStrictEqual(
      parseJsonWithSafeIntegers(
        '{"a":"1.5e999999999999999999","b":-123456789012345,"c":1.50,"d":1E3,"e":-0,"f":1234567890123456,"g":[-0.0]}',
      ),
      {
        a: '1.5e999999999999999999',
        b: -123456789012345,
        c: new JsonNumberText('1.50'),
        d: new JsonNumberText('1E3'),
        e: 0n,
        f: 1234567890123456n,
        g: [new JsonNumberText('-0.0')],
      },
    );
    for (const text of ['{1:2}', '{12345678901234567:2}', '{"a":1,}'])
      assert.throws(() => parseJsonWithSafeIntegers(text), /invalid JSON at position \d+/, text);
    assert.deepStrictEqual(parseJsonWithSafeIntegers('["\ufdd01",1.5]'), [
      '\ufdd01',
      new JsonNumberText('1.5'),
    ]);
  });

  it('gives JsonConverter the same values as the exact parser, for generated records', async () => {
    const random = new RandomRecords(5);
    for (const format of ['BASE64', 'NUMERIC']) {
      const writer = new JsonConverter();
      await writer.configure({ 'decimal.format': format });
      for (let i = 0; i < 200; i++) {
        const schema = random.schema();
        let bytes: Buffer | null;
        try {
          bytes = await writer.fromConnectData('t', schema, random.value(schema));
        } catch {
          continue;
        }
        // A fresh reader takes the first message the exact way; the second repeats its schema
        // bytes, so only its payload is parsed, by the safe-integer path where it can.
        const reader = new JsonConverter();
        await reader.configure({ 'decimal.format': format });
        const read = () =>
          reader.toConnectData('t', bytes).then(
            (value) => ({ value }),
            (error: Error) => ({ error: error.message }),
          );
        const first = await read();
        assert.deepStrictEqual(await read(), first);
      }
    }
  });
});
