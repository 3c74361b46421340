import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { avscTypeHook } from '../../runtime/converters/avsc-type-hook.js';
import { toAvroSchema } from '../../runtime/converters/avro-schema.js';
import { fromAvroValue, toAvroValue } from '../../runtime/converters/avro-value.js';
import { createConverter } from '../../runtime/converters/index.js';
import type { RunningSchemaRegistry } from '../../runtime/registry/index.js';
import type { Schema } from '../../runtime/record/index.js';
import { everyTypeEnvelope, everyTypeEvent } from '../support/converter-fixtures.js';
import { asPlainObjects } from '../support/plain-objects.js';
import { RandomRecords } from '../support/random-records.js';
import { uniqueName } from '../support/plugin-test-kit.js';
import { registryFixture } from './registry-support.js';

/**
 * The AvroConverter encodes and decodes with avsc itself; before, Confluent's JavaScript
 * client did (`encode(id, value)`, `decode(bytes)`). Both must give the same bytes and values.
 */
const fixture = registryFixture('converter_avro_fidelity');
let registry: RunningSchemaRegistry;

before(async () => {
  registry = await fixture.start();
});
after(async () => {
  await fixture.cleanup();
});

/** Only schemas Avro can carry (generated field names include some it cannot). */
function avroMappable(schema: Schema): boolean {
  try {
    toAvroSchema(schema);
    return true;
  } catch {
    return false;
  }
}

describe('AvroConverter without the registry client on the hot path', () => {
  it('writes and reads what the Confluent client wrote and read, for generated records', async () => {
    const deps = { defaultSchemaRegistryUrl: registry.url };
    const converter = await createConverter('avro', {}, false, deps);
    const client = new SchemaRegistry(
      { host: registry.url },
      { [SchemaType.AVRO]: { typeHook: avscTypeHook as never } },
    );
    const random = new RandomRecords(424242);
    const cases: [string, Schema, unknown][] = [[uniqueName('fidelity'), everyTypeEnvelope, everyTypeEvent]];
    while (cases.length < 2000) {
      const inner = random.schema();
      const schema: Schema = {
        type: 'struct',
        optional: false,
        name: 'fidelity.Value',
        fields: [{ name: 'v', index: 0, schema: inner }],
      };
      if (!avroMappable(schema)) continue;
      // One topic per schema: its subject is registered once.
      const topic = uniqueName('fidelity');
      for (let i = 0; i < 20; i++) cases.push([topic, schema, { v: random.value(inner) }]);
    }
    let compared = 0;
    for (const [n, [topic, schema, value]] of cases.entries()) {
      let bytes: Buffer | null;
      try {
        bytes = await converter.fromConnectData(topic, schema, value);
      } catch (error) {
        // Refused values must be refused by the old path too.
        await assert.rejects(
          async () => {
            const id = (await client.getLatestSchemaId(`${topic}-value`)) as number;
            await client.encode(id, toAvroValue(schema, value));
          },
          `case ${n}: ${(error as Error).message}`,
        );
        continue;
      }
      const id = bytes!.readUInt32BE(1);
      const before = await client.encode(id, toAvroValue(schema, value));
      assert.equal(bytes!.toString('hex'), before.toString('hex'), `case ${n}`);
      const read = await converter.toConnectData(topic, bytes);
      assert.deepStrictEqual(
        asPlainObjects(read.value),
        asPlainObjects(fromAvroValue(read.schema!, await client.decode(bytes!))),
        `case ${n}`,
      );
      compared++;
    }
    assert.ok(compared > 1000, `${compared} compared`);
  });
});
