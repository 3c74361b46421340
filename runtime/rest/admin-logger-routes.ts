import type { FastifyInstance } from 'fastify';
import { isLogLevel, listLoggerLevels, loggerLevel, setLoggerLevel } from '../logging/logger.js';
import { NotFoundError } from '../plugin/errors.js';
import { BadRequestError } from './rest-errors.js';

/**
 * Kafka Connect's run-time log levels: `GET /admin/loggers`, `GET /admin/loggers/{logger}`,
 * `PUT /admin/loggers/{logger}` with `{"level": "DEBUG"}` (answers the loggers it changed).
 * Logger names: `root`, a component (`worker`, `schema-registry`, `retention-guardian`),
 * a component's connector (`worker.inventory-source`). Levels last until the worker stops.
 */
export function registerAdminLoggerRoutes(app: FastifyInstance): void {
  app.get('/admin/loggers', async () => listLoggerLevels());

  app.get<{ Params: { logger: string } }>('/admin/loggers/:logger', async (request) => {
    const view = loggerLevel(request.params.logger);
    if (!view) throw new NotFoundError(`Logger ${request.params.logger} not found`);
    return view;
  });

  app.put<{ Params: { logger: string }; Body: { level?: unknown }; Querystring: { scope?: string } }>(
    '/admin/loggers/:logger',
    async (request) => {
      const given = request.body?.level;
      if (typeof given !== 'string' || given.trim() === '') {
        throw new BadRequestError('The request body must be {"level": "DEBUG|INFO|WARN|ERROR"}');
      }
      const level = given.trim().toLowerCase();
      if (!isLogLevel(level)) {
        throw new BadRequestError(`Invalid log level '${given}': use one of DEBUG, INFO, WARN, ERROR`);
      }
      const scope = request.query.scope ?? 'worker';
      if (scope.toLowerCase() !== 'worker') {
        throw new BadRequestError(
          `scope=${scope} is not supported: each Siphon worker group runs one worker, use scope=worker`,
        );
      }
      return setLoggerLevel(request.params.logger, level);
    },
  );
}
