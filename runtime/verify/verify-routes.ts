import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../rest/rest-errors.js';
import type { VerifyManager, VerifyRequest } from './verify-manager.js';

/**
 * `/connectors/{sink}/verify`: POST starts a verification (202 with its id), GET lists
 * the runs, `GET|DELETE …/verify/{id}` shows or cancels one. Errors in the API's
 * `{"error_code", "message"}` form: 404 unknown connector or run, 409 one already running,
 * 400 a bad body or a connector that cannot be verified.
 */
type Named = { Params: { name: string } };
type NamedRun = { Params: { name: string; id: string } };

const BODY_KEYS = ['tables', 'repair', 'chunk.size', 'source.connector', 'max.rows.per.second'];

/** Reads the optional POST body; every problem names the field and what it takes. */
export function verifyRequest(body: unknown): VerifyRequest {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new BadRequestError(
      'The verify body must be a JSON object such as {"tables": ["public.orders"], "repair": false}',
    );
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !BODY_KEYS.includes(key));
  if (unknown.length > 0)
    throw new BadRequestError(
      `Unknown verify field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; use ${BODY_KEYS.join(', ')}`,
    );
  const request: { -readonly [K in keyof VerifyRequest]: VerifyRequest[K] } = {};
  const { tables, repair } = fields;
  if (tables !== undefined) {
    if (!Array.isArray(tables) || tables.some((t) => typeof t !== 'string' || t === ''))
      throw new BadRequestError(
        `"tables" must be an array of table names such as ["public.orders"], got ${JSON.stringify(tables)}`,
      );
    request.tables = tables as string[];
  }
  if (repair !== undefined) {
    if (typeof repair !== 'boolean')
      throw new BadRequestError(`"repair" must be true or false, got ${JSON.stringify(repair)}`);
    request.repair = repair;
  }
  const count = (key: string, min: number): number | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw new BadRequestError(
        `"${key}" must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
      );
    return value;
  };
  const chunkSize = count('chunk.size', 1);
  if (chunkSize !== undefined) request.chunkSize = chunkSize;
  const rate = count('max.rows.per.second', 0);
  if (rate !== undefined) request.maxRowsPerSecond = rate;
  const source = fields['source.connector'];
  if (source !== undefined) {
    if (typeof source !== 'string' || source === '')
      throw new BadRequestError(`"source.connector" must be a connector name, got ${JSON.stringify(source)}`);
    request.sourceConnector = source;
  }
  return request;
}

export function registerVerifyRoutes(app: FastifyInstance, verifications: VerifyManager): void {
  app.post<Named>('/connectors/:name/verify', async (request, reply) => {
    const run = verifications.start(request.params.name, verifyRequest(request.body));
    return reply.code(202).send({ id: run.id, connector: run.connector, state: run.state });
  });

  app.get<Named>('/connectors/:name/verify', async (request) =>
    verifications.list(request.params.name).map(({ tables: _tables, ...summary }) => summary),
  );

  app.get<NamedRun>('/connectors/:name/verify/:id', async (request) =>
    verifications.get(request.params.name, request.params.id),
  );

  app.delete<NamedRun>('/connectors/:name/verify/:id', async (request) =>
    verifications.cancel(request.params.name, request.params.id),
  );
}
