import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExactJson, type ExactJson } from '../../runtime/converters/exact-json.js';
import { JsonConverter } from '../../runtime/converters/json-converter.js';
import { fromJsonPayload, type PayloadOptions } from '../../runtime/converters/json-payload.js';
import type { Schema } from '../../runtime/record/index.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { oracleFromJsonPayload } from '../support/json-payload-oracle.js';
import { RandomRecords } from '../support/random-records.js';

function outcome(read: () => unknown): unknown {
  try {
    return { value: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function assertSameRead(schema: Schema, json: ExactJson, options: PayloadOptions, path?: string): boolean {
  const now = outcome(() => fromJsonPayload(schema, json, options, path));
  assert.deepStrictEqual(
    now,
    outcome(() => oracleFromJsonPayload(schema, json, options, path)),
  );
  return 'value' in (now as object);
}

describe('JsonConverter payload reader', () => {
  it('reads what it read before, and fails where it failed before with the same path', async () => {
    const random = new RandomRecords(31337);
    const options: PayloadOptions = { decimalFormat: 'NUMERIC', replaceNullWithDefault: false };
    const converter = new JsonConverter();
    await converter.configure({ 'schemas.enable': 'false', 'decimal.format': 'NUMERIC' });
    const payloads: [Schema, ExactJson][] = [
      [
        everyTypeEnvelope,
        parseExactJson((await converter.fromConnectData('t', everyTypeEnvelope, everyTypeEvent))!.toString()),
      ],
    ];
    while (payloads.length < 3000) {
      const schema = random.schema();
      try {
        const bytes = await converter.fromConnectData('t', schema, random.value(schema));
        payloads.push([schema, parseExactJson(bytes!.toString())]);
      } catch {
        // A generated value the writer refuses: nothing to read.
      }
    }
    let read = 0;
    let failed = 0;
    for (const [i, [schema, json]] of payloads.entries()) {
      if (assertSameRead(schema, json, options)) read++;
      // The same JSON read with another schema: mostly failures, each naming its path.
      const other = payloads[(i * 7 + 3) % payloads.length]![0];
      if (!assertSameRead(other, json, options, i % 2 === 0 ? '' : 'schema default')) failed++;
    }
    assert.ok(read > 2500 && failed > 1000, `${read} read, ${failed} failed`);
  });
});
