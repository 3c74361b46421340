import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The worker's one Prometheus registry, served at `/metrics`. Each module that owns a
 * metric defines it once, next to the code that updates it, registered here.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

// prom-client names these gauges `_total`, which Prometheus reserves for counters
// (`promtool check metrics` rejects them); their per-type twins without the suffix
// (`nodejs_active_handles{type=…}`) carry the same numbers.
for (const misnamed of [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]) {
  metricsRegistry.removeSingleMetric(misnamed);
}
