// A target that denies the sink's login or privileges is not an outage: the task fails
// with the reason instead of retrying, and its records never go to the dead-letter path.
// A throwaway PostgreSQL role and database per run; both dropped afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Producer } from 'kafkajs';
import { createConverter } from '../../runtime/converters/index.js';
import { createTopicAndWait, isRetriable } from '../../runtime/plugin/index.js';
import { int32, string, struct } from '../../runtime/record/index.js';
import { deleteTopics, eventually, kafka, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { localStack } from '../support/local-stack.js';
import { type FakeSinkTaskContext, uniqueName } from '../support/plugin-test-kit.js';
import { EventFactory, startTask } from './sink-jdbc-harness.js';

const keySchema = struct('items.Key', [['id', int32()]]);
const rowSchema = struct('items.Value', [
  ['id', int32()],
  ['name', string()],
]);

interface TaskStatus {
  state: string;
  trace?: string;
}

describe('sink: the target denies access', { timeout: 5 * 60_000 }, () => {
  const role = uniqueName('siphon_role');
  const database = uniqueName('siphon_denied');
  const names = uniqueNames('sink-denied');
  const topic = `${names.group}-items`;
  const connector = `${names.group}-sink`;
  const { host, port, user } = localStack.postgres;
  let admin: pg.Client;
  let target: pg.Client;
  let worker: WorkerProcess | undefined;
  let producer: Producer | undefined;
  const harnessTasks: { stop(): Promise<void>; context: FakeSinkTaskContext }[] = [];

  before(async () => {
    admin = new pg.Client({ host, port, user, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    target = new pg.Client({ host, port, user, database });
    await target.connect();
  });

  after(async () => {
    for (const { stop, context } of harnessTasks) {
      context.stop();
      await stop();
    }
    await producer?.disconnect();
    if (worker && worker.child.exitCode === null) {
      worker.kill('SIGTERM');
      await worker.waitForExit();
    }
    await deleteTopics(names.group);
    await target?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  it('a missing privilege fails the batch with the reason, never as bad records', async () => {
    // The table belongs to the admin; the sink's role may read it but not write it.
    await target.query('CREATE TABLE readonly_items (id integer PRIMARY KEY, name text NOT NULL)');
    await target.query(`GRANT SELECT ON readonly_items TO ${role}`);
    const { task, context } = await startTask(
      {
        'connection.url': `jdbc:postgresql://${host}:${port}/${database}`,
        'connection.username': role,
        'table.name.format': 'readonly_items',
        'retry.backoff.ms': '50',
      },
      { tolerance: 'all' },
    );
    harnessTasks.push({ stop: () => task.stop(), context });
    const events = new EventFactory(uniqueName('readonly'), keySchema, rowSchema, 'readonly_items');
    await assert.rejects(
      task.put([events.event('c', { id: 1 }, null, { id: 1, name: 'a' })]),
      (error: Error) => {
        assert.match(error.message, /denied access: permission denied for table readonly_items \(42501\)/);
        assert.equal(isRetriable(error), false);
        return true;
      },
    );
    assert.equal(context.badRecords.length, 0, 'nothing went to the dead-letter path');
  });

  it('a login revoked mid-stream: retries the lost connection, then FAILED naming the reason', async () => {
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    try {
      // Not createTopics({ waitForLeaders }): it rejects on KRaft's transient UNKNOWN_TOPIC_OR_PARTITION.
      await createTopicAndWait(kafkaAdmin, { topic, numPartitions: 1 });
    } finally {
      await kafkaAdmin.disconnect();
    }
    producer = kafka.producer();
    await producer.connect();
    const keys = await createConverter('json', {}, true, {});
    const values = await createConverter('json', {}, false, {});
    const send = async (from: number, to: number) => {
      const messages = [];
      for (let id = from; id <= to; id++) {
        messages.push({
          key: await keys.fromConnectData(topic, keySchema, { id }),
          value: await values.fromConnectData(topic, rowSchema, { id, name: `row ${id}` }),
        });
      }
      await producer!.send({ topic, messages, acks: -1 });
    };
    const rows = async () =>
      Number(
        (await target.query('SELECT count(*) AS n FROM items').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n,
      );

    worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json' });
    const created = await worker.api('POST', '/connectors', {
      name: connector,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: topic,
        'connection.url': `jdbc:postgresql://${host}:${port}/${database}`,
        'connection.username': role,
        'insert.mode': 'upsert',
        'primary.key.mode': 'record_key',
        'auto.create': 'true',
        'table.name.format': 'items',
        'retry.backoff.ms': '200',
        'errors.tolerance': 'all',
      },
    });
    assert.equal(created.status, 201, created.text);
    await send(1, 10);
    await eventually('the first rows in the target', async () => (await rows()) === 10, 120_000);

    await admin.query(`ALTER ROLE ${role} NOLOGIN`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await send(11, 20);
    const failed = await eventually(
      'the task to fail',
      async () => {
        const response = await worker!.api('GET', `/connectors/${connector}/status`);
        const status = (response.json as { tasks?: TaskStatus[] }).tasks?.[0];
        return status?.state === 'FAILED' ? status : undefined;
      },
      120_000,
    );
    assert.match(
      failed.trace ?? '',
      /the target denied access: role "[^"]+" is not permitted to log in \(28000\)/,
    );
    assert.equal(await rows(), 10, 'nothing of the later records was written');
    assert.ok(
      worker.lines.some((line) => /failed; retrying/.test(line)),
      'the lost connection was retried before the login was refused',
    );
  });
});
