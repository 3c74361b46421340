import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.js';

/** Verification metrics (runtime/verify), served at `/metrics`. */
const registers = [metricsRegistry];

export const verifyRowsCompared = new Counter({
  name: 'siphon_verify_rows_compared_total',
  help: 'Source rows a verification compared with the target, per sink connector and source table',
  labelNames: ['connector', 'table'] as const,
  registers,
});

export const verifyRowsDifferent = new Gauge({
  name: 'siphon_verify_rows_different',
  help: 'Rows that differed between source and target in the last finished verification of the table (after repair)',
  labelNames: ['connector', 'table'] as const,
  registers,
});

export const verifyLastRun = new Gauge({
  name: 'siphon_verify_last_run_timestamp_seconds',
  help: 'Unix time at which the last verification of the sink connector finished, by outcome (equal, different, failed)',
  labelNames: ['connector', 'outcome'] as const,
  registers,
});
