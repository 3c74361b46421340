import type { FastifyInstance } from 'fastify';
import type { TargetState } from '../stores/config-store.js';
import type { OffsetView, Worker } from '../worker/worker.js';
import { NotFoundError } from '../plugin/errors.js';
import { BadRequestError } from './rest-errors.js';
import { configBody, createConnectorBody, offsetsBody, stringConfig } from './request-bodies.js';

/** The `/connectors` resource of Kafka Connect's REST API. */
type Named = { Params: { name: string } };
type NamedTask = { Params: { name: string; task: string } };

function expandOptions(query: unknown): string[] {
  const expand = (query as { expand?: string | string[] } | undefined)?.expand;
  return expand === undefined ? [] : Array.isArray(expand) ? expand : [expand];
}

function flag(query: unknown, name: string): boolean {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return false;
  if (value === 'true' || value === '') return true;
  if (value === 'false') return false;
  throw new BadRequestError(`Query parameter ${name}=${String(value)} is invalid: use true or false`);
}

function taskId(worker: Worker, name: string, task: string): number {
  const id = Number(task);
  if (!/^\d+$/.test(task) || !Number.isSafeInteger(id)) {
    worker.connectorInfo(name); // 404 for an unknown connector first, like Kafka Connect
    throw new NotFoundError(`Task ${name}-${task} not found`);
  }
  return id;
}

/** RFC 9111 warn-text: a quoted string, printable ASCII only. */
function warningHeader(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&');
  return `299 siphon "${printable}"`;
}

const initialStates: Record<string, TargetState> = {
  RUNNING: 'STARTED',
  PAUSED: 'PAUSED',
  STOPPED: 'STOPPED',
};

export function registerConnectorRoutes(app: FastifyInstance, worker: Worker): void {
  app.get('/connectors', async (request) => {
    const expand = expandOptions(request.query);
    const names = worker.connectorNames();
    if (expand.length === 0) return names;
    return Object.fromEntries(
      names.map((name) => [
        name,
        {
          ...(expand.includes('status') ? { status: worker.connectorStatus(name) } : {}),
          ...(expand.includes('info') ? { info: worker.connectorInfo(name) } : {}),
        },
      ]),
    );
  });

  app.post<{ Body: { name?: string; config?: Record<string, unknown>; initial_state?: string } }>(
    '/connectors',
    { schema: { body: createConnectorBody } },
    async (request, reply) => {
      const body = request.body ?? {};
      const config = stringConfig(body.config ?? {}, 'config');
      const name = body.name ?? config.name;
      if (name === undefined) {
        throw new BadRequestError(
          'Connector config is missing the required "name" field (a unique connector name)',
        );
      }
      if (config.name !== undefined && config.name !== name) {
        throw new BadRequestError(
          `Connector name configuration (${config.name}) doesn't match connector name in the URL (${name})`,
        );
      }
      const state = initialStates[body.initial_state ?? 'RUNNING'];
      const info = await worker.createConnector({ ...config, name }, state);
      return reply
        .code(201)
        .header('location', `/connectors/${encodeURIComponent(name)}`)
        .send(info);
    },
  );

  app.get<Named>('/connectors/:name', async (request) => worker.connectorInfo(request.params.name));

  app.get<Named>(
    '/connectors/:name/config',
    async (request) => worker.connectorInfo(request.params.name).config,
  );

  app.put<Named & { Body: Record<string, unknown> }>(
    '/connectors/:name/config',
    { schema: { body: configBody } },
    async (request, reply) => {
      const { created, info } = await worker.putConnectorConfig(
        request.params.name,
        stringConfig(request.body, 'config'),
      );
      return reply.code(created ? 201 : 200).send(info);
    },
  );

  app.patch<Named & { Body: Record<string, unknown> }>(
    '/connectors/:name/config',
    { schema: { body: configBody } },
    async (request) => {
      const patch: Record<string, string | null> = {};
      for (const [key, value] of Object.entries(request.body))
        patch[key] = value === null ? null : String(value);
      return worker.patchConnectorConfig(request.params.name, patch);
    },
  );

  app.get<Named>('/connectors/:name/status', async (request) => worker.connectorStatus(request.params.name));

  app.get<Named>('/connectors/:name/tasks', async (request) => worker.taskConfigs(request.params.name));

  app.get<NamedTask>('/connectors/:name/tasks/:task/status', async (request) => {
    const { name, task } = request.params;
    return worker.taskStatus(name, taskId(worker, name, task));
  });

  app.post<Named>('/connectors/:name/restart', async (request, reply) => {
    const status = await worker.restartConnector(request.params.name, {
      includeTasks: flag(request.query, 'includeTasks'),
      onlyFailed: flag(request.query, 'onlyFailed'),
    });
    return status === null ? reply.code(204).send() : reply.code(202).send(status);
  });

  app.post<NamedTask>('/connectors/:name/tasks/:task/restart', async (request, reply) => {
    const { name, task } = request.params;
    await worker.restartTask(name, taskId(worker, name, task));
    return reply.code(204).send();
  });

  const targetStates: [string, TargetState][] = [
    ['pause', 'PAUSED'],
    ['resume', 'STARTED'],
    ['stop', 'STOPPED'],
  ];
  for (const [path, state] of targetStates) {
    app.put<Named>(`/connectors/:name/${path}`, async (request, reply) => {
      await worker.setTargetState(request.params.name, state);
      return reply.code(202).send();
    });
  }

  app.delete<Named>('/connectors/:name', async (request, reply) => {
    const leftBehind = await worker.deleteConnector(request.params.name);
    // Kafka Connect answers 204 without a body; what stays behind goes in Warning headers.
    if (leftBehind.length > 0) void reply.header('warning', leftBehind.map(warningHeader));
    return reply.code(204).send();
  });

  app.get<Named>('/connectors/:name/topics', async (request) => ({
    [request.params.name]: { topics: worker.activeTopics(request.params.name) },
  }));

  app.put<Named>('/connectors/:name/topics/reset', async (request, reply) => {
    await worker.resetTopics(request.params.name);
    return reply.code(200).send();
  });

  app.get<Named>('/connectors/:name/offsets', async (request) => ({
    offsets: await worker.offsets(request.params.name),
  }));

  app.patch<Named & { Body: { offsets: OffsetView[] } }>(
    '/connectors/:name/offsets',
    { schema: { body: offsetsBody } },
    async (request) => {
      const offsets = request.body.offsets.map((o) => ({ partition: o.partition, offset: o.offset ?? null }));
      await worker.alterOffsets(request.params.name, offsets);
      return { message: 'The offsets for this connector have been altered successfully' };
    },
  );

  app.delete<Named>('/connectors/:name/offsets', async (request) => {
    await worker.resetOffsets(request.params.name);
    return { message: 'The offsets for this connector have been reset successfully' };
  });
}
