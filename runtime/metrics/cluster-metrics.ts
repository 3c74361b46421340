import { Counter, Gauge, Histogram } from 'prom-client';
import type { ClusterView } from '../herder/cluster-view.js';
import { metricsRegistry } from './registry.js';

/**
 * The worker's view of its cluster, as Kafka Connect's `connect-worker-metrics` and
 * `connect-worker-rebalance-metrics` report it: members, what this worker was assigned,
 * and the rebalances it went through. The herder records a view after each assignment
 * and the time each rebalance took.
 */
const registers = [metricsRegistry];

export const clusterMembers = new Gauge({
  name: 'siphon_worker_cluster_members',
  help: 'Workers in this worker’s group, as of its last assignment',
  registers,
});

export const clusterLeader = new Gauge({
  name: 'siphon_worker_leader',
  help: '1 while this worker is the group leader (it assigns work and writes configs), 0 otherwise',
  registers,
});

export const assignedConnectors = new Gauge({
  name: 'siphon_worker_assigned_connectors',
  help: 'Connectors assigned to this worker',
  registers,
});

export const assignedTasks = new Gauge({
  name: 'siphon_worker_assigned_tasks',
  help: 'Tasks assigned to this worker',
  registers,
});

export const rebalanceGeneration = new Gauge({
  name: 'siphon_worker_rebalance_generation',
  help: 'Group generation of this worker’s last assignment',
  registers,
});

export const rebalancing = new Gauge({
  name: 'siphon_worker_rebalancing',
  help: '1 while this worker is rebalancing (REST writes answer 409), 0 otherwise',
  registers,
});

export const rebalancesCompleted = new Counter({
  name: 'siphon_worker_rebalance_completed_total',
  help: 'Rebalances this worker completed',
  registers,
});

export const rebalanceSeconds = new Histogram({
  name: 'siphon_worker_rebalance_seconds',
  help: 'Time from leaving the previous assignment to receiving the next one',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers,
});

/** Called with each view the herder publishes (after an assignment, or when a rebalance starts). */
export function recordClusterView(view: ClusterView): void {
  clusterMembers.set(view.members.length);
  clusterLeader.set(view.leader !== null && view.leader.workerId === view.selfId ? 1 : 0);
  rebalancing.set(view.rebalancing ? 1 : 0);
  rebalanceGeneration.set(view.generation);
  let connectors = 0;
  for (const owner of view.connectorOwners.values()) if (owner === view.selfId) connectors += 1;
  let tasks = 0;
  for (const owner of view.taskOwners.values()) if (owner === view.selfId) tasks += 1;
  assignedConnectors.set(connectors);
  assignedTasks.set(tasks);
}

/** Called once per completed rebalance with how long it took. */
export function recordRebalance(seconds: number): void {
  rebalancesCompleted.inc();
  rebalanceSeconds.observe(seconds);
}
