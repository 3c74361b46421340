import type { FastifyInstance } from 'fastify';
import type { TargetState } from '../stores/config-store.js';
import type { Herder, OffsetView } from '../herder/herder.js';
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

function taskId(herder: Herder, name: string, task: string): number {
  const id = Number(task);
  if (!/^\d+$/.test(task) || !Number.isSafeInteger(id)) {
    herder.connectorInfo(name); // 404 for an unknown connector first, like Kafka Connect
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

export function registerConnectorRoutes(app: FastifyInstance, herder: Herder): void {
  app.get('/connectors', async (request) => {
    const expand = expandOptions(request.query);
    const names = herder.connectorNames();
    if (expand.length === 0) return names;
    return Object.fromEntries(
      names.map((name) => [
        name,
        {
          ...(expand.includes('status') ? { status: herder.connectorStatus(name) } : {}),
          ...(expand.includes('info') ? { info: herder.connectorInfo(name) } : {}),
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
      const info = await herder.createConnector({ ...config, name }, state);
      return reply
        .code(201)
        .header('location', `/connectors/${encodeURIComponent(name)}`)
        .send(info);
    },
  );

  app.get<Named>('/connectors/:name', async (request) => herder.connectorInfo(request.params.name));

  app.get<Named>(
    '/connectors/:name/config',
    async (request) => herder.connectorInfo(request.params.name).config,
  );

  app.put<Named & { Body: Record<string, unknown> }>(
    '/connectors/:name/config',
    { schema: { body: configBody } },
    async (request, reply) => {
      const { created, info } = await herder.putConnectorConfig(
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
      return herder.patchConnectorConfig(request.params.name, patch);
    },
  );

  app.get<Named>('/connectors/:name/status', async (request) => herder.connectorStatus(request.params.name));

  app.get<Named>('/connectors/:name/tasks', async (request) => herder.taskConfigs(request.params.name));

  app.get<NamedTask>('/connectors/:name/tasks/:task/status', async (request) => {
    const { name, task } = request.params;
    return herder.taskStatus(name, taskId(herder, name, task));
  });

  app.post<Named>('/connectors/:name/restart', async (request, reply) => {
    const status = await herder.restartConnector(request.params.name, {
      includeTasks: flag(request.query, 'includeTasks'),
      onlyFailed: flag(request.query, 'onlyFailed'),
    });
    return status === null ? reply.code(204).send() : reply.code(202).send(status);
  });

  app.post<NamedTask>('/connectors/:name/tasks/:task/restart', async (request, reply) => {
    const { name, task } = request.params;
    await herder.restartTask(name, taskId(herder, name, task));
    return reply.code(204).send();
  });

  // Debezium's signals through REST (the `rest` channel): the worker running task 0 gets them.
  app.post<Named>('/connectors/:name/signals', async (request, reply) => {
    const { type, data } = signalBody(request.body);
    const id = await herder.sendSignal(request.params.name, type, data);
    return reply.code(202).send({ id, type, data });
  });

  // Ours: `{"type":"incremental","data-collections":[…]}` is execute-snapshot's data.
  app.post<Named>('/connectors/:name/snapshots', async (request, reply) => {
    const data = snapshotBody(request.body);
    const id = await herder.sendSignal(request.params.name, 'execute-snapshot', data);
    return reply.code(202).send({ id, type: 'execute-snapshot', data });
  });

  const targetStates: [string, TargetState][] = [
    ['pause', 'PAUSED'],
    ['resume', 'STARTED'],
    ['stop', 'STOPPED'],
  ];
  for (const [path, state] of targetStates) {
    app.put<Named>(`/connectors/:name/${path}`, async (request, reply) => {
      await herder.setTargetState(request.params.name, state);
      return reply.code(202).send();
    });
  }

  app.delete<Named>('/connectors/:name', async (request, reply) => {
    const leftBehind = await herder.deleteConnector(request.params.name);
    // Kafka Connect answers 204 without a body; what stays behind goes in Warning headers.
    if (leftBehind.length > 0) void reply.header('warning', leftBehind.map(warningHeader));
    return reply.code(204).send();
  });

  app.get<Named>('/connectors/:name/topics', async (request) => ({
    [request.params.name]: { topics: herder.activeTopics(request.params.name) },
  }));

  app.put<Named>('/connectors/:name/topics/reset', async (request, reply) => {
    await herder.resetTopics(request.params.name);
    return reply.code(200).send();
  });

  app.get<Named>('/connectors/:name/offsets', async (request) => ({
    offsets: await herder.offsets(request.params.name),
  }));

  app.patch<Named & { Body: { offsets: OffsetView[] } }>(
    '/connectors/:name/offsets',
    { schema: { body: offsetsBody } },
    async (request) => {
      const offsets = request.body.offsets.map((o) => ({ partition: o.partition, offset: o.offset ?? null }));
      await herder.alterOffsets(request.params.name, offsets);
      return { message: 'The offsets for this connector have been altered successfully' };
    },
  );

  app.delete<Named>('/connectors/:name/offsets', async (request) => {
    await herder.resetOffsets(request.params.name);
    return { message: 'The offsets for this connector have been reset successfully' };
  });
}

function signalBody(body: unknown): { type: string; data: Record<string, unknown> | null } {
  const value = (body ?? {}) as Record<string, unknown>;
  if (typeof value.type !== 'string' || value.type.trim() === '') {
    throw new BadRequestError(
      'A signal needs a "type" (execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot, …) and optional "data", e.g. {"type":"stop-snapshot","data":{"type":"incremental"}}',
    );
  }
  if (
    value.data !== undefined &&
    value.data !== null &&
    (typeof value.data !== 'object' || Array.isArray(value.data))
  ) {
    throw new BadRequestError(`The signal's "data" must be a JSON object, not ${JSON.stringify(value.data)}`);
  }
  return { type: value.type, data: (value.data as Record<string, unknown> | undefined) ?? null };
}

function snapshotBody(body: unknown): Record<string, unknown> {
  const value = (body ?? {}) as Record<string, unknown>;
  const type = value.type ?? 'incremental';
  if (type !== 'incremental' && type !== 'blocking') {
    throw new BadRequestError(`Snapshot "type" ${JSON.stringify(type)} is not incremental or blocking`);
  }
  const collections = value['data-collections'];
  if (
    !Array.isArray(collections) ||
    collections.length === 0 ||
    collections.some((c) => typeof c !== 'string' || c === '')
  ) {
    throw new BadRequestError(
      'A snapshot needs "data-collections": the tables to snapshot, e.g. {"type":"incremental","data-collections":["public.orders"]}',
    );
  }
  return { ...value, type };
}
