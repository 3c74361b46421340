// End to end with the real PostgreSQL source: a table of many column types →
// source-postgres → Avro (embedded registry) → Kafka → two JDBC sinks in one `siphon
// worker`, into PostgreSQL and into MariaDB (auto.create). Every value must arrive intact
// in both dialects, through snapshot, insert, update and delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deleteTopics, eventually, kafka, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { createDatabase, type TestDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, connectTo, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('sinkjdbc-types');
const prefix = names.group.replaceAll('-', '_');
const topic = `${prefix}.public.things`;
let source: Awaited<ReturnType<typeof createTestDatabase>>;
const targets: TestDatabase[] = [];
let worker: WorkerProcess | undefined;

const COLUMNS =
  'id int PRIMARY KEY, name text NOT NULL, price numeric(10,2), happened timestamptz, local_ts timestamp(6), day date, doc jsonb, uid uuid, tags text[], raw bytea, flag boolean, big bigint, t time(6)';
const ROW = (id: number, name: string) =>
  `(${id}, '${name}', 12.34, '2024-03-01 10:15:30.123456+02', '2024-03-01 10:15:30.654321', '2024-02-29', '{"a": [1, 2], "b": {"c": null}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{x,"y z"}', '\\x00ff10', true, 9007199254740993, '23:59:59.999999')`;

before(async () => {
  source = await createTestDatabase();
  await source.client.query(`CREATE TABLE things (${COLUMNS})`);
  await source.client.query(`INSERT INTO things VALUES ${ROW(1, 'snap one')}, ${ROW(2, 'snap two')}`);
  targets.push(await createDatabase('postgresql'), await createDatabase('mariadb'));
});

after(async () => {
  if (worker && worker.child.exitCode === null) worker.kill('SIGKILL');
  await deleteTopics(names.group);
  await deleteTopics(prefix);
  for (const target of targets) await target.drop();
  await source?.drop();
});

const SELECTS = {
  postgresql: `SELECT id, name, price::text AS price, (happened AT TIME ZONE 'UTC')::text AS happened, local_ts::text AS local_ts, day::text AS day,
    doc::text AS doc, uid::text AS uid, tags::text AS tags, encode(raw, 'hex') AS raw, flag::text AS flag, big::text AS big, t::text AS t FROM things ORDER BY id`,
  mariadb: `SELECT id, name, CAST(price AS CHAR) AS price, CAST(happened AS CHAR) AS happened, CAST(local_ts AS CHAR) AS local_ts, CAST(day AS CHAR) AS day,
    doc, uid, tags, LOWER(HEX(raw)) AS raw, CAST(flag AS CHAR) AS flag, CAST(big AS CHAR) AS big, CAST(t AS CHAR) AS t FROM things ORDER BY id`,
};

function expected(target: TestDatabase, id: number, name: string): string[] {
  const pg = target.target === 'postgresql';
  return [
    String(id),
    name,
    '12.34',
    '2024-03-01 08:15:30.123456',
    '2024-03-01 10:15:30.654321',
    '2024-02-29',
    pg ? '{"a": [1, 2], "b": {"c": null}}' : 'json:{"a":[1,2],"b":{"c":null}}',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    pg ? '{x,"y z"}' : 'json:["x","y z"]',
    '00ff10',
    pg ? 'true' : '1',
    '9007199254740993',
    '23:59:59.999999',
  ];
}

async function rows(target: TestDatabase): Promise<string[][]> {
  const result = await target.query(SELECTS[target.target]);
  return result.map((row) =>
    Object.values(row).map((value) => {
      // MariaDB keeps JSON as text (the driver may hand it over parsed): compare it parsed.
      if (
        target.target === 'mariadb' &&
        typeof value === 'object' &&
        value !== null &&
        !Buffer.isBuffer(value)
      ) {
        return `json:${JSON.stringify(value)}`;
      }
      const text = String(value);
      return target.target === 'mariadb' && /^[[{]/.test(text)
        ? `json:${JSON.stringify(JSON.parse(text))}`
        : text;
    }),
  );
}

test(
  'every column type arrives intact in PostgreSQL and MariaDB from the real PostgreSQL source',
  { timeout: 150_000 },
  async () => {
    worker = await WorkerProcess.start(names, {
      SIPHON_KEY_CONVERTER: 'avro',
      SIPHON_VALUE_CONVERTER: 'avro',
      SIPHON_SCHEMA_REGISTRY_EMBEDDED: 'true',
      SIPHON_SCHEMA_REGISTRY_PORT: '0',
      SIPHON_SCHEMA_REGISTRY_TOPIC: `${names.group}-schemas`,
    });
    const created = await worker.api('POST', '/connectors', {
      name: `${names.group}-source`,
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...connectorConfig(source.name, { 'topic.prefix': prefix }),
      },
    });
    assert.equal(created.status, 201, created.text);
    await eventually(
      'the source topic exists',
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return (await admin.listTopics()).includes(topic);
        } finally {
          await admin.disconnect();
        }
      },
      30_000,
    );
    for (const target of targets) {
      const sink = await worker.api('POST', '/connectors', {
        name: `${names.group}-sink-${target.target}`,
        config: {
          'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
          topics: topic,
          'connection.url': target.url,
          'delete.enabled': 'true',
          'auto.create': 'true',
          'table.name.format': '${source.table}',
        },
      });
      assert.equal(sink.status, 201, sink.text);
    }

    const writer = await connectTo(source.name);
    try {
      await writer.query(`INSERT INTO things VALUES ${ROW(3, 'inserted')}, ${ROW(4, 'to delete')}`);
      await writer.query("UPDATE things SET name = 'updated two' WHERE id = 2");
      await writer.query('DELETE FROM things WHERE id = 4');
    } finally {
      await writer.end();
    }
    for (const target of targets) {
      const want = [
        expected(target, 1, 'snap one'),
        expected(target, 2, 'updated two'),
        expected(target, 3, 'inserted'),
      ];
      await eventually(
        `${target.target} equals the source`,
        async () => JSON.stringify(await rows(target).catch(() => [])) === JSON.stringify(want),
        60_000,
      ).catch(async (error: Error) => {
        assert.deepEqual(await rows(target), want, error.message);
      });
    }
  },
);
