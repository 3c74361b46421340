import type { WorkerConfig } from '../config/worker-config.js';

/**
 * How the rest of the cluster reaches this worker (Kafka Connect's `rest.advertised.*`):
 * the URL followers forward REST writes to, and the worker id (`host:port`) shown as
 * `worker_id` in statuses. Each part defaults to what the REST listener uses.
 */
export interface AdvertisedAddress {
  readonly url: string;
  readonly workerId: string;
}

export function advertisedAddress(config: WorkerConfig, listenerPort: number): AdvertisedAddress {
  const options = config.options;
  const scheme =
    options['rest.advertised.listener'] ?? (options['rest.ssl.certificate.location'] ? 'https' : 'http');
  const host = options['rest.advertised.host.name'] ?? options['rest.host'];
  const port = options['rest.advertised.port'] ?? listenerPort;
  // An IPv6 literal needs brackets in a URL; the worker id keeps Connect's plain host:port.
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { url: `${scheme}://${urlHost}:${port}`, workerId: `${host}:${port}` };
}
