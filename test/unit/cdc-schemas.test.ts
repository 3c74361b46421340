import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { postgresSourceSchema } from '../../connectors/source-postgres/source-info.js';
import { transactionBlockSchema } from '../../runtime/cdc/change-event.js';
import { heartbeatKeySchema, heartbeatValueSchema } from '../../runtime/cdc/heartbeat.js';
import { transactionKeySchema, transactionValueSchema } from '../../runtime/cdc/transaction-metadata.js';
import { toAvroSchema } from '../../runtime/converters/avro-schema.js';
import type { Schema } from '../../runtime/record/index.js';

/** The Avro schemas published in schemas/ are exactly the Avro form of the record-model definitions. */
const published: [string, Schema][] = [
  ['postgresql-source.avsc', postgresSourceSchema],
  ['heartbeat-key.avsc', heartbeatKeySchema],
  ['heartbeat-value.avsc', heartbeatValueSchema],
  ['transaction-metadata-key.avsc', transactionKeySchema],
  ['transaction-metadata-value.avsc', transactionValueSchema],
  ['transaction-block.avsc', { ...transactionBlockSchema, optional: false }],
];

describe('schemas/ (public Avro contract)', () => {
  for (const [file, schema] of published) {
    it(`${file} matches its definition`, () => {
      const text = readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8');
      assert.deepEqual(JSON.parse(text), toAvroSchema(schema));
    });
  }
});
