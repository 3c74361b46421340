// A network partition of one worker of three: its Kafka connection (and only its) goes
// through a TCP proxy to a private broker, and the proxy is cut. The worker's session
// expires, it stops its tasks, the others take them over; when the proxy comes back it
// rejoins. Throughout and at the end, each task runs on at most one worker, counted
// from every worker's own /metrics (a task a worker runs is RUNNING in its gauges).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  eventually,
  lostWorkerMs,
  uniqueNames,
  WorkerCluster,
  type WorkerProcess,
} from '../fixtures/worker-harness.js';
import { freePort } from '../support/free-port.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const names = uniqueNames('cluster-partition');
const connector = `${names.group}-counter`;
const tasks = 3;

/** The tasks of `connector` a worker runs, from its own metrics. */
async function runningHere(worker: WorkerProcess): Promise<number[]> {
  const metrics = await worker.api('GET', '/metrics');
  const pattern = /^siphon_task_state\{connector="([^"]+)",task="(\d+)",state="RUNNING"\} 1$/gm;
  return [...metrics.text.matchAll(pattern)].filter((m) => m[1] === connector).map((m) => Number(m[2]));
}

/** Task id → the workers running it, across all live workers. */
async function owners(cluster: WorkerCluster): Promise<Map<number, string[]>> {
  const byTask = new Map<number, string[]>();
  for (const w of cluster.live()) {
    for (const task of await runningHere(w)) {
      byTask.set(task, [...(byTask.get(task) ?? []), WorkerCluster.idOf(w)]);
    }
  }
  return byTask;
}

function assertOneOwnerEach(byTask: Map<number, string[]>): void {
  for (const [task, workers] of byTask) {
    assert.ok(workers.length <= 1, `task ${task} runs on ${workers.join(' and ')}`);
  }
}

describe('a worker cut off from Kafka', { timeout: 6 * 60_000 }, () => {
  let broker: PrivateKafka;
  let proxy: TcpProxy;
  let cluster: WorkerCluster;
  let cutOff: WorkerProcess;

  before(async () => {
    const [internal, advertised] = [await freePort(), await freePort()];
    broker = await PrivateKafka.create(null, { port: internal, advertisedPort: advertised });
    proxy = new TcpProxy(internal);
    proxy.port = advertised;
    await proxy.start();
    cluster = new WorkerCluster(names, { SIPHON_BOOTSTRAP_SERVERS: broker.bootstrap });
    await cluster.add();
    await cluster.add();
    cutOff = await cluster.add({ SIPHON_BOOTSTRAP_SERVERS: `127.0.0.1:${advertised}` });
    await cluster.settled();
    const created = await cluster.live()[0]!.api('POST', '/connectors', {
      name: connector,
      config: {
        'connector.class': 'counter',
        topic: `${names.group}-counts`,
        'interval.ms': '200',
        'tasks.max': String(tasks),
      },
    });
    assert.equal(created.status, 201, created.text);
  });

  after(async () => {
    await proxy?.start().catch(() => undefined);
    await cluster?.stopAll();
    await proxy?.stop();
    await broker?.destroy();
  });

  it('spreads the tasks over the three workers', async () => {
    await eventually('one task on each worker', async () => {
      const byTask = await owners(cluster);
      assertOneOwnerEach(byTask);
      const used = new Set([...byTask.values()].flat());
      return byTask.size === tasks && used.size === 3;
    });
  });

  it('the cut-off worker stops its task and the others take it over, never two owners', async () => {
    await proxy.stop();
    const cutAt = Date.now();
    const cutOffId = WorkerCluster.idOf(cutOff);
    const reassigned = await eventually(
      'every task running on the two connected workers',
      async () => {
        const byTask = await owners(cluster);
        assertOneOwnerEach(byTask);
        const onConnected = [...byTask.values()].every((w) => w.length === 1 && w[0] !== cutOffId);
        return byTask.size === tasks && onConnected ? byTask : undefined;
      },
      lostWorkerMs + 30_000,
    );
    process.stderr.write(
      `partition: reassigned in ${Date.now() - cutAt} ms: ${JSON.stringify([...reassigned])}\n`,
    );
  });

  it('when the connection comes back the worker rejoins and each task still has one owner', async () => {
    await proxy.start();
    await cluster.settled(90_000);
    await eventually(
      'a settled assignment with every task running once',
      async () => {
        const byTask = await owners(cluster);
        assertOneOwnerEach(byTask);
        return byTask.size === tasks;
      },
      60_000,
    );
    // The statuses agree with what the workers run, once the status writes of a last
    // move (the returning worker may get its share back) are in.
    await eventually(
      'statuses naming the worker that runs each task',
      async () => {
        const status = await cluster.status(cluster.live()[0]!, connector);
        const byTask = await owners(cluster);
        assertOneOwnerEach(byTask);
        for (const t of status.tasks) assert.deepEqual(byTask.get(t.id), [t.worker_id], `task ${t.id}`);
        return status.tasks.length === tasks;
      },
      30_000,
    );
  });
});
