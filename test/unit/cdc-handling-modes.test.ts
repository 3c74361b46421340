import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decimalSchema,
  decimalValue,
  rescale,
  unscaledBytes,
  variableScaleValue,
} from '../../runtime/cdc/decimal-handling.js';
import { binaryValue } from '../../runtime/cdc/binary-handling.js';
import {
  epochDay,
  floorDiv,
  timeSchema,
  timeValue,
  timestampSchema,
  timestampValue,
} from '../../runtime/cdc/temporal-handling.js';

describe('decimal.handling.mode', () => {
  it('precise keeps the declared scale as a Decimal string', () => {
    const schema = decimalSchema('precise', 10, 3, true);
    assert.equal(schema.name, 'org.apache.kafka.connect.data.Decimal');
    assert.deepEqual(schema.parameters, { scale: '3', 'connect.decimal.precision': '10' });
    assert.equal(decimalValue('precise', '-12.34', 3), '-12.340');
    assert.equal(rescale('0.0005', 3), '0.001');
    assert.equal(rescale('-0.0004', 3), '0.000');
  });
  it('precise without scale is a VariableScaleDecimal with Java BigInteger bytes', () => {
    assert.deepEqual(variableScaleValue('-1.5'), { scale: 1, value: Buffer.from([0xf1]) });
    assert.deepEqual(unscaledBytes(128n), Buffer.from([0x00, 0x80]));
    assert.deepEqual(unscaledBytes(-128n), Buffer.from([0x80]));
    assert.deepEqual(unscaledBytes(-129n), Buffer.from([0xff, 0x7f]));
    assert.deepEqual(unscaledBytes(0n), Buffer.from([0x00]));
  });
  it('special values: null when precise, kept as double and string', () => {
    assert.equal(decimalValue('precise', 'NaN', 2), null);
    assert.ok(Number.isNaN(decimalValue('double', 'NaN', 2) as number));
    assert.equal(decimalValue('double', '-Infinity', undefined), Number.NEGATIVE_INFINITY);
    assert.equal(decimalValue('string', 'Infinity', undefined), 'Infinity');
    assert.equal(decimalValue('string', '1.50', 2), '1.50');
  });
});

describe('time.precision.mode', () => {
  it('adaptive picks milli or micro types by precision', () => {
    assert.equal(timeSchema('adaptive', 3, true).name, 'io.debezium.time.Time');
    assert.equal(timeSchema('adaptive', 6, true).name, 'io.debezium.time.MicroTime');
    assert.equal(timeSchema('adaptive_time_microseconds', 0, true).name, 'io.debezium.time.MicroTime');
    assert.equal(timestampSchema('adaptive', 2, true).name, 'io.debezium.time.Timestamp');
    assert.equal(timestampSchema('adaptive', 6, true).name, 'io.debezium.time.MicroTimestamp');
    assert.equal(timestampSchema('connect', 6, true).name, 'org.apache.kafka.connect.data.Timestamp');
  });
  it('converts micros to the schema unit with floor division', () => {
    assert.equal(timeValue(timeSchema('adaptive', 3, true), 1_234_567n), 1234);
    assert.equal(timestampValue(timestampSchema('connect', 6, true), -1n), -1n);
    assert.equal(timestampValue(timestampSchema('adaptive', 6, true), -1n), -1n);
    assert.equal(floorDiv(-1001n, 1000n), -2n);
    assert.equal(floorDiv(1001n, 1000n), 1n);
  });
  it('computes epoch days for any proleptic Gregorian date', () => {
    assert.equal(epochDay(1970, 1, 1), 0);
    assert.equal(epochDay(2000, 3, 1), 11017);
    assert.equal(epochDay(1969, 12, 31), -1);
    assert.equal(epochDay(0, 1, 1), -719528);
  });
});

describe('binary.handling.mode', () => {
  it('encodes bytes per mode', () => {
    const b = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    assert.equal(binaryValue('hex', b), 'deadbeef');
    assert.equal(binaryValue('base64', b), '3q2+7w==');
    assert.equal(binaryValue('bytes', b), b);
  });
});
