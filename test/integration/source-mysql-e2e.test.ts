// End to end: MariaDB → source-mysql → Kafka → sink-jdbc → PostgreSQL in a real
// `siphon worker` process, killed with SIGKILL mid-stream and started again. The
// invariant: the target equals the source at the end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDatabase } from './sink-jdbc-harness.js';
import type { TestDatabase as TargetDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, TestDatabase } from './source-mysql-harness.js';
import {
  deleteTopics as deleteWorkerTopics,
  eventually,
  kafka,
  killAndRestart,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';

const source = new TestDatabase();
let target: TargetDatabase;
const names = uniqueNames('my-e2e');
const workers: WorkerProcess[] = [];
const env = { SIPHON_KEY_CONVERTER: 'json', SIPHON_VALUE_CONVERTER: 'json' };

before(async () => {
  await source.create();
  target = await createDatabase('postgresql');
  await source.query(
    `CREATE TABLE ${source.name}.accounts (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2) NOT NULL)`,
  );
  const rows = Array.from({ length: 500 }, (_, i) => [i + 1, `owner ${i + 1}`, (i * 1.5).toFixed(2)]);
  await source.query(`INSERT INTO ${source.name}.accounts VALUES ?`, [rows]);
});

after(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.kill('SIGKILL');
  await deleteWorkerTopics(names.group);
  await target.drop();
  await source.drop([`${source.name}.history`, source.name, `${source.name}.${source.name}.accounts`]);
});

const dataTopic = `${source.name}.${source.name}.accounts`;

async function topicExists(): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(dataTopic);
  } finally {
    await admin.disconnect();
  }
}

async function start(): Promise<WorkerProcess> {
  const worker = await WorkerProcess.start(names, env);
  workers.push(worker);
  return worker;
}

async function sourceRows(): Promise<string[]> {
  const [rows] = (await source.query(
    `SELECT id, owner, balance FROM ${source.name}.accounts ORDER BY id`,
  )) as [{ id: number; owner: string; balance: string }[]];
  return rows.map((r) => `${r.id}|${r.owner}|${r.balance}`);
}

async function targetRows(): Promise<string[]> {
  const rows = await target.query('SELECT id, owner, balance::text AS balance FROM accounts ORDER BY id');
  return rows.map((r) => `${String(r.id)}|${String(r.owner)}|${String(r.balance)}`);
}

test(
  'MariaDB → Kafka → PostgreSQL survives kill -9 of the worker: the target equals the source',
  { timeout: 180_000 },
  async () => {
    const first = await start();
    const sourceConfig = {
      'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
      // JSON with schemas makes ~2 KB records; smaller batches stay under the broker's 1 MB request limit.
      ...connectorConfig(source.name, { 'snapshot.fetch.size': '100', 'max.batch.size': '200' }),
    };
    const created = await first.api('POST', '/connectors', {
      name: `${names.group}-source`,
      config: sourceConfig,
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
        // A literal name: tombstones carry no source block to resolve ${source.table} from.
        'table.name.format': 'accounts',
      },
    });
    assert.equal(sink.status, 201, sink.text);

    // Writes keep coming while the worker is killed and restarted.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        const id = 1 + ((written * 13) % 600);
        await source.query(
          `START TRANSACTION; INSERT INTO ${source.name}.accounts VALUES (?, 'w', 1) ON DUPLICATE KEY UPDATE balance = balance + 1, owner = CONCAT('w', ?); ` +
            `DELETE FROM ${source.name}.accounts WHERE id = ?; COMMIT`,
          [id, written, 600 - (written % 97)],
        );
        written++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await eventually(
        'the snapshot reached PostgreSQL',
        async () => (await targetRows().catch(() => [])).length >= 400,
        60_000,
      );
      await killAndRestart(first, start, [`${names.group}-source`, `${names.group}-sink`]);
      // More load after the restart, for the restarted tasks to pick up.
      const atRestart = written;
      await eventually('load after the restart', async () => written >= atRestart + 50, 60_000);
    } finally {
      writing = false;
      await writer;
    }
    assert.ok(written > 50, `the writer committed ${written} transactions during the test`);
    const expected = await sourceRows();
    await eventually(
      'the target equals the source',
      async () => JSON.stringify(await targetRows()) === JSON.stringify(expected),
      90_000,
    );
  },
);
