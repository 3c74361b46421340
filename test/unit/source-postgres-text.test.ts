import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArrayLiteral } from '../../connectors/source-postgres/array-literal.js';
import { constantDefaultText } from '../../connectors/source-postgres/column-default.js';
import { formatLsn, parseLsn } from '../../connectors/source-postgres/lsn.js';
import {
  bitsToBytes,
  formatIsoTimestamp,
  hstoreToJson,
  intervalIso,
  intervalMicros,
  parseDate,
  parseTimestampMicros,
  pointWkb,
  zonedTime,
  zonedTimestamp,
} from '../../connectors/source-postgres/pg-text.js';
import {
  alreadyEmitted,
  fromSourceOffset,
  initialPosition,
  toSourceOffset,
} from '../../connectors/source-postgres/lsn-offset.js';

/** zonedTimestamp as computed through epoch microseconds, which its fast path for UTC texts must match. */
function computedZonedTimestamp(text: string, width: number): string {
  const iso = formatIsoTimestamp(parseTimestampMicros(text));
  if (width === 0) return iso;
  const [whole, fraction = ''] = iso.slice(0, -1).split('.');
  return `${whole}.${fraction.padEnd(width, '0').slice(0, Math.max(width, fraction.length))}Z`;
}

describe('PostgreSQL text values', () => {
  it('writes UTC timestamptz texts as the computed path does, for generated texts', () => {
    let state = 12345;
    const next = (below: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % below;
    };
    const two = (n: number): string => String(n).padStart(2, '0');
    let fast = 0;
    for (let i = 0; i < 50_000; i++) {
      const year = String([0, 1, 44, 1900, 1970, 2000, 2024, 2100, 9999][next(9)]! + next(3)).padStart(
        4,
        '0',
      );
      const date = `${year}-${two(next(14))}-${two(next(33))}`;
      const time = `${two(next(26))}:${two(next(61))}:${two(next(61))}`;
      const fraction = next(3) === 0 ? '' : `.${String(next(1e9)).slice(0, 1 + next(9))}`;
      const offset = ['+00', '+00', '+00', '+02', '-03:30', '+00:00'][next(6)]!;
      const text = `${date} ${time}${fraction}${offset}`;
      const width = next(8);
      let expected: string;
      try {
        expected = computedZonedTimestamp(text, width);
      } catch (error) {
        assert.throws(() => zonedTimestamp(text, width), { message: (error as Error).message });
        continue;
      }
      assert.equal(zonedTimestamp(text, width), expected, `${text} at width ${width}`);
      if (offset === '+00') fast++;
    }
    assert.ok(fast > 10_000);
  });

  it('parses dates including BC', () => {
    assert.equal(parseDate('1970-01-01'), 0);
    assert.equal(parseDate('0001-01-01 BC'), parseDate('0001-01-01') - 366);
  });
  it('parses timestamps with offsets and formats ISO UTC', () => {
    assert.equal(parseTimestampMicros('1970-01-01 00:00:01.5'), 1_500_000n);
    assert.equal(parseTimestampMicros('1970-01-01 02:00:00+02'), 0n);
    assert.equal(formatIsoTimestamp(-1n), '1969-12-31T23:59:59.999999Z');
    assert.equal(zonedTimestamp('2024-02-29 13:45:07.25+02'), '2024-02-29T11:45:07.250000Z');
    assert.equal(zonedTimestamp('2024-02-29 13:45:05+02'), '2024-02-29T11:45:05.000000Z');
    assert.equal(zonedTimestamp('2024-02-29 13:45:05.5+02', 3), '2024-02-29T11:45:05.500Z');
    assert.equal(zonedTimestamp('2024-02-29 13:45:05+02', 0), '2024-02-29T11:45:05Z');
    assert.equal(zonedTimestamp('infinity'), 'infinity');
    assert.equal(zonedTime('00:30:00+01'), '23:30:00Z');
  });
  it('converts ISO-8601 intervals to Debezium MicroDuration', () => {
    assert.equal(intervalMicros('PT1.5S'), 1_500_000n);
    assert.equal(intervalMicros('P1D'), 86_400_000_000n);
    assert.equal(intervalMicros('P-1DT-0.5S'), -86_400_500_000n);
    assert.equal(intervalMicros('P1M'), BigInt(Math.round(30.4375 * 86400e6)));
    assert.equal(intervalMicros('P1Y2M3DT4H5M6.5S'), 37_091_106_500_000n);
    // Beyond 2^53 microseconds the months stay exact: 2,000 years.
    assert.equal(intervalMicros('P2000Y'), 24_000n * 2_629_800_000_000n);
    assert.throws(
      () => intervalMicros('P178000000Y'),
      /beyond the int64 microseconds.*interval\.handling\.mode=string/,
    );
    assert.equal(intervalIso('P178000000Y'), 'P178000000Y0M0DT0H0M0S');
    assert.equal(intervalIso('P1Y2M3DT4H5M6.5S'), 'P1Y2M3DT4H5M6.5S');
    assert.equal(intervalIso('P-1DT-0.25S'), 'P0Y0M-1DT0H0M-0.25S');
  });
  it('parses array literals with quoting, NULL and nesting', () => {
    assert.deepEqual(parseArrayLiteral('{1,NULL,3}'), ['1', null, '3']);
    assert.deepEqual(parseArrayLiteral('{"a,b","c\\"d","NULL"}'), ['a,b', 'c"d', 'NULL']);
    assert.deepEqual(parseArrayLiteral('{{1,2},{3,4}}'), ['1', '2', '3', '4']);
    assert.deepEqual(parseArrayLiteral('[0:1]={5,6}'), ['5', '6']);
    assert.deepEqual(parseArrayLiteral('{}'), []);
    assert.deepEqual(parseArrayLiteral('{(0,0),(1,1);(2,2),(3,3)}', ';'), ['(0,0),(1,1)', '(2,2),(3,3)']);
  });
  it('turns hstore into JSON, bits into little-endian bytes, points into WKB', () => {
    assert.equal(hstoreToJson('"a"=>"1", "b\\"q"=>NULL'), '{"a":"1","b\\"q":null}');
    assert.equal(hstoreToJson(''), '{}');
    assert.deepEqual(bitsToBytes('100000001'), Buffer.from([0x01, 0x01]));
    assert.equal(pointWkb(1, 2).toString('hex'), '0101000000000000000000f03f0000000000000040');
  });
});

describe('LSN offsets', () => {
  it('round-trips LSN text', () => {
    assert.equal(parseLsn('16/B374D848'), 0x16b374d848n);
    assert.equal(formatLsn(0x16b374d848n), '16/B374D848');
    assert.throws(() => parseLsn('16-B3'), /not a PostgreSQL LSN/);
  });
  it('round-trips the offset and skips what was emitted', () => {
    const position = {
      ...initialPosition,
      lsn: 100n,
      lsnCommit: 90n,
      lsnFlush: 80n,
      txId: 7,
      eventSeq: 3,
      txDone: false,
    };
    const offset = toSourceOffset({
      position,
      snapshot: { inProgress: false, completed: true, table: null, lastKey: null },
    });
    assert.equal(offset['lsn_commit'], 90);
    const back = fromSourceOffset(offset);
    assert.deepEqual(back.position, { ...position, tsUsec: null });
    assert.ok(alreadyEmitted(back.position, 80n, 99));
    assert.ok(alreadyEmitted(back.position, 90n, 3));
    assert.ok(!alreadyEmitted(back.position, 90n, 4));
    assert.ok(!alreadyEmitted(back.position, 91n, 1));
    assert.ok(!alreadyEmitted(initialPosition, 1n, 1));
  });
});

describe('column defaults', () => {
  it('only constants travel in the schema', () => {
    assert.equal(constantDefaultText("'42'::integer"), '42');
    assert.equal(constantDefaultText('42'), '42');
    assert.equal(constantDefaultText('(-5)'), '-5');
    assert.equal(constantDefaultText("'it''s'::text"), "it's");
    assert.equal(constantDefaultText("'a b'::character varying"), 'a b');
    assert.equal(constantDefaultText('true'), 't');
    assert.equal(constantDefaultText('now()'), undefined);
    assert.equal(constantDefaultText("nextval('items_id_seq'::regclass)"), undefined);
    assert.equal(constantDefaultText('(1 + 2)'), undefined);
  });
});
