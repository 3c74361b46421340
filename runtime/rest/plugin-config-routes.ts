import type { FastifyInstance } from 'fastify';
import { connectorConfigDef } from '../worker/connector-config.js';
import { configKeyInfo } from '../worker/connector-validation.js';
import type { Herder } from '../herder/herder.js';
import { NotFoundError } from '../plugin/errors.js';

/**
 * `GET /connector-plugins/{plugin}/config` (Kafka Connect 3.2+): the plugin's keys with the
 * ones every connector has, as ConfigKeyInfo. Each also carries `recommended_values` (the
 * values an enumeration allows), so the console can build its form from this alone.
 */
export function registerPluginConfigRoutes(app: FastifyInstance, herder: Herder): void {
  app.get<{ Params: { plugin: string } }>('/connector-plugins/:plugin/config', async (request) => {
    const plugin = herder.catalog.resolve(request.params.plugin);
    if (!plugin) {
      throw new NotFoundError(
        `Failed to find any class that implements Connector and which name matches ${request.params.plugin}, available connectors are: ${herder.catalog.describeInstalled()}`,
      );
    }
    return connectorConfigDef(plugin).map((key, order) => ({
      ...configKeyInfo(key, order),
      recommended_values: [...(key.allowed ?? [])],
    }));
  });
}
