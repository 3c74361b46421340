import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The worker's one Prometheus registry, served at `/metrics`. Each module that owns a
 * metric defines it once, next to the code that updates it, registered here.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });
