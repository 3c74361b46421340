import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConverter, converterClassNames } from '../../runtime/converters/index.js';
import { parseExactJson, stringifyExactJson, JsonNumberText } from '../../runtime/converters/exact-json.js';
import { decimal, int64, optional, string, struct, validateValue } from '../../runtime/record/index.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { asPlainObjects } from '../support/plain-objects.js';

describe('exact JSON', () => {
  it('keeps 64-bit integers and long decimals exact both ways', () => {
    const text =
      '{"a":9223372036854775807,"b":-9007199254740993,"c":12345678901234567890.123456789,"d":[1.5e3,"x"]}';
    const parsed = parseExactJson(text);
    assert.deepEqual(parsed, {
      a: 9223372036854775807n,
      b: -9007199254740993n,
      c: new JsonNumberText('12345678901234567890.123456789'),
      d: [new JsonNumberText('1.5e3'), 'x'],
    });
    assert.equal(stringifyExactJson(parsed), text);
  });

  it('rejects malformed JSON with the position', () => {
    assert.throws(() => parseExactJson('{"a":1,}'), /invalid JSON at position 7/);
    assert.throws(() => parseExactJson('[1] x'), /unexpected text after the JSON value/);
  });

  it('does not let a string look like a number marker', () => {
    const value = { s: '{"\u0000siphon-number":"1"}' };
    assert.deepEqual(parseExactJson(stringifyExactJson(value)), value);
  });
});

describe('JsonConverter', () => {
  it('round-trips every logical type with schemas.enable=true', async () => {
    for (const format of ['BASE64', 'NUMERIC']) {
      const converter = await createConverter(
        'org.apache.kafka.connect.json.JsonConverter',
        { 'decimal.format': format },
        false,
        {},
      );
      const bytes = await converter.fromConnectData('t', everyTypeEnvelope, everyTypeEvent);
      assert.ok(bytes);
      const back = await converter.toConnectData('t', bytes);
      assert.deepEqual(asPlainObjects(back.value), everyTypeEvent);
      assert.deepEqual(
        JSON.parse(JSON.stringify(back.schema)),
        JSON.parse(JSON.stringify(everyTypeEnvelope)),
      );
      validateValue(back.schema!, back.value);
    }
  });

  it('reads consecutive messages whose schema repeats or changes', async () => {
    const converter = await createConverter('json', {}, false, {});
    const a = struct('a', [['n', int64()]]);
    const b = struct('a', [
      ['n', int64()],
      ['s', optional(string())],
    ]);
    const messages = [
      [a, { n: 1n }],
      [a, { n: 2n }],
      [b, { n: 3n, s: 'x' }],
      [a, { n: 4n }],
    ] as const;
    for (const [schema, value] of messages) {
      const back = await converter.toConnectData('t', await converter.fromConnectData('t', schema, value));
      assert.deepEqual(asPlainObjects(back.value), value);
      assert.deepEqual(back.schema?.fields?.length, schema.fields?.length);
    }
    // Same schema text, but a payload followed by extra text: rejected, not misread.
    await assert.rejects(
      converter.toConnectData(
        't',
        Buffer.from(
          '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"n"}],"optional":false,"name":"a"},"payload":{"n":5},"x":1}',
        ),
      ),
      /schemas\.enable/,
    );
  });

  it('writes the Kafka Connect envelope layout', async () => {
    const converter = await createConverter('json', {}, false, {});
    const schema = struct('p.s.t.Value', [
      ['id', int64()],
      ['price', optional(decimal(2))],
      ['name', string()],
    ]);
    const bytes = await converter.fromConnectData('t', schema, {
      id: 9007199254740993n,
      price: '1.50',
      name: 'x',
    });
    assert.equal(
      bytes!.toString(),
      '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},' +
        '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,' +
        '"parameters":{"scale":"2"},"field":"price"},{"type":"string","optional":false,"field":"name"}],' +
        '"optional":false,"name":"p.s.t.Value"},"payload":{"id":9007199254740993,"price":"AJY=","name":"x"}}',
    );
  });

  it('writes and reads bare payloads with schemas.enable=false', async () => {
    const converter = await createConverter('json', { 'schemas.enable': 'false' }, true, {});
    const schema = struct('k', [['id', int64()]]);
    const bytes = await converter.fromConnectData('t', schema, { id: 5n });
    assert.equal(bytes!.toString(), '{"id":5}');
    assert.deepEqual(await converter.toConnectData('t', bytes), { schema: null, value: { id: 5n } });
  });

  it('writes null for a tombstone and reads it back', async () => {
    const converter = await createConverter('json', {}, false, {});
    assert.equal(await converter.fromConnectData('t', null, null), null);
    assert.deepEqual(await converter.toConnectData('t', null), { schema: null, value: null });
  });

  it('explains a message without the envelope', async () => {
    const converter = await createConverter('json', {}, false, {});
    await assert.rejects(
      converter.toConnectData('orders', Buffer.from('{"id":1}')),
      /topic orders: .*schemas\.enable=false/,
    );
  });

  it('names the field of a value that does not fit', async () => {
    const converter = await createConverter('json', {}, false, {});
    const schema = struct('v', [['inner', struct('i', [['n', int64()]])]]);
    await assert.rejects(
      converter.fromConnectData('t', schema, { inner: { n: 'x' } }),
      /inner\.n: expected a bigint/,
    );
  });

  it('rejects bad settings naming the key and value', async () => {
    await assert.rejects(
      createConverter('json', { 'schemas.enable': 'maybe' }, false, {}),
      /schemas\.enable.*"maybe"/,
    );
    await assert.rejects(
      createConverter('json', { 'decimal.format': 'HEX' }, false, {}),
      /decimal\.format.*BASE64, NUMERIC/,
    );
  });
});

describe('createConverter', () => {
  it('accepts Kafka Connect class names and short names', () => {
    assert.ok(converterClassNames.includes('io.confluent.connect.avro.AvroConverter'));
    assert.ok(converterClassNames.includes('org.apache.kafka.connect.storage.StringConverter'));
  });

  it('names an unknown converter and lists the accepted ones', async () => {
    await assert.rejects(
      createConverter('com.example.Nope', {}, false, {}),
      /value\.converter "com\.example\.Nope" is not a known converter; use one of .*JsonConverter/,
    );
  });

  it('StringConverter writes text and reads optional strings', async () => {
    const converter = await createConverter('org.apache.kafka.connect.storage.StringConverter', {}, true, {});
    assert.equal((await converter.fromConnectData('t', null, 12n))!.toString(), '12');
    assert.equal((await converter.fromConnectData('t', null, { a: 1n }))!.toString(), '{"a":1}');
    assert.deepEqual((await converter.toConnectData('t', Buffer.from('héllo'))).value, 'héllo');
    await assert.rejects(
      createConverter('string', { 'converter.encoding': 'latin1' }, true, {}),
      /converter\.encoding/,
    );
  });

  it('AvroConverter without any registry URL says which setting is missing', async () => {
    await assert.rejects(createConverter('avro', {}, false, {}), /needs schema\.registry\.url/);
  });
});
