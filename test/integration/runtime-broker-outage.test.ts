// A Kafka broker outage is ridden out, on a private broker of the test's own: a worker
// runs the counter source while the broker is killed (kill -9) for about 30 s and later
// restarted cleanly (SIGTERM). The task never shows FAILED, it goes on producing once the
// broker is back, and the topic holds every count without a gap.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { PrivateKafka } from '../support/private-kafka.js';

const names = uniqueNames('broker-outage');
const topic = `${names.group}-counts`;
const connector = 'ctr';

interface TaskStatus {
  state: string;
  trace?: string;
}

describe('Kafka broker outage', { timeout: 10 * 60_000 }, () => {
  let broker: PrivateKafka;
  let kafka: Kafka;
  let worker: WorkerProcess | undefined;

  before(async () => {
    broker = await PrivateKafka.create();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    worker = await WorkerProcess.start(names, { SIPHON_BOOTSTRAP_SERVERS: broker.bootstrap });
  });

  after(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.kill('SIGKILL');
      await worker.waitForExit();
    }
    await broker?.destroy();
  });

  async function taskStatus(): Promise<TaskStatus | undefined> {
    const response = await worker!.api('GET', `/connectors/${connector}/status`);
    return (response.json as { tasks?: TaskStatus[] }).tasks?.[0];
  }

  async function produced(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async function grows(what: string, beyond: number): Promise<number> {
    return eventually(
      what,
      async () => {
        const status = await taskStatus();
        assert.notEqual(status?.state, 'FAILED', `the task failed:\n${status?.trace}`);
        const n = await produced();
        return n > beyond && n;
      },
      120_000,
    );
  }

  /** The broker is down for `ms`: the status must never say FAILED meanwhile. */
  async function down(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const status = await taskStatus();
      assert.notEqual(
        status?.state,
        'FAILED',
        `the task failed while the broker was down:\n${status?.trace}`,
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async function counts(): Promise<number[]> {
    const size = await produced();
    const values: number[] = [];
    const consumer = kafka.consumer({ groupId: `${names.group}-reader` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            const json = JSON.parse(message.value?.toString() ?? '{}') as { payload?: { count: number } };
            values.push(Number(json.payload?.count));
            if (values.length >= size) resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  it('produces across a kill -9 of the broker and a clean restart, without a gap', async () => {
    const created = await worker!.api('POST', '/connectors', {
      name: connector,
      config: {
        'connector.class': 'counter',
        topic,
        'interval.ms': '20',
        'errors.retry.delay.max.ms': '2000',
      },
    });
    assert.equal(created.status, 201, created.text);
    const before = await grows('records before the outage', 100);

    await broker.stop('SIGKILL');
    await down(30_000);
    await broker.start();
    const afterKill = await grows('records after the broker came back', before + 100);

    await broker.stop('SIGTERM');
    await down(5_000);
    await broker.start();
    await grows('records after the clean restart', afterKill + 100);

    await eventually('the status back to RUNNING without a trace', async () => {
      const status = await taskStatus();
      return status?.state === 'RUNNING' && status.trace === undefined;
    });
    const values = await counts();
    const seen = new Set(values);
    const max = Math.max(...values);
    for (let i = 1; i <= max; i++) assert.ok(seen.has(i), `count ${i} is missing (max ${max})`);
  });
});
