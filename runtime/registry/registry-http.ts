import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { RegistryError, type RegistryService, type SchemaRequest } from './registry-service.js';
import type { RegistryLogger } from './schemas-log.js';

/**
 * The Confluent Schema Registry REST API over RegistryService: same paths, content type
 * `application/vnd.schemaregistry.v1+json`, and error bodies `{"error_code", "message"}`.
 */

const contentType = 'application/vnd.schemaregistry.v1+json';

type SubjectParams = { subject: string };
type VersionParams = { subject: string; version: string };
type IdParams = { id: string };
type Flags = Record<string, string | undefined>;

function flag(request: FastifyRequest, name: string): boolean {
  return (request.query as Flags)[name] === 'true';
}

function text(request: FastifyRequest, name: string): string {
  return (request.query as Flags)[name] ?? '';
}

function schemaId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || id < 1) throw new RegistryError(404, 40403, `Schema ${text} not found`);
  return id;
}

export function registryHttpApi(service: RegistryService, logger: RegistryLogger): FastifyInstance {
  const app = Fastify({ logger: false });

  // Clients send the registry's own JSON media types, plain JSON, or (curl) no useful type at all.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new RegistryError(422, 42201, 'Invalid schema: the request body is not JSON'), undefined);
    }
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-type', contentType);
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof RegistryError) {
      return reply.status(error.status).send({ error_code: error.errorCode, message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ error_code: status, message: (error as Error).message });
    }
    const message = (error as Error).message;
    logger.error('schema registry request failed', {
      method: request.method,
      url: request.url,
      error: message,
    });
    const timedOut = /timed out/i.test(message);
    return reply.status(500).send({
      error_code: timedOut ? 50002 : 50001,
      message: timedOut ? `Operation timed out: ${message}` : `Error in the backend data store: ${message}`,
    });
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error_code: 404, message: 'HTTP 404 Not Found' }),
  );

  app.get('/', async () => ({}));

  app.get('/subjects', async (request) =>
    service.subjects(flag(request, 'deleted'), text(request, 'subjectPrefix')),
  );
  app.get<{ Params: SubjectParams }>('/subjects/:subject/versions', async (request) =>
    service.versions(request.params.subject, flag(request, 'deleted')),
  );
  app.get<{ Params: VersionParams }>('/subjects/:subject/versions/:version', async (request) =>
    service.version(request.params.subject, request.params.version, flag(request, 'deleted')),
  );
  app.get<{ Params: VersionParams }>(
    '/subjects/:subject/versions/:version/schema',
    async (request, reply) => {
      const { schema } = service.version(
        request.params.subject,
        request.params.version,
        flag(request, 'deleted'),
      );
      return reply.send(schema);
    },
  );
  app.get<{ Params: VersionParams }>('/subjects/:subject/versions/:version/referencedby', async (request) =>
    service.referencedBy(request.params.subject, request.params.version),
  );
  app.post<{ Params: SubjectParams; Body: SchemaRequest }>('/subjects/:subject/versions', async (request) =>
    service.register(request.params.subject, request.body, flag(request, 'normalize')),
  );
  app.post<{ Params: SubjectParams; Body: SchemaRequest }>('/subjects/:subject', async (request) =>
    service.lookup(request.params.subject, request.body, flag(request, 'deleted')),
  );
  app.delete<{ Params: SubjectParams }>('/subjects/:subject', async (request) =>
    service.deleteSubject(request.params.subject, flag(request, 'permanent')),
  );
  app.delete<{ Params: VersionParams }>('/subjects/:subject/versions/:version', async (request) =>
    service.deleteVersion(request.params.subject, request.params.version, flag(request, 'permanent')),
  );

  app.get<{ Params: IdParams }>('/schemas/ids/:id', async (request) =>
    service.schemaById(schemaId(request.params.id)),
  );
  app.get<{ Params: IdParams }>('/schemas/ids/:id/schema', async (request, reply) => {
    const { schema } = await service.schemaById(schemaId(request.params.id));
    return reply.send(schema);
  });
  app.get<{ Params: IdParams }>('/schemas/ids/:id/subjects', async (request) =>
    service.subjectsOfId(schemaId(request.params.id), flag(request, 'deleted')),
  );
  app.get<{ Params: IdParams }>('/schemas/ids/:id/versions', async (request) =>
    service.subjectVersionsOfId(schemaId(request.params.id), flag(request, 'deleted')),
  );
  app.get('/schemas', async (request) =>
    service.schemas(text(request, 'subjectPrefix'), flag(request, 'deleted'), flag(request, 'latestOnly')),
  );
  app.get('/schemas/types', async () => ['AVRO']);

  app.get('/config', async () => service.globalConfig());
  app.put('/config', async (request) => service.setConfig(null, request.body));
  app.get<{ Params: SubjectParams }>('/config/:subject', async (request) =>
    service.subjectConfig(request.params.subject, flag(request, 'defaultToGlobal')),
  );
  app.put<{ Params: SubjectParams }>('/config/:subject', async (request) =>
    service.setConfig(request.params.subject, request.body),
  );
  app.delete<{ Params: SubjectParams }>('/config/:subject', async (request) =>
    service.deleteSubjectConfig(request.params.subject),
  );

  app.get('/mode', async () => service.mode(null, true));
  app.put('/mode', async (request) => service.setMode(null, request.body));
  app.get<{ Params: SubjectParams }>('/mode/:subject', async (request) =>
    service.mode(request.params.subject, flag(request, 'defaultToGlobal')),
  );
  app.put<{ Params: SubjectParams }>('/mode/:subject', async (request) =>
    service.setMode(request.params.subject, request.body),
  );
  app.delete<{ Params: SubjectParams }>('/mode/:subject', async (request) =>
    service.deleteSubjectMode(request.params.subject),
  );

  app.post<{ Params: SubjectParams; Body: SchemaRequest }>(
    '/compatibility/subjects/:subject/versions',
    async (request) => {
      const result = service.checkCompatibility(request.params.subject, null, request.body);
      return flag(request, 'verbose') ? result : { is_compatible: result.is_compatible };
    },
  );
  app.post<{ Params: VersionParams; Body: SchemaRequest }>(
    '/compatibility/subjects/:subject/versions/:version',
    async (request) => {
      const result = service.checkCompatibility(request.params.subject, request.params.version, request.body);
      return flag(request, 'verbose') ? result : { is_compatible: result.is_compatible };
    },
  );

  return app;
}
