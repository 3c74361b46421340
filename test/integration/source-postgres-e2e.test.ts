// End to end: PostgreSQL → source-postgres → Avro (embedded schema registry) → Kafka →
// sink-jdbc → PostgreSQL, in a real `siphon worker` process killed with SIGKILL mid-stream
// and started again. The invariant: the target equals the source at the end, and the
// events read back through the Avro converter are Debezium envelopes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createConverter } from '../../runtime/converters/index.js';
import type { Struct } from '../../runtime/record/index.js';
import {
  deleteTopics,
  eventually,
  kafka,
  killAndRestart,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { createDatabase, type TestDatabase as TargetDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, connectTo, createTestDatabase } from './source-postgres-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';

const names = uniqueNames('pg-e2e');
const prefix = names.group.replaceAll('-', '_');
const dataTopic = `${prefix}.public.accounts`;
let source: Awaited<ReturnType<typeof createTestDatabase>>;
let target: TargetDatabase;
const workers: WorkerProcess[] = [];

before(async () => {
  source = await createTestDatabase();
  target = await createDatabase('postgresql');
  await source.client.query(
    'CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL)',
  );
  await source.client.query(
    "INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.5 FROM generate_series(1, 500) g",
  );
});

after(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.kill('SIGKILL');
  await deleteTopics(names.group);
  await deleteTopics(prefix);
  await deleteTopics(`__debezium-heartbeat.${prefix}`);
  await target?.drop();
  await source?.drop();
});

async function start(): Promise<WorkerProcess> {
  const worker = await WorkerProcess.start(names, {
    SIPHON_KEY_CONVERTER: 'avro',
    SIPHON_VALUE_CONVERTER: 'avro',
    SIPHON_SCHEMA_REGISTRY_EMBEDDED: 'true',
    SIPHON_SCHEMA_REGISTRY_PORT: '0',
    SIPHON_SCHEMA_REGISTRY_TOPIC: `${names.group}-schemas`,
  });
  workers.push(worker);
  return worker;
}

async function topicExists(): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(dataTopic);
  } finally {
    await admin.disconnect();
  }
}

async function rows(query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<string> {
  const result = await query('SELECT id, owner, balance::text AS balance FROM accounts ORDER BY id');
  return JSON.stringify(result.map((r) => `${String(r.id)}|${String(r.owner)}|${String(r.balance)}`));
}
const sourceRows = () =>
  rows(async (sql) => (await source.client.query(sql)).rows as Record<string, unknown>[]);
const targetRows = () => rows((sql) => target.query(sql)).catch(() => '[]');

test(
  'PostgreSQL → Kafka (Avro) → PostgreSQL survives kill -9 of the worker: the target equals the source',
  { timeout: 180_000 },
  async () => {
    const first = await start();
    const created = await first.api('POST', '/connectors', {
      name: `${names.group}-source`,
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...connectorConfig(source.name, { 'topic.prefix': prefix, 'heartbeat.interval.ms': '1000' }),
      },
    });
    assert.equal(created.status, 201, created.text);
    // The sink subscribes to the table's topic: wait until the source created it.
    await eventually('the source topic exists', topicExists, 30_000);
    const sink = await first.api('POST', '/connectors', {
      name: `${names.group}-sink`,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: dataTopic,
        'connection.url': target.url,
        'insert.mode': 'upsert',
        'delete.enabled': 'true',
        'primary.key.mode': 'record_key',
        'auto.create': 'true',
        'table.name.format': 'accounts',
      },
    });
    assert.equal(sink.status, 201, sink.text);

    const writerClient = await connectTo(source.name);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        const id = 1 + ((written * 13) % 600);
        await writerClient.query('BEGIN');
        await writerClient.query(
          `INSERT INTO accounts VALUES ($1, 'w', 1) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + 1, owner = 'w' || $2`,
          [id, written],
        );
        await writerClient.query('DELETE FROM accounts WHERE id = $1', [600 - (written % 97)]);
        await writerClient.query('COMMIT');
        written++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await eventually(
        'the snapshot reached the target',
        async () => JSON.parse(await targetRows()).length >= 400,
        60_000,
      );
      await killAndRestart(first, start, [`${names.group}-source`, `${names.group}-sink`]);
      // More load after the restart, for the restarted tasks to pick up.
      const atRestart = written;
      await eventually('load after the restart', async () => written >= atRestart + 50, 60_000);
    } finally {
      writing = false;
      await writer;
      await writerClient.end();
    }
    assert.ok(written > 50, `the writer committed ${written} transactions during the test`);
    const expected = await sourceRows();
    await eventually('the target equals the source', async () => (await targetRows()) === expected, 90_000);

    // The events on the topic are Debezium envelopes, read back through the Avro converter.
    const worker = workers[workers.length - 1]!;
    const registryUrl = worker.lines
      .filter((line) => line.includes('schema registry listening'))
      .map((line) => /"url":"(http[^"]+)"/.exec(line)?.[1])
      .find((url) => url !== undefined);
    const values = await createConverter('avro', { 'schema.registry.url': registryUrl! }, false, {});
    const messages = await readTopic(dataTopic, (m) => m.length >= 1);
    const decoded = await values.toConnectData(dataTopic, messages[0]!.value);
    assert.equal(decoded.schema?.name, `${prefix}.public.accounts.Envelope`);
    const envelope = decoded.value as { op: string; after: Struct; source: Struct };
    assert.equal(envelope.op, 'r');
    assert.equal(envelope.source['connector'], 'postgresql');
    assert.equal(envelope.source['snapshot'], 'first');
    assert.deepEqual(asPlainObjects(envelope.after), { id: 1, owner: 'owner 1', balance: '1.50' });
  },
);
