import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AvroConverter } from '../../runtime/converters/avro-converter.js';
import { bigintLongHook } from '../../runtime/converters/avro-long.js';
import { toAvroSchema } from '../../runtime/converters/avro-schema.js';
import { canonicalSchema } from '../../runtime/registry/canonical-schema.js';
import type { RunningSchemaRegistry } from '../../runtime/registry/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import { localStack } from '../support/local-stack.js';
import { call, registryFixture } from './registry-support.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * Clients nobody here wrote read what Siphon writes: the Confluent-compatible npm client and
 * Apache Avro's Java library (strict Schema.Parser, GenericDatumReader) with Kafka's Java
 * consumer decode a topic of
 * PostgreSQL change events through the embedded registry; and registry subjects holding
 * the schema Debezium 3.x writes for a table accept Siphon's schema and the other way round
 * under BACKWARD compatibility. The Maven module test/avro-java-reader only resolves jars,
 * cached under .cache/avro-java-reader (fetched again only when its pom changes).
 */
const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const moduleDir = `${repo}test/avro-java-reader`;
const libs = `${repo}.cache/avro-java-reader/libs`;

async function javaLibraries(): Promise<string> {
  const pom = readFileSync(`${moduleDir}/pom.xml`);
  const stamp = createHash('sha256').update(pom).digest('hex');
  const marker = `${libs}/.pom-sha256`;
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== stamp) {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        `${moduleDir}/pom.xml`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${libs}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(marker, stamp);
  }
  return `${libs}/*`;
}

/** Debezium 3.x's Avro value schema for `compat`, as its AvroConverter registers it (Avro Java's text form). */
const debeziumCompatSchema = (prefix: string) =>
  JSON.stringify({
    type: 'record',
    name: 'Envelope',
    namespace: `${prefix}.public.compat`,
    fields: [
      {
        name: 'before',
        type: [
          'null',
          {
            type: 'record',
            name: 'Value',
            fields: [
              { name: 'id', type: 'int' },
              { name: 'name', type: 'string' },
              { name: 'note', type: ['null', 'string'], default: null },
              {
                name: 'created',
                type: [
                  'null',
                  { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' },
                ],
                default: null,
              },
              {
                name: 't',
                type: [
                  'null',
                  { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTime' },
                ],
                default: null,
              },
              {
                name: 'tstz',
                type: [
                  'null',
                  { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.ZonedTimestamp' },
                ],
                default: null,
              },
            ],
            'connect.name': `${prefix}.public.compat.Value`,
          },
        ],
        default: null,
      },
      { name: 'after', type: ['null', 'Value'], default: null },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'Source',
          namespace: 'io.debezium.connector.postgresql',
          fields: [
            { name: 'version', type: 'string' },
            { name: 'connector', type: 'string' },
            { name: 'name', type: 'string' },
            { name: 'ts_ms', type: 'long' },
            {
              name: 'snapshot',
              type: [
                {
                  type: 'string',
                  'connect.version': 1,
                  'connect.parameters': {
                    allowed:
                      'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental',
                  },
                  'connect.default': 'false',
                  'connect.name': 'io.debezium.data.Enum',
                },
                'null',
              ],
              default: 'false',
            },
            { name: 'db', type: 'string' },
            { name: 'sequence', type: ['null', 'string'], default: null },
            { name: 'ts_us', type: ['null', 'long'], default: null },
            { name: 'ts_ns', type: ['null', 'long'], default: null },
            { name: 'schema', type: 'string' },
            { name: 'table', type: 'string' },
            { name: 'txId', type: ['null', 'long'], default: null },
            { name: 'lsn', type: ['null', 'long'], default: null },
            { name: 'xmin', type: ['null', 'long'], default: null },
          ],
          'connect.version': 1,
          'connect.name': 'io.debezium.connector.postgresql.Source',
        },
      },
      {
        name: 'transaction',
        type: [
          'null',
          {
            type: 'record',
            name: 'block',
            namespace: 'event',
            fields: [
              { name: 'id', type: 'string' },
              { name: 'total_order', type: 'long' },
              { name: 'data_collection_order', type: 'long' },
            ],
            'connect.version': 1,
            'connect.name': 'event.block',
          },
        ],
        default: null,
      },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: ['null', 'long'], default: null },
      { name: 'ts_us', type: ['null', 'long'], default: null },
      { name: 'ts_ns', type: ['null', 'long'], default: null },
    ],
    'connect.version': 2,
    'connect.name': `${prefix}.public.compat.Envelope`,
  });

describe('clients we did not write', { timeout: 300_000 }, () => {
  const fixture = registryFixture('avro_java');
  const prefix = `javar${Math.random().toString(36).slice(2, 8)}`;
  const topic = `${prefix}.public.compat`;
  let registry: RunningSchemaRegistry;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let records: SourceRecord[] = [];

  before(async () => {
    [registry, db] = await Promise.all([fixture.start(), createTestDatabase()]);
    await db.client.query(
      'CREATE TABLE compat (id int PRIMARY KEY, name text NOT NULL, note text, created timestamp, t time, tstz timestamptz)',
    );
    // 24:00:00 is a legal PostgreSQL time that an Avro time-micros logical type would reject.
    await db.client.query(
      "INSERT INTO compat VALUES (1, 'one', NULL, '2024-02-29 13:45:07.123456', '24:00:00', '2024-02-29 13:45:05+02')",
    );
    const task = new TaskRun(connectorConfig(db.name, { 'topic.prefix': prefix }), new Map());
    try {
      const snapshot = await task.drain((all) => all.some((r) => r.topic === topic));
      await db.client.query("INSERT INTO compat VALUES (2, 'two', 'n', NULL, '00:00:01', NULL)");
      await db.client.query("UPDATE compat SET name = 'uno' WHERE id = 1");
      const streamed = await task.drain(
        (all) => all.filter((r) => r.topic === topic && r.value !== null).length >= 2,
      );
      records = [...snapshot, ...streamed].filter((r) => r.topic === topic);
    } finally {
      await task.stop();
    }
  });
  after(async () => {
    const admin = fixture.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await fixture.cleanup();
    await db?.drop();
  });

  it("Siphon's Avro value schema is Debezium's, origin fields aside, and BACKWARD compatible both ways", async () => {
    const siphon = toAvroSchema(records[0]!.valueSchema!) as { fields: { name: string; type: unknown }[] };
    const source = siphon.fields.find((f) => f.name === 'source')!.type as { fields: { name: string }[] };
    const withoutOrigin = {
      ...siphon,
      fields: siphon.fields.map((f) =>
        f.name === 'source'
          ? { ...f, type: { ...source, fields: source.fields.filter((s) => !s.name.startsWith('origin')) } }
          : f,
      ),
    };
    const debezium = debeziumCompatSchema(prefix);
    assert.equal(canonicalSchema(JSON.stringify(withoutOrigin)), canonicalSchema(debezium));

    for (const [first, second] of [
      [debezium, JSON.stringify(siphon)],
      [JSON.stringify(siphon), debezium],
    ] as const) {
      const subject = `${prefix}-${Math.random().toString(36).slice(2)}-value`;
      await call(registry.url, 'PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
      assert.equal(
        (await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: first })).status,
        200,
      );
      const next = await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: second });
      assert.equal(next.status, 200, JSON.stringify(next.body));
    }
  });

  it("Avro Java's strict parser and GenericDatumReader decode the topic through the registry", async () => {
    const classpath = await javaLibraries();
    const keys = new AvroConverter();
    const values = new AvroConverter();
    await keys.configure({ 'schema.registry.url': registry.url }, true);
    await values.configure({ 'schema.registry.url': registry.url }, false);
    const producer = fixture.kafka.producer();
    await producer.connect();
    const messages = await Promise.all(
      records.map(async (r) => ({
        key: await keys.fromConnectData(r.topic, r.keySchema, r.key),
        value: await values.fromConnectData(r.topic, r.valueSchema, r.value),
      })),
    );
    await producer.send({ topic, messages });
    await producer.disconnect();

    // The Confluent-compatible npm client decodes the same bytes with the schema it fetches by id.
    // ts_ns (as in Debezium 3.x) exceeds 2^53: a JavaScript reader needs a long type that holds it.
    const npmClient = new SchemaRegistry(
      { host: registry.url },
      { [SchemaType.AVRO]: { typeHook: bigintLongHook as never } },
    );
    const decoded = (await npmClient.decode(messages[0]!.value!)) as { after: Record<string, unknown> };
    assert.equal(Number(decoded.after['t']), 86_400_000_000);
    assert.equal(decoded.after['tstz'], '2024-02-29T11:45:05.000000Z');

    const { stdout } = await run(
      'java',
      [
        '-cp',
        classpath,
        `${moduleDir}/AvroTopicReader.java`,
        localStack.kafkaBrokers.join(','),
        topic,
        registry.url,
        String(messages.length),
        '90000',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            key: { id: number };
            value: { op: string; after: Record<string, unknown> | null; source: Record<string, unknown> };
          },
      );
    assert.equal(lines.length, messages.length);
    const read = lines.find((l) => l.value.op === 'r')!;
    assert.deepEqual(read.key, { id: 1 });
    assert.equal(read.value.after!['t'], 86_400_000_000, '24:00:00 as MicroTime, read by Avro Java');
    assert.equal(read.value.after!['created'], 1_709_214_307_123_456);
    assert.equal(read.value.after!['tstz'], '2024-02-29T11:45:05.000000Z');
    assert.equal(read.value.source['connector'], 'postgresql');
    const created = lines.find((l) => l.value.op === 'c')!;
    assert.deepEqual(created.value.after, {
      id: 2,
      name: 'two',
      note: 'n',
      created: null,
      t: 1_000_000,
      tstz: null,
    });
    assert.equal(lines.find((l) => l.value.op === 'u')!.value.after!['name'], 'uno');
  });
});
