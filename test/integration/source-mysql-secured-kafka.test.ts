// The MySQL source on a Kafka cluster that requires SASL, on a private broker of the
// test's own: the schema history topic is written and read through the worker's
// connection and credentials, so the task runs, a DDL lands in the history, and after a
// restart rows written before the ALTER still decode with their own columns. A history
// client of the connector's own, without the worker's credentials, could not connect.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { connectorConfig, TestDatabase } from './source-mysql-harness.js';

const names = uniqueNames('my-sasl');
const credentials = { username: 'siphon', password: randomUUID() };
const source = new TestDatabase();
const connector = 'mysql-sasl';

interface Status {
  connector?: { state: string };
  tasks?: { state: string; trace?: string }[];
}

describe('MySQL source on a SASL-secured Kafka cluster', { timeout: 6 * 60_000 }, () => {
  let broker: PrivateKafka;
  let kafka: Kafka;
  let worker: WorkerProcess | undefined;
  const historyTopic = `${source.name}.history`;
  const dataTopic = `${source.name}.${source.name}.items`;

  const start = async () =>
    WorkerProcess.start(names, {
      SIPHON_BOOTSTRAP_SERVERS: broker.bootstrap,
      SIPHON_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      SIPHON_SASL_MECHANISM: 'PLAIN',
      SIPHON_SASL_USERNAME: credentials.username,
      SIPHON_SASL_PASSWORD: credentials.password,
      SIPHON_KEY_CONVERTER: 'json',
      SIPHON_VALUE_CONVERTER: 'json',
    });

  before(async () => {
    broker = await PrivateKafka.create(credentials);
    kafka = broker.client();
    await source.create();
    await source.query(`CREATE TABLE ${source.name}.items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)`);
    await source.query(`INSERT INTO ${source.name}.items VALUES (1, 'one')`);
    worker = await start();
  });

  after(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.kill('SIGKILL');
      await worker.waitForExit();
    }
    await source.drop();
    await broker?.destroy();
  });

  async function running(): Promise<void> {
    await eventually(
      'the task RUNNING',
      async () => {
        const status = (await worker!.api('GET', `/connectors/${connector}/status`)).json as Status;
        const task = status.tasks?.[0];
        assert.notEqual(task?.state, 'FAILED', `the task failed:\n${task?.trace}`);
        return task?.state === 'RUNNING';
      },
      60_000,
    );
  }

  /** The topic's JSON values from the start, read until `enough` holds. */
  async function messages(
    topic: string,
    enough: (values: Record<string, unknown>[]) => boolean,
  ): Promise<Record<string, unknown>[]> {
    const values: Record<string, unknown>[] = [];
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The topic appears with the task's first record.
      await eventually(`topic ${topic}`, async () => (await admin.listTopics()).includes(topic), 60_000);
    } finally {
      await admin.disconnect();
    }
    const consumer = kafka.consumer({ groupId: `${names.group}-reader-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${values.length} values on ${topic}`)), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (message.value)
              values.push(JSON.parse(message.value.toString('utf8')) as Record<string, unknown>);
            if (enough(values)) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  const rowAfter = (value: Record<string, unknown>) => {
    const envelope = (value['payload'] ?? value) as Record<string, unknown>;
    return (envelope['after'] ?? null) as Record<string, unknown> | null;
  };
  const rowIds = (values: Record<string, unknown>[]) => new Set(values.map((v) => rowAfter(v)?.['id']));

  it('keeps the schema history through the worker connection, across a restart', async () => {
    const created = await worker!.api('POST', '/connectors', {
      name: connector,
      config: {
        'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
        ...connectorConfig(source.name),
      },
    });
    assert.equal(created.status, 201, created.text);
    await running();
    await messages(dataTopic, (values) => rowIds(values).has(1));

    await source.query(`INSERT INTO ${source.name}.items VALUES (2, 'two')`);
    await source.query(`ALTER TABLE ${source.name}.items ADD COLUMN size INT NOT NULL DEFAULT 7`);
    // Times out unless the ALTER reaches the history topic on the secured cluster.
    await messages(historyTopic, (history) =>
      history.some((e) => String(e['ddl']).includes('ADD COLUMN size')),
    );

    // Stopped before it read the rows after the ALTER: the restart must decode row 2 with
    // the old columns and row 3 with the new ones, from the history it reads back.
    worker!.kill('SIGKILL');
    await worker!.waitForExit();
    await source.query(`INSERT INTO ${source.name}.items VALUES (3, 'three', 9)`);
    worker = await start();
    await running();
    const values = await messages(dataTopic, (all) => rowIds(all).has(3));
    const rows = values.map(rowAfter).filter((row) => row !== null);
    const byId = new Map(rows.map((row) => [row['id'], row]));
    assert.deepEqual(byId.get(2), { id: 2, name: 'two' });
    assert.deepEqual(byId.get(3), { id: 3, name: 'three', size: 9 });
  });
});
