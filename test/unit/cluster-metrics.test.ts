import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordClusterView, recordRebalance } from '../../runtime/metrics/cluster-metrics.js';
import { metricsRegistry } from '../../runtime/metrics/registry.js';

test("a worker's cluster metrics count the members and what this worker runs", async () => {
  const self = { workerId: 'w2:8083', url: 'http://w2:8083' };
  const leader = { workerId: 'w1:8083', url: 'http://w1:8083' };
  recordClusterView({
    kafkaClusterId: 'k',
    selfId: self.workerId,
    selfUrl: self.url,
    leader,
    rebalancing: false,
    generation: 7,
    members: [leader, self, { workerId: 'w3:8083', url: 'http://w3:8083' }],
    connectorOwners: new Map([
      ['a', self.workerId],
      ['b', leader.workerId],
    ]),
    taskOwners: new Map([
      ['a/0', self.workerId],
      ['a/1', self.workerId],
      ['b/0', leader.workerId],
    ]),
  });
  recordRebalance(0.4);
  const text = await metricsRegistry.metrics();
  assert.match(text, /^siphon_worker_cluster_members 3$/m);
  assert.match(text, /^siphon_worker_leader 0$/m);
  assert.match(text, /^siphon_worker_assigned_connectors 1$/m);
  assert.match(text, /^siphon_worker_assigned_tasks 2$/m);
  assert.match(text, /^siphon_worker_rebalance_generation 7$/m);
  assert.match(text, /^siphon_worker_rebalance_completed_total 1$/m);
  assert.match(text, /^siphon_worker_rebalance_seconds_bucket\{le="0.5"\} 1$/m);
});
