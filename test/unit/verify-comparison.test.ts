import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalValue,
  columnKind,
  decimalText,
  timestampText,
} from '../../connectors/sink-jdbc/canonical-value.js';
import type { CanonicalRow, ExpectedRow, TextComparisonPlan } from '../../runtime/plugin/index.js';
import { compareRows, persisting } from '../../runtime/verify/row-comparison.js';
import { differingRanges } from '../../runtime/verify/text-comparison.js';
import { verifyRequest } from '../../runtime/verify/verify-routes.js';
import { shownValue } from '../../runtime/verify/verify-report.js';

describe('canonical values: what the sink binds equals what the column reads back', () => {
  it('timestamps: the same instant in any zone or precision is one text; another microsecond is not', () => {
    const bound = canonicalValue('timestamptz', '2024-03-01T10:11:00.123467Z');
    assert.equal(canonicalValue('timestamptz', '2024-03-01 12:11:00.123467+02'), bound);
    assert.equal(canonicalValue('timestamptz', '2024-03-01 10:11:00.123467+00'), bound);
    assert.notEqual(canonicalValue('timestamptz', '2024-03-01 10:11:00.123468+00'), bound);
    assert.equal(timestampText('2024-03-01 10:11:00.5'), '2024-03-01 10:11:00.500000');
    assert.equal(timestampText('2024-03-01 05:41:00.5-04:30'), '2024-03-01 10:11:00.500000');
    // The common UTC forms (read without the general pattern) as the general pattern reads them.
    assert.equal(timestampText('2024-03-01 10:11:00+00'), '2024-03-01 10:11:00.000000');
    assert.equal(timestampText('2024-03-01 10:11:00.5+00'), timestampText('2024-03-01T10:11:00.5Z'));
    assert.equal(timestampText('2024-03-01 10:11:00.123456789'), '2024-03-01 10:11:00.123456');
    assert.equal(timestampText('2024-03-01 10:11:00.'), '2024-03-01 10:11:00.');
    assert.equal(timestampText('12024-03-01 10:11:00'), '12024-03-01 10:11:00.000000');
  });

  it('JSON: key order and spacing do not matter, values do', () => {
    assert.equal(
      canonicalValue('json', '{"b": 2, "a": {"y": 1, "x": [1, 2]}}'),
      '{"a":{"x":[1,2],"y":1},"b":2}',
    );
    assert.equal(
      canonicalValue('json', { a: { x: [1, 2], y: 1 }, b: 2 }),
      canonicalValue('json', '{"b":2,"a":{"y":1,"x":[1,2]}}'),
    );
    assert.notEqual(canonicalValue('json', '{"a": 1}'), canonicalValue('json', '{"a": "1"}'));
  });

  it('JSON numbers are exact decimals: one number in any notation, never rounded to a double', () => {
    const json = (text: string) => canonicalValue('json', text);
    assert.equal(json('{"n": 1.50}'), json('{"n": 15e-1}'));
    assert.equal(json('{"n": 1.50}'), '{"n":1.5}');
    assert.equal(json('[100, -0, 0.000]'), json('[1e2, 0, 0]'));
    assert.equal(json('[0.0012, 12e30]'), '[0.0012,12000000000000000000000000000000]');
    assert.notEqual(json('{"n": 12345678901234567891}'), json('{"n": 12345678901234567890}'));
    assert.notEqual(json('[1e100]'), json('[1e101]'));
    // A parsed value (a driver that parses JSON) compares like its text where doubles are exact.
    assert.equal(canonicalValue('json', { n: 1.5, m: 1e21 }), json('{"m": 1e21, "n": 1.50}'));
  });

  it('JSON strings compare as decoded text; repeated keys keep the last; not-JSON stays itself', () => {
    const json = (text: string) => canonicalValue('json', text);
    assert.equal(json('{"\\u0041": "\\u00e9\\/"}'), json('{"A": "é/"}'));
    assert.notEqual(json('{"a": "x\\"y"}'), json('{"a": "x\\\\y"}'));
    assert.equal(json('{"a": 1, "b": 2, "a": 3}'), '{"a":3,"b":2}');
    assert.equal(json('{"a": 1'), '{"a": 1');
    assert.notEqual(json('abc'), json('"abc"'));
  });

  it('decimals, booleans, floats, bytes and arrays in one form across drivers', () => {
    assert.equal(decimalText('012.3400'), '12.34');
    assert.equal(decimalText('-0.00'), '0');
    assert.equal(canonicalValue('decimal', '8.75'), canonicalValue('decimal', '8.7500'));
    assert.notEqual(canonicalValue('decimal', '8.75'), canonicalValue('decimal', '8.76'));
    for (const yes of [true, 1, 't', 'true', '1']) assert.equal(canonicalValue('boolean', yes), 'true');
    for (const no of [false, 0, 'f', 'false', '0']) assert.equal(canonicalValue('boolean', no), 'false');
    assert.equal(canonicalValue('float4', 1.100000023841858), canonicalValue('float4', '1.1'));
    assert.notEqual(canonicalValue('float8', 1.1), canonicalValue('float8', '1.1000000000000003'));
    assert.equal(canonicalValue('bytes', Buffer.from([0xab, 1])), canonicalValue('bytes', '\\xab01'));
    assert.equal(canonicalValue('array', [1, '2']), canonicalValue('array', '[1,2]'));
    assert.equal(canonicalValue('time', '10:00:00.5'), '10:00:00.500000');
    assert.equal(canonicalValue('date', '2024-03-01'), canonicalValue('date', '2024-03-01 00:00:00'));
    assert.notEqual(canonicalValue('date', '12024-01-01'), canonicalValue('date', '12024-01-02'));
    assert.notEqual(canonicalValue('date', '0044-03-15 BC'), canonicalValue('date', '0044-03-15'));
    assert.equal(canonicalValue('integer', 7n), canonicalValue('integer', '7'));
    assert.equal(canonicalValue('text', null), null);
  });

  it('column kinds from information_schema, MySQL booleans included', () => {
    assert.equal(columnKind('timestamp with time zone'), 'timestamptz');
    assert.equal(columnKind('tinyint', 'tinyint(1)'), 'boolean');
    assert.equal(columnKind('tinyint', 'tinyint(4)'), 'integer');
    assert.equal(columnKind('ARRAY'), 'array');
    assert.equal(columnKind('character varying'), 'text');
  });
});

const row = (key: string, columns: Record<string, string | null>): ExpectedRow => ({
  kind: 'row',
  table: 't',
  key,
  boundKey: [key],
  row: { key, columns, softDeleted: false },
});
const held = (key: string, columns: Record<string, string | null>, softDeleted = false): CanonicalRow => ({
  key,
  columns,
  softDeleted,
});

describe('row comparison', () => {
  it('names missing, extra and differing rows with the columns and both values', () => {
    const differences = compareRows(
      [row('1', { a: 'x' }), row('2', { a: 'y', b: null }), row('3', { a: 'z' })],
      [held('1', { a: 'x', extra: 'ignored' }), held('2', { a: 'y', b: 'now set' }), held('4', { a: 'q' })],
    );
    assert.deepEqual(differences, [
      { key: '2', kind: 'different', columns: [{ column: 'b', source: null, target: 'now set' }] },
      { key: '3', kind: 'missing' },
      { key: '4', kind: 'extra' },
    ]);
  });

  it('soft-deleted target rows count as absent; unchecked rows are not compared', () => {
    const expected: ExpectedRow[] = [
      { kind: 'absent', table: 't', key: '1', boundKey: ['1'] },
      { kind: 'unchecked', table: 't', key: '2', boundKey: ['2'], reason: 'filtered' },
      row('3', { a: 'x' }),
      { kind: 'absent', table: 't', key: '5', boundKey: ['5'] },
    ];
    const differences = compareRows(expected, [
      held('1', { a: 'x' }, true),
      held('2', { a: 'whatever' }),
      held('3', { a: 'x' }, true),
      held('5', { a: 'x' }),
    ]);
    assert.deepEqual(differences, [
      { key: '3', kind: 'missing' },
      { key: '5', kind: 'extra' },
    ]);
  });

  it('rows only the target has are expected when the sink keeps deleted rows', () => {
    const differences = compareRows(
      [row('1', { a: 'x' })],
      [held('1', { a: 'x' }), held('2', { a: 'y' })],
      false,
    );
    assert.deepEqual(differences, []);
  });

  it('a re-read keeps only what differed both times', () => {
    const earlier = [
      { key: '1', kind: 'missing' as const },
      { key: '2', kind: 'extra' as const },
    ];
    const later = [
      { key: '2', kind: 'extra' as const },
      { key: '3', kind: 'missing' as const },
    ];
    assert.deepEqual(persisting(earlier, later), [{ key: '2', kind: 'extra' }]);
  });
});

describe('text comparison: where a chunk read as column values differs', () => {
  // Key, a timestamp, a boolean: PostgreSQL's text on one side, MariaDB's driver values on the other.
  const plan: TextComparisonPlan = {
    table: 't',
    keyColumns: 1,
    columns: [
      { source: 'id', target: 'id', canonical: (value) => canonicalValue('integer', value) },
      { source: 'at', target: 'at', canonical: (value) => canonicalValue('timestamptz', value) },
      { source: 'ok', target: 'ok', canonical: (value) => canonicalValue('boolean', value) },
    ],
  };
  const pgRow = (id: number, at = '2024-01-01 00:00:00+00', ok = 't') => [String(id), at, ok];
  const mariaRow = (id: number, at = '2024-01-01 00:00:00.000000', ok: number | null = 1) => [id, at, ok];

  it('values equal in canonical form are equal: a chunk with none different has no range', () => {
    assert.deepEqual(differingRanges(plan, null, [pgRow(1), pgRow(2)], [mariaRow(1), mariaRow(2)], true), []);
  });

  it('a microsecond, a null or a flag apart differs: each run of differing keys is (key before it, its last key]', () => {
    const source = [1, 2, 3, 4, 5, 6].map((id) => pgRow(id));
    const target = [
      mariaRow(1),
      mariaRow(2, '2024-01-01 00:00:00.000001'),
      mariaRow(3, '2024-01-01 00:00:00.000000', null),
      mariaRow(4),
      mariaRow(5),
      mariaRow(6, '2024-01-01 00:00:00.000000', 0),
    ];
    assert.deepEqual(differingRanges(plan, ['0'], source, target, true), [
      { after: ['1'], upTo: ['3'] },
      { after: ['5'], upTo: ['6'] },
    ]);
  });

  it('missing and extra rows are found by key in numeric order; extra rows only when the sink deletes', () => {
    const source = [pgRow(2), pgRow(9), pgRow(10)];
    const target = [mariaRow(1), mariaRow(2), mariaRow(10), mariaRow(11)];
    assert.deepEqual(differingRanges(plan, null, source, target, true), [
      { after: null, upTo: ['1'] },
      { after: ['2'], upTo: ['9'] },
      { after: ['10'], upTo: ['11'] },
    ]);
    assert.deepEqual(differingRanges(plan, null, source, target, false), [{ after: ['2'], upTo: ['9'] }]);
  });

  it('composite integer keys', () => {
    const composite: TextComparisonPlan = {
      table: 't',
      keyColumns: 2,
      columns: [
        ...plan.columns.slice(0, 1),
        { ...plan.columns[0]!, source: 'n', target: 'n' },
        plan.columns[2]!,
      ],
    };
    const source = [
      ['1', '2', 't'],
      ['1', '10', 't'],
      ['2', '1', 't'],
    ];
    const target = [
      [1, 2, 1],
      [1, 10, 0],
      [2, 1, 1],
    ];
    assert.deepEqual(differingRanges(composite, null, source, target, true), [
      { after: ['1', '2'], upTo: ['1', '10'] },
    ]);
  });
});

describe('the verify request body and report values', () => {
  it('accepts the documented fields and names the bad one', () => {
    assert.deepEqual(verifyRequest({ tables: ['public.orders'], repair: true, 'chunk.size': 500 }), {
      tables: ['public.orders'],
      repair: true,
      chunkSize: 500,
    });
    assert.deepEqual(verifyRequest(undefined), {});
    assert.throws(() => verifyRequest({ repair: 'yes' }), /"repair" must be true or false/);
    assert.throws(() => verifyRequest({ 'chunk.size': 0 }), /"chunk.size" must be an integer of at least 1/);
    assert.throws(() => verifyRequest({ table: 'x' }), /Unknown verify field\(s\) "table"/);
  });

  it('abbreviates long values', () => {
    const long = 'x'.repeat(500);
    const shown = shownValue(long) ?? '';
    assert.ok(shown.length < 100, shown);
    assert.match(shown, /\(500 chars\)$/);
    assert.equal(shownValue('short'), 'short');
  });
});
