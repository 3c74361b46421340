// End to end through the real runtime: Debezium envelopes encoded by the real Avro
// converter (registered in the worker's embedded schema registry) → Kafka (2 partitions)
// → a `siphon worker` running the JDBC sink with tasks.max=2, ExtractNewRecordState and a
// dead-letter queue → PostgreSQL. Checks the target, the dead-letter headers and /metrics, and
// that a bad record larger than the broker's 1 MiB default still reaches the dead-letter queue.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createConverter } from '../../runtime/converters/index.js';
import type { Schema } from '../../runtime/record/index.js';
import { int32, optional, string, struct } from '../../runtime/record/index.js';
import {
  deleteTopics,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { createDatabase, envelopeSchemaFor, type TestDatabase } from './sink-jdbc-harness.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';

const names = uniqueNames('sinkjdbc-e2e');
const topic = `${names.group}.public.people`;
const dlq = `${names.group}-dlq`;
let target: TestDatabase;
let worker: WorkerProcess | undefined;

const keySchema = struct(`${names.group}.public.people.Key`, [['id', int32()]]);
const rowSchema = struct(`${names.group}.public.people.Value`, [
  ['id', int32()],
  ['name', optional(string())],
  ['city', optional(string())],
]);
const envelopeSchema: Schema = envelopeSchemaFor(rowSchema);

before(async () => {
  target = await createDatabase('postgresql');
  // An existing table with a NOT NULL column, so one record cannot be applied.
  await target.query('CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL, city text)');
  const admin = kafka.admin();
  await admin.connect();
  // The source topic takes records up to 4 MiB, as a topic carrying wide rows is configured.
  await createTopicAndWait(admin, {
    topic,
    numPartitions: 2,
    configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }],
  });
  await admin.disconnect();
});

after(async () => {
  if (worker && worker.child.exitCode === null) worker.kill('SIGKILL');
  await deleteTopics(names.group);
  await target.drop();
});

test(
  'Avro change events through the worker reach PostgreSQL; a bad record goes to the dead-letter queue',
  { timeout: 120_000 },
  async () => {
    worker = await WorkerProcess.start(names, {
      SIPHON_KEY_CONVERTER: 'avro',
      SIPHON_VALUE_CONVERTER: 'avro',
      SIPHON_SCHEMA_REGISTRY_EMBEDDED: 'true',
      SIPHON_SCHEMA_REGISTRY_PORT: '0',
      SIPHON_SCHEMA_REGISTRY_TOPIC: `${names.group}-schemas`,
    });
    const registryUrl = worker.lines
      .filter((line) => line.includes('schema registry listening'))
      .map((line) => /"url":"(http[^"]+)"/.exec(line)?.[1])
      .find((url) => url !== undefined);
    assert.ok(registryUrl, 'the worker runs the embedded schema registry');

    const keys = await createConverter('avro', { 'schema.registry.url': registryUrl }, true, {});
    const values = await createConverter('avro', { 'schema.registry.url': registryUrl }, false, {});
    const source = {
      version: '0.1.0',
      connector: 'postgresql',
      name: names.group,
      ts_ms: BigInt(Date.now()),
      db: 'shop',
      schema: 'public',
      table: 'people',
    };
    const event = async (id: number, op: string, before: unknown, after: unknown) => ({
      key: await keys.fromConnectData(topic, keySchema, { id }),
      value: await values.fromConnectData(topic, envelopeSchema, {
        before,
        after,
        source,
        op,
        ts_ms: BigInt(Date.now()),
      }),
    });
    const person = (id: number, name: string | null, city = 'Lyon') => ({ id, name, city });
    const messages = [];
    for (let id = 1; id <= 40; id++) messages.push(await event(id, 'r', null, person(id, `p${id}`)));
    for (let id = 1; id <= 40; id += 3)
      messages.push(await event(id, 'u', person(id, `p${id}`), person(id, `p${id}`, 'Nice')));
    for (let id = 2; id <= 40; id += 5) {
      messages.push(await event(id, 'd', person(id, `p${id}`), null));
      messages.push({ key: await keys.fromConnectData(topic, keySchema, { id }), value: null });
    }
    messages.push(await event(41, 'c', null, person(41, null))); // NOT NULL violation → dead-letter queue
    // As bad, and ~2 MB that gzip cannot shrink under 1 MiB: the dead-letter topic must take it.
    const large = randomBytes(1_500_000).toString('base64');
    messages.push(await event(42, 'c', null, person(42, null, large)));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();

    const created = await worker.api('POST', '/connectors', {
      name: `${names.group}-sink`,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        'tasks.max': '2',
        topics: topic,
        'connection.url': target.url,
        'insert.mode': 'upsert',
        'delete.enabled': 'true',
        'primary.key.mode': 'record_key',
        'table.name.format': '${topic}',
        mappings: JSON.stringify([{ match: { topic }, table: 'people' }]),
        transforms: 'unwrap',
        'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
        'transforms.unwrap.drop.tombstones': 'false',
        'transforms.unwrap.delete.handling.mode': 'none',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
    });
    assert.equal(created.status, 201, created.text);

    const expected: string[] = [];
    for (let id = 1; id <= 40; id++) {
      if ((id - 2) % 5 === 0) continue;
      expected.push(`${id}|p${id}|${(id - 1) % 3 === 0 ? 'Nice' : 'Lyon'}`);
    }
    const rows = async () =>
      (await target.query('SELECT id, name, city FROM people ORDER BY id')).map(
        (r) => `${String(r.id)}|${String(r.name)}|${String(r.city)}`,
      );
    await eventually(
      'the target equals the source',
      async () => JSON.stringify(await rows()) === JSON.stringify(expected),
      60_000,
    );

    const deadLetters = await readTopic(dlq, (m) => m.length >= 2);
    const dead = deadLetters.find((m) => (m.value?.length ?? 0) < 1000);
    assert.ok(dead);
    assert.ok(
      deadLetters.some((m) => (m.value?.length ?? 0) > 1_900_000),
      'the 2 MB bad record is in the dead-letter queue',
    );
    const header = (name: string) => dead.headers?.[`__connect.errors.${name}`]?.toString();
    assert.equal(header('topic'), topic);
    assert.equal(header('stage'), 'TASK_PUT');
    assert.match(header('exception.message') ?? '', /cannot apply record .*: null value in column "name"/);

    const metrics = await worker.api('GET', '/metrics');
    // ExtractNewRecordState made the rows flat: snapshot reads and updates count as c, tombstones as d.
    // A rebalance between the two tasks may redeliver a batch (idempotent writes): counts are at least these.
    const counter = (name: string, labels: string) =>
      Number(new RegExp(`${name}\\{${labels}\\} (\\d+)\n`).exec(metrics.text)?.[1] ?? -1);
    const connector = `connector="${names.group}-sink"`;
    assert.ok(counter('siphon_sink_jdbc_records_applied_total', `${connector},op="c"`) >= 54);
    assert.ok(counter('siphon_sink_jdbc_records_applied_total', `${connector},op="d"`) >= 16);
    assert.ok(counter('siphon_sink_jdbc_records_rejected_total', connector) >= 2);
    assert.match(metrics.text, /siphon_sink_jdbc_end_to_end_lag_seconds\{[^}]*partition="[01]"\} [\d.e+-]+/);
    assert.match(metrics.text, /siphon_sink_jdbc_batch_duration_seconds_count\{[^}]*\} [1-9]/);
  },
);
