import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from './registry.js';

/** The connector runtime's metrics, each defined once and served at `/metrics`. */
const registers = [metricsRegistry];

export const connectorStateGauge = new Gauge({
  name: 'siphon_connector_state',
  help: 'Connector state: 1 for the state the connector is in, 0 for the others',
  labelNames: ['connector', 'state'] as const,
  registers,
});

export const taskStateGauge = new Gauge({
  name: 'siphon_task_state',
  help: 'Task state: 1 for the state the task is in, 0 for the others',
  labelNames: ['connector', 'task', 'state'] as const,
  registers,
});

export const sourceRecordsProduced = new Counter({
  name: 'siphon_source_records_produced_total',
  help: 'Records a source task produced to Kafka (acknowledged by the broker)',
  labelNames: ['connector', 'task'] as const,
  registers,
});

export const sinkRecordsConsumed = new Counter({
  name: 'siphon_sink_records_consumed_total',
  help: 'Records a sink task received from Kafka and put durably',
  labelNames: ['connector', 'task'] as const,
  registers,
});

export const recordsSkipped = new Counter({
  name: 'siphon_records_skipped_total',
  help: 'Records skipped because of errors with errors.tolerance=all',
  labelNames: ['connector', 'task', 'stage'] as const,
  registers,
});

export const deadLetterRecords = new Counter({
  name: 'siphon_deadletterqueue_records_total',
  help: 'Records written to the dead-letter queue topic',
  labelNames: ['connector', 'task'] as const,
  registers,
});

export const taskErrors = new Counter({
  name: 'siphon_task_errors_total',
  help: 'Errors raised by tasks, retried or fatal',
  labelNames: ['connector', 'task', 'retriable'] as const,
  registers,
});

export const offsetCommits = new Counter({
  name: 'siphon_offset_commits_total',
  help: 'Offset commits by outcome',
  labelNames: ['connector', 'task', 'outcome'] as const,
  registers,
});

export const offsetCommitSeconds = new Histogram({
  name: 'siphon_offset_commit_seconds',
  help: 'Time to commit offsets (source: offsets topic write; sink: consumer group commit)',
  labelNames: ['connector', 'task'] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  registers,
});

export const sourceQueueFill = new Gauge({
  name: 'siphon_source_queue_records',
  help: 'Records waiting in a source task queue',
  labelNames: ['connector', 'task'] as const,
  registers,
});

export const sourceQueueCapacity = new Gauge({
  name: 'siphon_source_queue_capacity_records',
  help: 'Capacity of a source task queue (max.queue.size)',
  labelNames: ['connector', 'task'] as const,
  registers,
});

const states = ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'] as const;

export function recordConnectorState(connector: string, state: string | null): void {
  for (const s of states) connectorStateGauge.set({ connector, state: s }, s === state ? 1 : 0);
  if (state === null) for (const s of states) connectorStateGauge.remove({ connector, state: s });
}

export function recordTaskState(connector: string, task: number, state: string | null): void {
  const labels = { connector, task: String(task) };
  for (const s of states) taskStateGauge.set({ ...labels, state: s }, s === state ? 1 : 0);
  if (state === null) for (const s of states) taskStateGauge.remove({ ...labels, state: s });
}
