import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { WorkerConfig } from '../config/worker-config.js';
import { maskSecrets, type Logger } from '../logging/logger.js';
import { metricsRegistry } from '../metrics/registry.js';
import { VerifyManager } from '../verify/verify-manager.js';
import { registerVerifyRoutes } from '../verify/verify-routes.js';
import { siphonVersion } from '../siphon-version.js';
import type { Herder } from '../herder/herder.js';
import { isConnectionLost } from '../plugin/errors.js';
import { restStatusOf } from './rest-errors.js';
import { registerEventRoutes } from '../events/event-routes.js';
import { registerUiRoutes } from '../ui/ui-routes.js';
import { registerAdminLoggerRoutes } from './admin-logger-routes.js';
import { registerConnectorRoutes } from './connector-routes.js';
import { registerLeaderForwarding } from './leader-forwarding.js';
import type { ClusterView } from '../herder/cluster-view.js';
import { registerPluginConfigRoutes } from './plugin-config-routes.js';
import { registerPluginRoutes } from './plugin-routes.js';
import { RouteMethods } from './route-methods.js';
import { publishVerificationResults } from '../verify/verify-events.js';

/**
 * The worker's REST API, Kafka Connect compatible: same paths, bodies, status codes and
 * `{"error_code", "message"}` errors — fastify's own (unknown route, wrong method, body
 * too large or not JSON, bad URL, malformed request) included. Optional bearer or basic
 * authentication (every path but `/health`), optional TLS, `/metrics` for Prometheus.
 */

export interface RestServerOptions {
  readonly herder: Herder;
  readonly config: WorkerConfig;
  readonly logger: Logger;
  /** The herder's view of the cluster; with it, writes go to the worker that owns them. */
  readonly cluster?: () => ClusterView;
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

/** Jersey's wording, which Kafka Connect clients see for errors of the HTTP layer. */
function httpStatusMessage(status: number): string {
  return `HTTP ${status} ${STATUS_CODES[status] ?? 'Error'}`;
}

/**
 * Kafka Connect names are not length-limited; a path parameter is bounded only by
 * Node's header size limit (16 KiB), which answers 431 itself.
 */
const maxParamLength = 16 * 1024;

/** Requests Node rejects before fastify sees them (header overflow, garbage, timeouts). */
function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // The client is gone: nobody reads an answer.
  if (isConnectionLost(error) || socket.destroyed) return;
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ error_code: status, message: httpStatusMessage(status) });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Beyond Connect's `GET /` fields: who this worker is, who leads, who is in the cluster. */
function clusterSummary(view: ClusterView) {
  return {
    worker_id: view.selfId,
    leader_id: view.leader?.workerId ?? null,
    generation: view.generation,
    members: view.members.map((m) => ({ worker_id: m.workerId, url: m.url })),
  };
}

export function buildRestServer(options: RestServerOptions): FastifyInstance {
  const { herder, config, logger, cluster } = options;
  const certificate = config.optionalString('rest.ssl.certificate.location');
  const key = config.optionalString('rest.ssl.key.location');
  const app = Fastify({
    logger: false,
    // Config values are strings; coercion would turn a PATCH's null into "".
    ajv: { customOptions: { coerceTypes: false } },
    routerOptions: { maxParamLength },
    clientErrorHandler: clientError,
    frameworkErrors: (error, _request, reply) => sendError(reply, error.statusCode ?? 400, error.message),
    ...(certificate && key ? { https: { cert: readFileSync(certificate), key: readFileSync(key) } } : {}),
  }) as unknown as FastifyInstance;
  const authenticated = authenticator(config);
  const routeMethods = new RouteMethods();
  routeMethods.record(app);

  // Bodies are JSON only (415 otherwise, as Jersey answers); an empty body with a JSON
  // content type is no body, as for Kafka Connect's PUT /connectors/{name}/pause.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') done(null, undefined);
    else parseJson(request, text, done);
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The console's static files hold no data; what they fetch is authenticated.
    if (path === '/health' || path === '/ui' || path.startsWith('/ui/')) return;
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
    if (!herder.isReady && path !== '/metrics') {
      return sendError(reply, 503, 'The worker is starting (or stopping); retry shortly');
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const modelStatus = restStatusOf(error);
    if (modelStatus !== undefined) return sendError(reply, modelStatus, (error as Error).message);
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 415) {
      return sendError(reply, 415, `${httpStatusMessage(415)}: send the body as application/json`);
    }
    if (status && status >= 400 && status < 500) {
      const message = (error as { validation?: unknown }).validation
        ? `Invalid request body: ${(error as Error).message}`
        : (error as Error).message;
      return sendError(reply, status, message);
    }
    logger.error('REST request failed', { method: request.method, url: request.url, error });
    return sendError(reply, 500, (error as Error).message || 'Internal server error');
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = routeMethods.allowed(request.url.split('?')[0] ?? '');
    if (allowed.length > 0) {
      return sendError(reply.header('allow', allowed.join(', ')), 405, httpStatusMessage(405));
    }
    return sendError(reply, 404, `${httpStatusMessage(404)}: ${request.method} ${request.url}`);
  });

  app.get('/', async () => ({
    version: siphonVersion,
    commit: 'siphon',
    kafka_cluster_id: herder.kafkaClusterId,
    ...(cluster ? clusterSummary(cluster()) : {}),
  }));

  app.get('/health', async (_request, reply) => {
    if (herder.isReady) {
      return { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' };
    }
    return reply.code(503).send({ status: 'unhealthy', message: 'Worker is starting or stopping.' });
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });

  if (cluster) registerLeaderForwarding(app, { cluster, logger: logger.child({ component: 'rest' }) });
  registerConnectorRoutes(app, herder);
  registerPluginRoutes(app, herder);
  registerPluginConfigRoutes(app, herder);
  registerAdminLoggerRoutes(app);
  registerEventRoutes(app, herder.events);
  registerUiRoutes(app);
  const verifications = new VerifyManager(herder, logger.child({ component: 'verify' }));
  registerVerifyRoutes(app, verifications);
  publishVerificationResults(verifications, herder.events);
  app.addHook('onReady', async () => verifications.startSchedule());
  app.addHook('onClose', async () => verifications.close());
  return app;
}
