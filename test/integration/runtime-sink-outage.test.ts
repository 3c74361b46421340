// A target database outage under load heals by itself: a `siphon worker` runs the JDBC
// sink against PostgreSQL through an in-process TCP proxy, a producer keeps writing, and
// the proxy is cut for 5 s, 30 s and 3 min. The task never goes FAILED, its status shows
// the retry while the target is away, and the target ends equal to the source with no
// restart by hand.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { createConverter } from '../../runtime/converters/index.js';
import type { Converter } from '../../runtime/converters/converter.js';
import { int32, struct } from '../../runtime/record/index.js';
import { deleteTopics, eventually, kafka, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { localStack } from '../support/local-stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createDatabase, type TestDatabase } from './sink-jdbc-harness.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';

const names = uniqueNames('sink-outage');
const topic = `${names.group}-items`;
const connector = `${names.group}-sink`;
const keySchema = struct('items.Key', [['id', int32()]]);
const rowSchema = struct('items.Value', [
  ['id', int32()],
  ['v', int32()],
]);
const keyCount = 200;

interface TaskStatus {
  state: string;
  trace?: string;
}

/** Writes updates of random keys while running; `expected` holds the last value of each key. */
class Load {
  readonly expected = new Map<number, number>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private version = 0;

  constructor(
    private readonly producer: Producer,
    private readonly keys: Converter,
    private readonly values: Converter,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.send(10);
        await new Promise((resolve) => setTimeout(resolve, 100)); // the load's pace, not a wait for a condition
      }
    })();
  }

  async send(count: number): Promise<void> {
    const messages = [];
    for (let i = 0; i < count; i++) {
      const id = 1 + Math.floor(Math.random() * keyCount);
      const v = ++this.version;
      messages.push({
        key: await this.keys.fromConnectData(topic, keySchema, { id }),
        value: await this.values.fromConnectData(topic, rowSchema, { id, v }),
      });
      this.expected.set(id, v);
    }
    await this.producer.send({ topic, messages, acks: -1 });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

describe('sink: target outage under load', { timeout: 12 * 60_000 }, () => {
  let target: TestDatabase;
  let proxy: TcpProxy;
  let worker: WorkerProcess | undefined;
  let producer: Producer;
  let load: Load;

  before(async () => {
    target = await createDatabase('postgresql');
    await target.query('CREATE TABLE items (id integer PRIMARY KEY, v integer NOT NULL)');
    proxy = new TcpProxy(localStack.postgres.port);
    await proxy.start();
    const admin = kafka.admin();
    await admin.connect();
    await createTopicAndWait(admin, { topic, numPartitions: 2 });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    load = new Load(
      producer,
      await createConverter('json', {}, true, {}),
      await createConverter('json', {}, false, {}),
    );
    worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json' });
  });

  after(async () => {
    await load?.stop();
    await producer?.disconnect();
    if (worker && worker.child.exitCode === null) {
      worker.kill('SIGTERM');
      await worker.waitForExit();
    }
    await proxy?.stop();
    await deleteTopics(names.group);
    await target?.drop();
  });

  async function taskStatus(): Promise<TaskStatus | undefined> {
    const response = await worker!.api('GET', `/connectors/${connector}/status`);
    return (response.json as { tasks?: TaskStatus[] }).tasks?.[0];
  }

  async function targetEqualsSource(): Promise<boolean> {
    const rows = await target.query('SELECT id, v FROM items');
    const actual = new Map(rows.map((r) => [Number(r.id), Number(r.v)]));
    if (actual.size !== load.expected.size) return false;
    for (const [id, v] of load.expected) if (actual.get(id) !== v) return false;
    return true;
  }

  /**
   * Cuts the target for `ms` while the load goes on, checking the task's status every
   * second: never FAILED; returns the traces it showed meanwhile.
   */
  async function outage(ms: number): Promise<string[]> {
    const traces: string[] = [];
    await proxy.stop();
    const end = Date.now() + ms;
    try {
      while (Date.now() < end) {
        const status = await taskStatus();
        assert.notEqual(status?.state, 'FAILED', `the task failed during the outage:\n${status?.trace}`);
        if (status?.trace) traces.push(status.trace);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, end - Date.now()))));
      }
    } finally {
      await proxy.start();
    }
    return traces;
  }

  async function converges(what: string): Promise<void> {
    await eventually(
      what,
      async () => {
        const status = await taskStatus();
        assert.notEqual(status?.state, 'FAILED', `the task failed:\n${status?.trace}`);
        return (await targetEqualsSource()) && status?.state === 'RUNNING' && status.trace === undefined;
      },
      180_000,
    );
  }

  it('applies the load before any outage', async () => {
    await load.send(keyCount * 2);
    const created = await worker!.api('POST', '/connectors', {
      name: connector,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: topic,
        'connection.url': `jdbc:postgresql://127.0.0.1:${proxy.port}/${target.name}?user=${localStack.postgres.user}`,
        'insert.mode': 'upsert',
        'primary.key.mode': 'record_key',
        mappings: JSON.stringify([{ match: { topic }, table: 'items' }]),
        // Few, short retries inside put: the runner's own retry (and its heartbeats) is what is under test.
        'max.retries': '1',
        'retry.backoff.ms': '200',
        'errors.retry.delay.max.ms': '5000',
      },
    });
    assert.equal(created.status, 201, created.text);
    await converges('the target to catch up before the outage');
  });

  for (const seconds of [5, 30, 180]) {
    it(`rides out a ${seconds} s outage of the target and converges`, async () => {
      load.start();
      const traces = await outage(seconds * 1000);
      if (seconds >= 30) {
        assert.ok(
          traces.some((t) => /attempt \d+ failed; retrying in the background/.test(t)),
          `the status showed the retry: ${traces.slice(-1).join('')}`,
        );
      }
      // The load goes on until the sink writes again, then stops so the target can catch up.
      await eventually(
        'the task to recover',
        async () => {
          const status = await taskStatus();
          assert.notEqual(status?.state, 'FAILED', `the task failed:\n${status?.trace}`);
          return status?.state === 'RUNNING' && status.trace === undefined;
        },
        180_000,
      );
      await load.stop();
      await converges(`the target to equal the source after a ${seconds} s outage`);
    });
  }
});
