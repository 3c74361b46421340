import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { WorkerConfig } from '../config/worker-config.js';
import { maskSecrets, type Logger } from '../logging/logger.js';
import { metricsRegistry } from '../metrics/registry.js';
import { siphonVersion } from '../siphon-version.js';
import type { Worker } from '../worker/worker.js';
import { ConnectRestError } from './connect-rest-error.js';
import { registerConnectorRoutes } from './connector-routes.js';
import { registerPluginRoutes } from './plugin-routes.js';

/**
 * The worker's REST API, Kafka Connect compatible: same paths, bodies, status codes and
 * `{"error_code", "message"}` errors. Optional bearer or basic authentication (every
 * path but `/health`), optional TLS, `/metrics` for Prometheus.
 */

export interface RestServerOptions {
  readonly worker: Worker;
  readonly config: WorkerConfig;
  readonly logger: Logger;
}

function equalSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authenticator(config: WorkerConfig): ((request: FastifyRequest) => boolean) | null {
  const token = config.optionalString('rest.auth.bearer.token');
  const user = config.optionalString('rest.auth.basic.username');
  const password = config.optionalString('rest.auth.basic.password');
  if (!token && !user) return null;
  return (request) => {
    const header = request.headers.authorization ?? '';
    if (token && header.startsWith('Bearer ') && equalSecret(header.slice(7).trim(), token)) return true;
    if (user && header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      return equalSecret(decoded, `${user}:${password ?? ''}`);
    }
    return false;
  };
}

export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error_code: status, message: maskSecrets(message) });
}

export function buildRestServer(options: RestServerOptions): FastifyInstance {
  const { worker, config, logger } = options;
  const certificate = config.optionalString('rest.ssl.certificate.location');
  const key = config.optionalString('rest.ssl.key.location');
  const app = Fastify({
    logger: false,
    // Config values are strings; coercion would turn a PATCH's null into "".
    ajv: { customOptions: { coerceTypes: false } },
    ...(certificate && key ? { https: { cert: readFileSync(certificate), key: readFileSync(key) } } : {}),
  }) as unknown as FastifyInstance;
  const authenticated = authenticator(config);

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path === '/health') return;
    if (authenticated && !authenticated(request)) {
      void reply.header(
        'www-authenticate',
        config.optionalString('rest.auth.basic.username') ? 'Basic' : 'Bearer',
      );
      return sendError(
        reply,
        401,
        'Authentication required: send the configured bearer token or basic credentials',
      );
    }
    if (!worker.isReady && path !== '/metrics') {
      return sendError(reply, 503, 'The worker is starting (or stopping); retry shortly');
    }
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ConnectRestError) return sendError(reply, error.status, error.message);
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      const message = (error as { validation?: unknown }).validation
        ? `Invalid request body: ${(error as Error).message}`
        : (error as Error).message;
      return sendError(reply, status, message);
    }
    logger.error('REST request failed', { method: request.method, url: request.url, error });
    return sendError(reply, 500, (error as Error).message || 'Internal server error');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `HTTP 404 Not Found: ${request.method} ${request.url}`),
  );

  app.get('/', async () => ({
    version: siphonVersion,
    commit: 'siphon',
    kafka_cluster_id: worker.kafkaClusterId,
  }));

  app.get('/health', async (_request, reply) => {
    if (worker.isReady) {
      return { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' };
    }
    return reply.code(503).send({ status: 'unhealthy', message: 'Worker is starting or stopping.' });
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });

  registerConnectorRoutes(app, worker);
  registerPluginRoutes(app, worker);
  return app;
}
