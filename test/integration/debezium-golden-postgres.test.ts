import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toAvroSchema } from '../../runtime/converters/avro-schema.js';
import { JsonConverter } from '../../runtime/converters/json-converter.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import { siphonVersion } from '../../runtime/siphon-version.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * Golden test: one table of every common PostgreSQL type family, captured by Siphon and
 * serialised by the JsonConverter (schemas enabled), compared with what Debezium 3.x writes
 * for the same table according to its documentation (PostgreSQL connector: "Data type
 * mappings", "Change event values", "Transaction metadata"; JsonConverter field order).
 * The expected text is written out here by hand; only values that differ per run (times,
 * LSNs, transaction ids) are checked by their relation instead of by value. Accepted
 * differences are listed in connectors/source-postgres/README.md under "Differences from
 * Debezium".
 */

const tableDdl = `CREATE TABLE golden (
  id int PRIMARY KEY,
  c_smallint smallint NOT NULL,
  c_bigint bigint,
  c_real real,
  c_double double precision,
  c_numeric numeric(10,3),
  c_bool boolean NOT NULL,
  c_text text NOT NULL,
  c_varchar varchar(20),
  c_bytea bytea,
  c_date date,
  c_time time,
  c_timestamp timestamp,
  c_tstz timestamptz,
  c_interval interval,
  c_uuid uuid,
  c_json json,
  c_jsonb jsonb,
  c_int_arr int[]
)`;

const rowValues = `-12, 9223372036854775807, 1.5, 3.25, -1234.5, true, 'héllo', 'v', '\\xdeadbeef',
  '2024-02-29', '24:00:00', '2024-02-29 13:45:07.123456', '2024-02-29 13:45:05+02',
  '1 year 2 months 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": null}', '{1,2}'`;

const expectedKeySchema =
  '{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"golden.public.golden.Key"}';

const rowFields =
  '[{"type":"int32","optional":false,"field":"id"},' +
  '{"type":"int16","optional":false,"field":"c_smallint"},' +
  '{"type":"int64","optional":true,"field":"c_bigint"},' +
  '{"type":"float","optional":true,"field":"c_real"},' +
  '{"type":"double","optional":true,"field":"c_double"},' +
  '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3","connect.decimal.precision":"10"},"field":"c_numeric"},' +
  '{"type":"boolean","optional":false,"field":"c_bool"},' +
  '{"type":"string","optional":false,"field":"c_text"},' +
  '{"type":"string","optional":true,"field":"c_varchar"},' +
  '{"type":"bytes","optional":true,"field":"c_bytea"},' +
  '{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"c_date"},' +
  '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"c_time"},' +
  '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"c_timestamp"},' +
  '{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c_tstz"},' +
  '{"type":"int64","optional":true,"name":"io.debezium.time.MicroDuration","version":1,"field":"c_interval"},' +
  '{"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"c_uuid"},' +
  '{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c_json"},' +
  '{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c_jsonb"},' +
  '{"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"c_int_arr"}]';

const sourceFields =
  '[{"type":"string","optional":false,"field":"version"},' +
  '{"type":"string","optional":false,"field":"connector"},' +
  '{"type":"string","optional":false,"field":"name"},' +
  '{"type":"int64","optional":false,"field":"ts_ms"},' +
  '{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},' +
  '{"type":"string","optional":false,"field":"db"},' +
  '{"type":"string","optional":true,"field":"sequence"},' +
  '{"type":"int64","optional":true,"field":"ts_us"},' +
  '{"type":"int64","optional":true,"field":"ts_ns"},' +
  '{"type":"string","optional":false,"field":"schema"},' +
  '{"type":"string","optional":false,"field":"table"},' +
  '{"type":"int64","optional":true,"field":"txId"},' +
  '{"type":"int64","optional":true,"field":"lsn"},' +
  '{"type":"int64","optional":true,"field":"xmin"},' +
  '{"type":"string","optional":true,"field":"origin"},' +
  '{"type":"int64","optional":true,"field":"origin_lsn"}]';

const expectedValueSchema =
  '{"type":"struct","fields":[' +
  `{"type":"struct","fields":${rowFields},"optional":true,"name":"golden.public.golden.Value","field":"before"},` +
  `{"type":"struct","fields":${rowFields},"optional":true,"name":"golden.public.golden.Value","field":"after"},` +
  `{"type":"struct","fields":${sourceFields},"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"},` +
  '{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},' +
  '{"type":"string","optional":false,"field":"op"},' +
  '{"type":"int64","optional":true,"field":"ts_ms"},' +
  '{"type":"int64","optional":true,"field":"ts_us"},' +
  '{"type":"int64","optional":true,"field":"ts_ns"}' +
  '],"optional":false,"name":"golden.public.golden.Envelope","version":2}';

/** The `after` payload Debezium documents for the row (id 1), in field order. */
const expectedRow = (id: number): string =>
  `{"id":${id},"c_smallint":-12,"c_bigint":9223372036854775807,"c_real":1.5,"c_double":3.25,` +
  '"c_numeric":"7Sm8","c_bool":true,"c_text":"héllo","c_varchar":"v","c_bytea":"3q2+7w==",' +
  '"c_date":19782,"c_time":86400000000,"c_timestamp":1709214307123456,' +
  '"c_tstz":"2024-02-29T11:45:05.000000Z","c_interval":37091106500000,' +
  '"c_uuid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","c_json":"{\\"a\\": [1, 2]}","c_jsonb":"{\\"b\\": null}",' +
  '"c_int_arr":[1,2]}';

interface Envelope {
  before: unknown;
  after: unknown;
  source: Record<string, unknown>;
  transaction: unknown;
  op: string;
  ts_ms: number;
  ts_us: number;
  ts_ns: number;
}

const json = new JsonConverter();

async function serialised(record: SourceRecord): Promise<{ key: string; value: string }> {
  const key = await json.fromConnectData(record.topic, record.keySchema, record.key);
  const value = await json.fromConnectData(record.topic, record.valueSchema, record.value);
  return { key: key!.toString('utf8'), value: value!.toString('utf8') };
}

/** The envelope's payload text split into the parts compared exactly and the volatile ones. */
function payloadOf(valueText: string): { schema: string; envelope: Envelope; raw: string } {
  const schemaStart = valueText.indexOf('"schema":') + '"schema":'.length;
  const payloadStart = valueText.lastIndexOf(',"payload":');
  const raw = valueText.slice(payloadStart + ',"payload":'.length, -1);
  return {
    schema: valueText.slice(schemaStart, payloadStart),
    envelope: JSON.parse(raw, (_k, v: unknown) => v) as Envelope,
    raw,
  };
}

/** The `after`/`before` text exactly as serialised (numbers beyond 2^53 stay exact). */
function rowText(raw: string, field: 'before' | 'after'): string {
  const start = raw.indexOf(`"${field}":`) + field.length + 3;
  if (raw.startsWith('null', start)) return 'null';
  let depth = 0;
  let inString = false;
  for (let i = start; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return raw.slice(start, i + 1);
    }
  }
  throw new Error(`no ${field} in ${raw}`);
}

function assertSource(source: Record<string, unknown>, db: string, snapshot: string): void {
  assert.deepEqual(Object.keys(source), [
    'version',
    'connector',
    'name',
    'ts_ms',
    'snapshot',
    'db',
    'sequence',
    'ts_us',
    'ts_ns',
    'schema',
    'table',
    'txId',
    'lsn',
    'xmin',
    'origin',
    'origin_lsn',
  ]);
  assert.equal(source.version, siphonVersion);
  assert.equal(source.connector, 'postgresql');
  assert.equal(source.name, 'golden');
  assert.equal(source.snapshot, snapshot);
  assert.equal(source.db, db);
  assert.equal(source.schema, 'public');
  assert.equal(source.table, 'golden');
  assert.equal(typeof source.txId, 'number', 'txId is set, in the snapshot too');
  assert.equal(typeof source.lsn, 'number');
  assert.equal(source.xmin, null);
  assert.equal(source.origin, null);
  assert.equal(source.origin_lsn, null);
  const tsMs = source.ts_ms as number;
  assert.ok(Math.floor((source.ts_us as number) / 1000) === tsMs, 'ts_us is ts_ms in microseconds');
  assert.ok(
    Math.abs((source.ts_ns as number) - (source.ts_us as number) * 1000) < 1000,
    'ts_ns is ts_us in nanoseconds',
  );
  const sequence = JSON.parse(source.sequence as string) as (string | null)[];
  assert.equal(sequence.length, 2);
  assert.equal(sequence[1], String(source.lsn), 'sequence[1] is the event LSN');
}

function assertEnvelopeTimes(envelope: Envelope): void {
  assert.ok(Math.abs(envelope.ts_ms - Date.now()) < 120_000, 'envelope ts_ms is processing time');
  assert.equal(Math.floor(envelope.ts_us / 1000), envelope.ts_ms);
  assert.ok(Math.abs(envelope.ts_ns - envelope.ts_us * 1000) < 1000);
}

describe('Debezium 3.x golden output (PostgreSQL, JsonConverter with schemas)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let run: TaskRun | undefined;
  let snapshotRecord: SourceRecord | undefined;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query(tableDdl);
    await db.client.query(`INSERT INTO golden VALUES (1, ${rowValues})`);
  });
  after(async () => {
    await run?.stop();
    await db?.drop();
  });

  it('key and value schemas and values are Debezium 3.x output, snapshot and streaming', async () => {
    run = new TaskRun(
      connectorConfig(db.name, { 'topic.prefix': 'golden', 'provide.transaction.metadata': 'true' }),
      new Map(),
    );
    const isRow = (r: SourceRecord, op: string) =>
      r.topic === 'golden.public.golden' && (r.value as { op?: string } | null)?.op === op;
    const snapshot = await run.drain((all) => all.some((r) => isRow(r, 'r')));
    snapshotRecord = snapshot.find((r) => isRow(r, 'r'))!;
    const read = await serialised(snapshotRecord);

    assert.equal(read.key, `{"schema":${expectedKeySchema},"payload":{"id":1}}`);
    const r = payloadOf(read.value);
    assert.equal(r.schema, expectedValueSchema);
    assert.equal(rowText(r.raw, 'before'), 'null');
    assert.equal(rowText(r.raw, 'after'), expectedRow(1));
    assert.equal(r.envelope.op, 'r');
    assert.equal(r.envelope.transaction, null);
    // The snapshot's only record is both first and last: Debezium marks it "last".
    assertSource(r.envelope.source, db.name, 'last');
    assertEnvelopeTimes(r.envelope);

    await db.client.query(`INSERT INTO golden VALUES (2, ${rowValues})`);
    await db.client.query('DELETE FROM golden WHERE id = 1');
    const streamed = await run.drain((all) => all.some((r) => isRow(r, 'd')));
    const created = await serialised(streamed.find((r) => isRow(r, 'c'))!);
    const c = payloadOf(created.value);
    assert.equal(c.schema, expectedValueSchema);
    assert.equal(rowText(c.raw, 'after'), expectedRow(2));
    assertSource(c.envelope.source, db.name, 'false');
    const commitTs = c.envelope.source.ts_ms as number;
    assert.ok(Math.abs(commitTs - Date.now()) < 120_000, 'source ts_ms is the commit time');

    // Debezium's transaction id for PostgreSQL is `txId:LSN`.
    const block = c.envelope.transaction as {
      id: string;
      total_order: number;
      data_collection_order: number;
    };
    assert.match(block.id, new RegExp(`^${String(c.envelope.source.txId)}:\\d+$`));
    assert.equal(block.total_order, 1);
    assert.equal(block.data_collection_order, 1);

    // REPLICA IDENTITY DEFAULT: the delete's before has the key, NOT NULL columns get their
    // zero value (required fields) and the others are null, as Debezium's.
    const deleted = await serialised(streamed.find((r) => isRow(r, 'd'))!);
    const d = payloadOf(deleted.value);
    assert.equal(
      rowText(d.raw, 'before'),
      '{"id":1,"c_smallint":0,"c_bigint":null,"c_real":null,"c_double":null,"c_numeric":null,' +
        '"c_bool":false,"c_text":"","c_varchar":null,"c_bytea":null,"c_date":null,"c_time":null,' +
        '"c_timestamp":null,"c_tstz":null,"c_interval":null,"c_uuid":null,"c_json":null,' +
        '"c_jsonb":null,"c_int_arr":null}',
    );
    assert.equal(rowText(d.raw, 'after'), 'null');

    const txRecords = streamed.filter((r) => r.topic === 'golden.transaction');
    const begin = await serialised(txRecords[0]!);
    assert.equal(
      begin.key,
      `{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1},"payload":{"id":"${block.id}"}}`,
    );
    assert.match(
      begin.value,
      new RegExp(
        '^' +
          escape(
            '{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"status"},' +
              '{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":true,"field":"event_count"},' +
              '{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"data_collection"},' +
              '{"type":"int64","optional":false,"field":"event_count"}],"optional":false,"name":"event.collection","version":1},' +
              '"optional":true,"field":"data_collections"},{"type":"int64","optional":false,"field":"ts_ms"}],' +
              '"optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue","version":1},' +
              `"payload":{"status":"BEGIN","id":"${block.id}","event_count":null,"data_collections":null,"ts_ms":`,
          ) +
          '\\d+}}$',
      ),
    );
    const end = JSON.parse((await serialised(txRecords[1]!)).value) as { payload: Record<string, unknown> };
    assert.deepEqual(
      { ...end.payload, ts_ms: 0 },
      {
        status: 'END',
        id: block.id,
        event_count: 1,
        data_collections: [{ data_collection: 'public.golden', event_count: 1 }],
        ts_ms: 0,
      },
    );
  });

  it('Avro schemas are what Confluent AvroConverter writes for them: no Avro logical types on Debezium types', async () => {
    assert.ok(snapshotRecord, 'the first test captured the snapshot record');
    const record = snapshotRecord;
    const avro = toAvroSchema(record.valueSchema!) as { fields: { name: string; type: unknown }[] };
    const row = (avro.fields[0]!.type as [string, { fields: { name: string; type: unknown }[] }])[1];
    const field = (name: string) => row.fields.find((f) => f.name === name);
    assert.deepEqual(field('id'), { name: 'id', type: 'int' });
    assert.deepEqual(field('c_smallint'), {
      name: 'c_smallint',
      type: { type: 'int', 'connect.type': 'int16' },
    });
    assert.deepEqual(field('c_time'), {
      name: 'c_time',
      type: ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTime' }],
      default: null,
    });
    assert.deepEqual(field('c_date'), {
      name: 'c_date',
      type: ['null', { type: 'int', 'connect.version': 1, 'connect.name': 'io.debezium.time.Date' }],
      default: null,
    });
    assert.deepEqual(field('c_numeric'), {
      name: 'c_numeric',
      type: [
        'null',
        {
          type: 'bytes',
          scale: 3,
          precision: 10,
          'connect.version': 1,
          'connect.parameters': { scale: '3', 'connect.decimal.precision': '10' },
          'connect.name': 'org.apache.kafka.connect.data.Decimal',
          logicalType: 'decimal',
        },
      ],
      default: null,
    });
    assert.deepEqual(
      avro.fields.map((f) => f.name),
      ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns'],
    );
    assert.equal((avro as unknown as Record<string, unknown>)['connect.version'], 2);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
