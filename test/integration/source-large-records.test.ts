import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import {
  deleteTopics,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

/**
 * Rows larger than the broker's default message.max.bytes (1 MiB), through a worker:
 * gzip (producer.compression.type) carries a compressible 5 MB row; KIP-158 topic creation
 * (topic.creation.default.max.message.bytes) carries an incompressible one; a row that
 * still cannot be produced is named (topic, table, key, source position) and skipped
 * under errors.tolerance=all, or fails the task under none.
 */
const names = uniqueNames('large-rows');
const fiveMb = 5 * 1024 * 1024;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: WorkerProcess | undefined;

before(async () => {
  db = await createTestDatabase();
  for (const table of ['zeros', 'created', 'skipped', 'failing']) {
    await db.client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, data bytea)`);
  }
});

after(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await deleteTopics(names.group);
  await db?.drop();
});

function source(table: string, overrides: Record<string, string> = {}) {
  return {
    name: `${names.group}-${table}`,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...connectorConfig(db.name, {
        'topic.prefix': `${names.group}-${table}`,
        'table.include.list': `public.${table}`,
        'snapshot.mode': 'no_data',
        'errors.retry.timeout': '0',
        ...overrides,
      }),
    },
  };
}

async function streaming(name: string): Promise<void> {
  await eventually(
    `${name} streams`,
    async () => {
      const status = (await worker!.api('GET', `/connectors/${name}/status`)).json as {
        tasks?: { state: string; progress?: { phase?: string } }[];
      };
      return status.tasks?.[0]?.progress?.phase === 'streaming';
    },
    60_000,
  );
}

test(
  'large rows: compression, topic creation overrides, and unproducible rows named',
  { timeout: 300_000 },
  async () => {
    worker = await WorkerProcess.start(names, { SIPHON_PRODUCER_COMPRESSION_TYPE: 'gzip' });
    const connectors = [
      source('zeros'),
      source('created', {
        'topic.creation.default.replication.factor': '1',
        'topic.creation.default.partitions': '1',
        'topic.creation.default.max.message.bytes': String(16 * 1024 * 1024),
      }),
      source('skipped', { 'errors.tolerance': 'all' }),
      source('failing'),
    ];
    for (const connector of connectors) {
      const created = await worker.api('POST', '/connectors', connector);
      assert.equal(created.status, 201, created.text);
    }
    for (const connector of connectors) await streaming(connector.name);

    await db.client.query('INSERT INTO zeros VALUES (1, $1)', [Buffer.alloc(fiveMb)]);
    await db.client.query('INSERT INTO created VALUES (1, $1)', [randomBytes(fiveMb)]);
    await db.client.query('INSERT INTO skipped VALUES (1, $1)', [randomBytes(fiveMb)]);
    await db.client.query("INSERT INTO skipped VALUES (2, '\\x01')");
    await db.client.query('INSERT INTO failing VALUES (7, $1)', [randomBytes(fiveMb)]);

    const payloadBytes = (value: Buffer | null) => {
      const data = (JSON.parse(value!.toString('utf8')) as { payload: { after: { data: string } } }).payload
        .after.data;
      return Buffer.from(data, 'base64').length;
    };
    const [zeros] = await readTopic(`${names.group}-zeros.public.zeros`, (m) => m.length >= 1, 60_000);
    assert.equal(payloadBytes(zeros!.value), fiveMb, 'gzip carried a 5 MB compressible row');
    const [created] = await readTopic(`${names.group}-created.public.created`, (m) => m.length >= 1, 60_000);
    assert.equal(payloadBytes(created!.value), fiveMb, 'the created topic took a 5 MB incompressible row');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: kafkajs.ConfigResourceTypes.TOPIC, name: `${names.group}-created.public.created` },
        ],
      });
      const entry = described.resources[0]!.configEntries.find((e) => e.configName === 'max.message.bytes');
      assert.equal(entry?.configValue, String(16 * 1024 * 1024));
    } finally {
      await admin.disconnect();
    }

    const skippedTopic = `${names.group}-skipped.public.skipped`;
    const kept = await readTopic(skippedTopic, (m) => m.length >= 1, 60_000).catch((error: Error) => {
      throw new Error(
        `${error.message}\n${worker!.lines
          .filter((l) => l.includes('skipped'))
          .join('\n')
          .slice(0, 3000)}`,
      );
    });
    assert.deepEqual(
      kept.map(
        (m) =>
          (JSON.parse(m.value!.toString('utf8')) as { payload: { after: { id: number } } }).payload.after.id,
      ),
      [2],
      'only the row that fits, after the skipped one',
    );
    assert.ok(
      worker.lines.some(
        (l) =>
          l.includes('skipping a source record the broker refuses') &&
          l.includes(`topic ${skippedTopic}`) &&
          l.includes('table') &&
          l.includes('public.skipped') &&
          l.includes('key') &&
          l.includes('source position'),
      ),
      'the skipped row is named in the log',
    );

    const failed = await eventually(
      'the strict connector fails naming the row',
      async () => {
        const status = (await worker!.api('GET', `/connectors/${names.group}-failing/status`)).json as {
          tasks?: { state: string; trace?: string }[];
        };
        const task = status.tasks?.[0];
        return task?.state === 'FAILED' ? task : undefined;
      },
      60_000,
    );
    assert.match(
      failed.trace ?? '',
      new RegExp(
        `topic ${names.group}-failing\\.public\\.failing, table ${db.name}\\.public\\.failing, key \\{"id":7\\}, source position`,
      ),
    );
  },
);
