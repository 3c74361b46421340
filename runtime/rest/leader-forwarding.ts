import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterView } from '../herder/cluster-view.js';
import type { Logger } from '../logging/logger.js';
import { ConflictError, RetriableError } from '../plugin/errors.js';

/**
 * REST on every worker, as in Kafka Connect's distributed mode: reads answer from the
 * local copy of the config and status topics; a write is answered by the worker that
 * owns it — the leader for config and target-state changes and offsets, the task's (or
 * connector's) owner for a restart — and any other worker forwards it there, with the
 * caller's credentials. The `forward` query flag bounds the hops as Connect's does: the
 * worker that first receives a request forwards it with `forward=true` (the receiver may
 * forward once more, e.g. a leader that learnt of a new leader), a second hop with
 * `forward=false`, and a worker that is not the target of a `forward=false` request
 * answers 409: the cluster changed under the request.
 */

/** Connect's wording, which clients (and operators' scripts) match to retry. */
export const rebalanceConflictMessage =
  'Cannot complete request because of a conflicting operation (e.g. worker rebalance)';

/** As Connect's REST client: a forwarded request that takes longer has failed. */
const forwardTimeoutMs = 90_000;

/** Request headers the target needs; everything else (hop-by-hop, host) stays here. */
const forwardedRequestHeaders = ['authorization', 'content-type', 'accept'] as const;
const forwardedResponseHeaders = ['content-type', 'location', 'warning'] as const;

export type ForwardTarget =
  | { readonly kind: 'leader' }
  | { readonly kind: 'connector-owner'; readonly connector: string }
  | { readonly kind: 'task-owner'; readonly connector: string; readonly task: string };

interface RouteParams {
  readonly name?: string;
  readonly task?: string;
}

/**
 * Which worker must answer a request; null: any worker (reads, the validate endpoint,
 * logger levels of this worker, and verifications, whose runs live in the worker that
 * runs them).
 */
export function forwardTarget(
  method: string,
  route: string,
  params: RouteParams,
  query: Readonly<Record<string, unknown>>,
): ForwardTarget | null {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return null;
  if (route !== '/connectors' && !route.startsWith('/connectors/')) return null;
  if (route.startsWith('/connectors/:name/verify')) return null;
  const { name, task } = params;
  if (route === '/connectors/:name/tasks/:task/restart' && name !== undefined && task !== undefined) {
    return { kind: 'task-owner', connector: name, task };
  }
  // Restarting the connector alone is its owner's job; with its tasks it spans workers,
  // which the leader coordinates.
  if (route === '/connectors/:name/restart' && name !== undefined && !restartsTasks(query)) {
    return { kind: 'connector-owner', connector: name };
  }
  return { kind: 'leader' };
}

function restartsTasks(query: Readonly<Record<string, unknown>>): boolean {
  const value = query.includeTasks;
  return value === 'true' || value === '';
}

/**
 * The URL of the worker that must answer, or null when it is this one. Throws a
 * ConflictError (409) while the cluster cannot say: rebalancing, or no leader known.
 */
export function targetUrl(view: ClusterView, target: ForwardTarget): string | null {
  if (view.rebalancing || view.leader === null) throw new ConflictError(rebalanceConflictMessage);
  let ownerId: string | undefined;
  if (target.kind === 'task-owner') ownerId = view.taskOwners.get(`${target.connector}/${target.task}`);
  else if (target.kind === 'connector-owner') ownerId = view.connectorOwners.get(target.connector);
  // A connector or task nobody runs (unknown, stopped, unassigned): the leader answers.
  const member =
    ownerId === undefined ? view.leader : (view.members.find((m) => m.workerId === ownerId) ?? view.leader);
  return member.workerId === view.selfId ? null : member.url;
}

/** `forward` as Connect reads it: absent (a client's request), true or false. */
function forwardFlag(query: Readonly<Record<string, unknown>>): boolean | undefined {
  const value = query.forward;
  if (value === undefined) return undefined;
  return value !== 'false';
}

export interface LeaderForwardingOptions {
  readonly cluster: () => ClusterView;
  readonly logger: Logger;
}

export function registerLeaderForwarding(app: FastifyInstance, options: LeaderForwardingOptions): void {
  const { cluster, logger } = options;
  // After authentication (onRequest) and body parsing, before validation: the target
  // validates what it answers.
  app.addHook('preValidation', async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const target = forwardTarget(
      request.method,
      request.routeOptions.url ?? '',
      request.params as RouteParams,
      query,
    );
    if (target === null) return;
    const url = targetUrl(cluster(), target);
    if (url === null) return;
    const forward = forwardFlag(query);
    if (forward === false) throw new ConflictError(rebalanceConflictMessage);
    await forwardRequest(request, reply, url, forward === undefined, logger);
  });
}

async function forwardRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  baseUrl: string,
  mayForwardAgain: boolean,
  logger: Logger,
): Promise<FastifyReply> {
  const url = new URL(request.url, baseUrl);
  url.searchParams.set('forward', String(mayForwardAgain));
  const headers: Record<string, string> = {};
  for (const name of forwardedRequestHeaders) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  // The credentials travel in the headers above; the log line names only the target.
  logger.debug('forwarding REST request', { method: request.method, path: url.pathname, target: baseUrl });
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(forwardTimeoutMs),
    });
  } catch (error) {
    // Connect's answer too (500): the target went away; the next try finds the new one.
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new RetriableError(
      `IO Error trying to forward REST request to ${baseUrl}: ${reason instanceof Error ? reason.message : String(reason)}`,
      { cause: error },
    );
  }
  for (const name of forwardedResponseHeaders) {
    const value = response.headers.get(name);
    if (value !== null) void reply.header(name, value);
  }
  const body = Buffer.from(await response.arrayBuffer());
  return reply.code(response.status).send(body.length === 0 ? undefined : body);
}
