import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonConverter } from '../../runtime/converters/json-converter.js';
import { envelopeSchema } from '../../runtime/cdc/change-event.js';
import { postgresSourceSchema, postgresSourceValue } from '../../connectors/source-postgres/source-info.js';
import {
  decimal,
  int32,
  int64,
  logical,
  LogicalName,
  newStruct,
  optional,
  string,
  struct,
  withDefault,
  type Schema,
} from '../../runtime/record/index.js';
import type { DecimalFormat } from '../../runtime/converters/json-payload.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { oracleJsonMessage } from '../support/json-payload-oracle.js';
import { RandomRecords } from '../support/random-records.js';

interface Settings {
  readonly decimalFormat: DecimalFormat;
  readonly replaceNullWithDefault: boolean;
  readonly schemasEnabled: boolean;
}

const everySetting: Settings[] = (['BASE64', 'NUMERIC'] as const).flatMap((decimalFormat) =>
  [true, false].flatMap((replaceNullWithDefault) =>
    [true, false].map((schemasEnabled) => ({ decimalFormat, replaceNullWithDefault, schemasEnabled })),
  ),
);

async function converterFor(settings: Settings): Promise<JsonConverter> {
  const converter = new JsonConverter();
  await converter.configure({
    'decimal.format': settings.decimalFormat,
    'replace.null.with.default': String(settings.replaceNullWithDefault),
    'schemas.enable': String(settings.schemasEnabled),
  });
  return converter;
}

/** What the converter did: the bytes, or the error message. */
async function written(converter: JsonConverter, schema: Schema, value: unknown): Promise<string> {
  try {
    const bytes = await converter.fromConnectData('t', schema, value);
    return `bytes ${bytes!.toString('hex')}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

/** What the previous write path did, with the converter's wording around a payload error. */
function expected(settings: Settings, schema: Schema, value: unknown): string {
  let payloadFailed = true;
  try {
    oracleJsonMessage(schema, value, settings, false);
    payloadFailed = false;
    return `bytes ${oracleJsonMessage(schema, value, settings, settings.schemasEnabled).toString('hex')}`;
  } catch (error) {
    const message = (error as Error).message;
    return payloadFailed
      ? `error JsonConverter cannot convert a record for topic t: ${message}`
      : `error ${message}`;
  }
}

describe('JsonConverter compiled payload writer', () => {
  it('writes the bytes the tree-and-stringify path wrote for every logical type', async () => {
    for (const settings of everySetting) {
      const converter = await converterFor(settings);
      for (let round = 0; round < 2; round++) {
        assert.equal(
          await written(converter, everyTypeEnvelope, everyTypeEvent),
          expected(settings, everyTypeEnvelope, everyTypeEvent),
        );
      }
    }
  });

  it('writes the same bytes as before for a PostgreSQL change event', async () => {
    const row = struct('p.public.items.Value', [
      ['id', int64()],
      ['a', int32()],
      ['price', decimal(2, 12)],
      ['updated_at', logical(LogicalName.ZonedTimestamp)],
      ['code', optional(string())],
      ['note', withDefault(optional(string()), 'none')],
    ]);
    const schema = envelopeSchema('p.public.items.Envelope', row, postgresSourceSchema);
    const value = {
      before: null,
      after: {
        id: 9007199254740993n,
        a: -5,
        price: '-1234567890.05',
        updated_at: '2024-03-01T10:15:30.123456Z',
        code: 'code-\u0001-é-😀',
        note: null,
      },
      source: postgresSourceValue({
        serverName: 'p',
        db: 'd',
        schema: 'public',
        table: 'items',
        tsUs: 1709288130123456n,
        snapshot: 'last',
        txId: 771,
        lsn: 23456789n,
        lastCommitLsn: null,
        origin: null,
      }),
      transaction: null,
      op: 'r',
      ts_ms: 1709288130999n,
      ts_us: 1709288130999001n,
      ts_ns: 1709288130999001000n,
    };
    for (const settings of everySetting) {
      assert.equal(
        await written(await converterFor(settings), schema, value),
        expected(settings, schema, value),
      );
    }
  });

  it('writes the same bytes or the same error as before for generated schemas and values', async () => {
    const random = new RandomRecords(20240301);
    const converters = await Promise.all(everySetting.map(converterFor));
    let compared = 0;
    let errors = 0;
    for (let s = 0; s < 400; s++) {
      const schema = random.schema();
      for (let v = 0; v < 10; v++) {
        random.wrongTypes = v < 6 ? 0 : 0.05;
        const value = random.value(schema);
        for (const [i, settings] of everySetting.entries()) {
          const want = expected(settings, schema, value);
          assert.equal(await written(converters[i]!, schema, value), want, `schema ${s}, value ${v}`);
          compared++;
          if (want.startsWith('error')) errors++;
        }
      }
    }
    // The generator must reach both outcomes, or the comparison proves little.
    assert.ok(errors > 500 && compared - errors > 10_000, `${compared} compared, ${errors} errors`);
  });

  it('keeps integer-like and repeated field names where JSON.stringify put them', async () => {
    const schema: Schema = {
      type: 'struct',
      optional: false,
      fields: [
        { name: 'b', index: 0, schema: string() },
        { name: '10', index: 1, schema: int32() },
        { name: '2', index: 2, schema: int32() },
        { name: 'b', index: 3, schema: optional(string()) },
        { name: '__proto__', index: 4, schema: string() },
      ],
    };
    const value = newStruct();
    value.b = 'x';
    value['10'] = 10;
    value['2'] = 2;
    value['__proto__'] = 'p';
    const settings = everySetting[0]!;
    const converter = await converterFor({ ...settings, schemasEnabled: false });
    assert.equal(
      await written(converter, schema, value),
      `bytes ${Buffer.from('{"2":2,"10":10,"b":"x","__proto__":"p"}').toString('hex')}`,
    );
    assert.equal(
      await written(converter, schema, value),
      expected({ ...settings, schemasEnabled: false }, schema, value),
    );
  });
});
