import type { FastifyInstance } from 'fastify';
import type { Herder } from '../herder/herder.js';
import { validateResponse } from '../worker/connector-validation.js';
import { NotFoundError } from '../plugin/errors.js';
import { BadRequestError } from './rest-errors.js';
import { configBody, stringConfig } from './request-bodies.js';

/** `GET /connector-plugins` and `PUT /connector-plugins/{plugin}/config/validate`. */
export function registerPluginRoutes(app: FastifyInstance, herder: Herder): void {
  app.get('/connector-plugins', async () =>
    herder.catalog.list().map((p) => ({ class: p.className, type: p.type, version: p.version })),
  );

  app.put<{ Params: { plugin: string }; Body: Record<string, unknown> }>(
    '/connector-plugins/:plugin/config/validate',
    { schema: { body: configBody } },
    async (request) => {
      const plugin = herder.catalog.resolve(request.params.plugin);
      if (!plugin) {
        throw new NotFoundError(
          `Failed to find any class that implements Connector and which name matches ${request.params.plugin}, available connectors are: ${herder.catalog.describeInstalled()}`,
        );
      }
      const raw = stringConfig(request.body, 'config');
      const given = raw['connector.class'];
      if (given !== undefined && herder.catalog.resolve(given) !== plugin) {
        throw new BadRequestError(
          `Included connector type ${given} does not match request type ${request.params.plugin}`,
        );
      }
      const config = { ...raw, 'connector.class': given ?? plugin.className };
      const validation = await herder.validate(config);
      return validateResponse(validation, config, plugin.className);
    },
  );
}
