// REST on every worker of a 3-worker cluster (real processes, the shared Kafka): a write
// sent to a follower lands through the leader with the caller's credentials (and they
// never reach a log), every worker answers reads the same, statuses name the worker that
// runs each task, a task restart sent anywhere reaches the task's worker, and /metrics
// shows the cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  deleteTopics,
  eventually,
  uniqueNames,
  WorkerCluster,
  type WorkerProcess,
} from '../fixtures/worker-harness.js';
import { SseStream } from '../support/sse-stream.js';

const names = uniqueNames('cluster-rest');
const token = `t0ken-${names.group}`;
const auth = { authorization: `Bearer ${token}` };
const connector = `${names.group}-counter`;

describe('REST on every worker of a cluster', { timeout: 4 * 60_000 }, () => {
  const cluster = new WorkerCluster(names, {
    SIPHON_REST_AUTH_BEARER_TOKEN: token,
    SIPHON_LOG_LEVEL: 'debug',
  });
  let leader: WorkerProcess;
  let followers: WorkerProcess[];

  before(async () => {
    for (let i = 0; i < 3; i++) await cluster.add();
    leader = await cluster.leader();
    followers = cluster.live().filter((w) => w !== leader);
  });

  after(async () => {
    await cluster.stopAll();
    await deleteTopics(names.group);
  });

  it('every worker names the cluster, its members and its leader', async () => {
    const views = await Promise.all(cluster.live().map((w) => w.api('GET', '/', undefined, auth)));
    const ids = cluster.live().map(WorkerCluster.idOf).sort();
    for (const view of views) {
      assert.equal(view.status, 200);
      const root = view.json as {
        kafka_cluster_id: string;
        leader_id: string;
        members: { worker_id: string }[];
      };
      assert.ok(root.kafka_cluster_id, 'kafka_cluster_id');
      assert.equal(root.leader_id, WorkerCluster.idOf(leader));
      assert.deepEqual(root.members.map((m) => m.worker_id).sort(), ids);
    }
  });

  it('a create sent to a follower lands through the leader, with the credentials, never logged', async () => {
    const follower = followers[0]!;
    const unauthenticated = await follower.api('POST', '/connectors', { name: connector, config: {} });
    assert.equal(unauthenticated.status, 401);
    const created = await follower.api(
      'POST',
      '/connectors',
      {
        name: connector,
        config: {
          'connector.class': 'counter',
          topic: `${names.group}-counts`,
          'interval.ms': '100',
          'tasks.max': '3',
        },
      },
      auth,
    );
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json && (created.json as { name: string }).name, connector);
    // The follower forwarded it to the leader's advertised URL (its debug line names the target).
    assert.ok(
      follower.lines.some((l) => l.includes('forwarding REST request') && l.includes(leader.url)),
      'the follower forwarded the write to the leader',
    );
    for (const w of cluster.live()) {
      assert.ok(!w.lines.some((l) => l.includes(token)), `the token reached the log of ${w.url}`);
    }
    // Every worker reads the same config from its own copy of the config topic.
    for (const w of cluster.live()) {
      await eventually(`the connector on ${w.url}`, async () => {
        const info = await w.api('GET', `/connectors/${connector}`, undefined, auth);
        return info.status === 200;
      });
    }
  });

  it("statuses name each task's worker, spread over the members, the same on every worker", async () => {
    const ids = new Set(cluster.live().map(WorkerCluster.idOf));
    const status = await eventually('three running tasks', async () => {
      const s = await cluster.status(leader, connector).catch(() => undefined);
      return s && s.tasks.length === 3 && s.tasks.every((t) => t.state === 'RUNNING') ? s : undefined;
    });
    assert.ok(ids.has(status.connector.worker_id), status.connector.worker_id);
    for (const t of status.tasks) assert.ok(ids.has(t.worker_id), `task ${t.id} on ${t.worker_id}`);
    // Three tasks over three workers, balanced: one each.
    assert.equal(new Set(status.tasks.map((t) => t.worker_id)).size, 3);
    // Every worker shows each task's progress, wherever the task runs (the status topic keeps it).
    for (const w of cluster.live()) {
      await eventually(`progress of every task on ${w.url}`, async () => {
        const seen = await cluster.status(w, connector);
        return seen.tasks.every((t) => Number(t.progress?.emitted) > 0);
      });
    }
    for (const w of followers) {
      await eventually(`the same statuses on ${w.url}`, async () => {
        const seen = await cluster.status(w, connector);
        return JSON.stringify(seen.tasks.map((t) => t.worker_id)) ===
          JSON.stringify(status.tasks.map((t) => t.worker_id))
          ? true
          : undefined;
      });
    }
  });

  it("a task restart sent to a worker that does not run it reaches the task's worker", async () => {
    const status = await cluster.status(leader, connector);
    const task = status.tasks[0]!;
    const owner = cluster.byId(task.worker_id)!;
    const elsewhere = cluster.live().find((w) => w !== owner)!;
    // The owner's own event stream: only the worker that runs a task publishes its states.
    const events = await SseStream.open(
      `${owner.url}/events?connector=${encodeURIComponent(connector)}&types=task.state`,
      auth,
    );
    try {
      const restarted = await elsewhere.api(
        'POST',
        `/connectors/${connector}/tasks/${task.id}/restart`,
        undefined,
        auth,
      );
      assert.equal(restarted.status, 204, restarted.text);
      await events.waitFor(1, (e) => e.data.data?.task === task.id && e.data.data.state === 'RUNNING');
    } finally {
      await events.close();
    }
    await eventually('the task running again on its worker', async () => {
      const after = await cluster.status(elsewhere, connector);
      const t = after.tasks.find((x) => x.id === task.id);
      return t?.state === 'RUNNING' && t.worker_id === task.worker_id;
    });
  });

  it('pause and resume through a follower change the target state cluster-wide', async () => {
    const follower = followers[1]!;
    const paused = await follower.api('PUT', `/connectors/${connector}/pause`, undefined, auth);
    assert.equal(paused.status, 202, paused.text);
    for (const w of cluster.live()) {
      await eventually(`paused as seen from ${w.url}`, async () => {
        const s = await cluster.status(w, connector);
        return s.tasks.length === 3 && s.tasks.every((t) => t.state === 'PAUSED');
      });
    }
    const resumed = await follower.api('PUT', `/connectors/${connector}/resume`, undefined, auth);
    assert.equal(resumed.status, 202, resumed.text);
    await eventually('running again', async () => {
      const s = await cluster.status(leader, connector);
      return s.tasks.every((t) => t.state === 'RUNNING');
    });
  });

  it('/metrics on each worker shows the cluster and what that worker runs', async () => {
    const status = await cluster.status(leader, connector);
    for (const w of cluster.live()) {
      const metrics = await w.api('GET', '/metrics', undefined, auth);
      assert.match(metrics.text, /^siphon_worker_cluster_members 3$/m);
      const mine = status.tasks.filter((t) => t.worker_id === WorkerCluster.idOf(w)).length;
      assert.match(metrics.text, new RegExp(`^siphon_worker_assigned_tasks ${mine}$`, 'm'));
      assert.match(metrics.text, new RegExp(`^siphon_worker_leader ${w === leader ? 1 : 0}$`, 'm'));
      assert.match(metrics.text, /^siphon_worker_rebalance_completed_total [1-9]\d*$/m);
    }
  });
});
