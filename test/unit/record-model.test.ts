import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LogicalName,
  RecordValueError,
  array,
  bits,
  bytes,
  bytesToUnscaled,
  decimal,
  decimalToUnscaled,
  enumOf,
  enumSet,
  int16,
  int32,
  int64,
  logical,
  map,
  optional,
  string,
  struct,
  unscaledToBytes,
  unscaledToDecimal,
  validateValue,
  withDefault,
} from '../../runtime/record/index.js';

function problemOf(fn: () => void): RecordValueError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RecordValueError, `expected a RecordValueError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected validateValue to throw');
}

const row = struct('app.public.items.Value', [
  ['id', int64()],
  ['qty', int16()],
  ['price', optional(decimal(2, 6))],
  ['tags', array(string())],
  ['attrs', optional(map(string(), int32()))],
  ['state', enumOf(['new', 'done'])],
]);
const envelope = struct('app.public.items.Envelope', [
  ['before', optional(row)],
  ['after', optional(row)],
  ['op', string()],
]);
const goodRow = { id: 1n, qty: 3, price: '12.5', tags: ['a'], attrs: new Map([['x', 1]]), state: 'new' };

describe('schema builders', () => {
  it('numbers fields in order and rejects duplicate names', () => {
    assert.deepEqual(
      row.fields?.map((f) => [f.name, f.index]),
      [
        ['id', 0],
        ['qty', 1],
        ['price', 2],
        ['tags', 3],
        ['attrs', 4],
        ['state', 5],
      ],
    );
    assert.throws(
      () =>
        struct('x', [
          ['a', int32()],
          ['a', string()],
        ]),
      /field "a" appears twice/,
    );
  });

  it('builds Debezium logical types with their names, version and parameters', () => {
    assert.deepEqual(decimal(3, 10), {
      type: 'bytes',
      optional: false,
      name: 'org.apache.kafka.connect.data.Decimal',
      version: 1,
      parameters: { scale: '3', 'connect.decimal.precision': '10' },
    });
    assert.equal(logical(LogicalName.MicroTimestamp).type, 'int64');
    assert.equal(logical(LogicalName.ZonedTimestamp).type, 'string');
    assert.equal(
      logical(LogicalName.Point)
        .fields?.map((f) => f.name)
        .join(),
      'x,y,wkb,srid',
    );
    assert.throws(() => decimal(-1), /decimal scale -1 is invalid/);
  });
});

describe('validateValue', () => {
  it('accepts values that fit, including null in optional fields', () => {
    validateValue(envelope, { before: null, after: goodRow, op: 'c' });
    validateValue(envelope, { after: { ...goodRow, price: null, attrs: null }, op: 'c' });
  });

  it('names the field path of the first problem', () => {
    const e1 = problemOf(() =>
      validateValue(envelope, { before: null, after: { ...goodRow, id: 1 }, op: 'c' }),
    );
    assert.equal(e1.path, 'after.id');
    assert.match(e1.message, /after\.id: expected a bigint for int64, got number 1/);
    const e2 = problemOf(() => validateValue(envelope, { after: { ...goodRow, tags: ['a', 7] }, op: 'c' }));
    assert.equal(e2.path, 'after.tags[1]');
    const e3 = problemOf(() => validateValue(envelope, { after: { ...goodRow, qty: 40000 }, op: 'c' }));
    assert.match(e3.message, /after\.qty: expected an integer in -32768\.\.32767/);
    const e4 = problemOf(() => validateValue(envelope, { after: goodRow, op: null }));
    assert.match(e4.message, /^op: is null but string is required/);
    const e5 = problemOf(() => validateValue(envelope, { after: { ...goodRow, extra: 1 }, op: 'c' }));
    assert.equal(e5.path, 'after.extra');
  });

  it('checks decimals against scale and precision', () => {
    validateValue(decimal(2, 4), '-12.34');
    validateValue(decimal(2, 4), '12.300');
    assert.match(problemOf(() => validateValue(decimal(2, 4), '1.234')).message, /3 fraction digits/);
    assert.match(problemOf(() => validateValue(decimal(2, 4), '123.4')).message, /precision 4/);
    assert.match(problemOf(() => validateValue(decimal(2), 12.3)).message, /decimal string/);
    assert.match(problemOf(() => validateValue(decimal(2), '1e5')).message, /not a decimal number/);
  });

  it('checks logical type values', () => {
    validateValue(logical(LogicalName.ZonedTimestamp), '2024-03-01T10:15:30.123456Z');
    validateValue(logical(LogicalName.Uuid), '123e4567-e89b-12d3-a456-426614174000');
    validateValue(logical(LogicalName.Interval), 'P1Y2M3DT4H5M6.78S');
    validateValue(enumSet(['a', 'b']), 'a,b');
    validateValue(bits(9), Buffer.from([1, 1]));
    assert.match(
      problemOf(() => validateValue(logical(LogicalName.ZonedTimestamp), '2024-03-01')).message,
      /ISO-8601/,
    );
    assert.match(problemOf(() => validateValue(logical(LogicalName.Uuid), 'nope')).message, /not a UUID/);
    assert.match(problemOf(() => validateValue(enumOf(['a']), 'b')).message, /allowed values a/);
    assert.match(problemOf(() => validateValue(enumSet(['a', 'b']), 'a,c')).message, /holds "c"/);
    // MySQL TIME values are durations: negative and past 24h are valid, past 838:59:59.999999 not.
    validateValue(logical(LogicalName.MicroTime), -3_600_000_000n);
    validateValue(logical(LogicalName.MicroTime), 100n * 3_600_000_000n);
    assert.match(
      problemOf(() => validateValue(logical(LogicalName.MicroTime), 839n * 3_600_000_000n)).message,
      /outside/,
    );
    validateValue(logical(LogicalName.ZonedTimestamp), 'infinity');
    validateValue(logical(LogicalName.ZonedTimestamp), '-infinity');
    assert.match(problemOf(() => validateValue(bits(8), Buffer.from([1, 1]))).message, /more than 1 bytes/);
    assert.match(problemOf(() => validateValue(bytes(), 'x')).message, /expected a Buffer/);
  });

  it('allows null for a required field that has a default', () => {
    validateValue(withDefault(int32(), 5), null);
  });
});

describe('decimal values', () => {
  it('round-trips decimal strings through unscaled integers and two-s complement bytes', () => {
    for (const [text, scale, expected] of [
      ['0', 0, '0'],
      ['-0.01', 2, '-0.01'],
      ['12.5', 3, '12.500'],
      ['-128', 0, '-128'],
      ['127', 0, '127'],
      ['128', 0, '128'],
      ['-129', 0, '-129'],
      ['123456789012345678901234567890.123456789', 9, '123456789012345678901234567890.123456789'],
    ] as const) {
      const unscaled = decimalToUnscaled(text, scale);
      assert.equal(unscaledToDecimal(bytesToUnscaled(unscaledToBytes(unscaled)), scale), expected);
    }
    assert.deepEqual(unscaledToBytes(-128n), Buffer.from([0x80]));
    assert.deepEqual(unscaledToBytes(128n), Buffer.from([0x00, 0x80]));
    assert.deepEqual(unscaledToBytes(-1n), Buffer.from([0xff]));
  });
});

describe('decimal bytes', () => {
  /** Java's BigInteger.toByteArray through hex texts: what unscaledToBytes computed for every value before. */
  function hexTwosComplement(value: bigint): string {
    const magnitude = value < 0n ? -value - 1n : value;
    const length = Math.floor(magnitude.toString(2).length / 8) + 1;
    return BigInt.asUintN(8 * length, value)
      .toString(16)
      .padStart(2 * length, '0');
  }

  it('writes the fewest two-s complement bytes around every byte boundary and past 2^53', () => {
    const values = new Set<bigint>([
      0n,
      1n,
      -1n,
      9007199254740991n,
      -9007199254740991n,
      2n ** 200n,
      -(2n ** 200n),
    ]);
    for (let bits = 1; bits <= 70; bits++) {
      for (const delta of [-2n, -1n, 0n, 1n]) {
        values.add(2n ** BigInt(bits) + delta);
        values.add(-(2n ** BigInt(bits)) + delta);
      }
    }
    let state = 99n;
    for (let i = 0; i < 5000; i++) {
      state = (state * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      values.add(BigInt.asIntN(Number(state % 60n) + 2, state));
    }
    for (const value of values) {
      const bytes = unscaledToBytes(value);
      assert.equal(bytes.toString('hex'), hexTwosComplement(value), String(value));
      assert.equal(bytesToUnscaled(bytes), value);
    }
  });
});
