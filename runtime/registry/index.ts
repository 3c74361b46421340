import { ConfigError } from '../plugin/errors.js';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { loadWorkerConfig } from '../config/worker-config.js';
import { configureLogging, createLogger } from '../logging/logger.js';
import { createKafka } from '../worker/kafka-client.js';
import { registryHttpApi } from './registry-http.js';
import { RegistryService } from './registry-service.js';
import { SchemaStore } from './schema-store.js';
import { SchemasLog, type RegistryLogger } from './schemas-log.js';

export type { RegistryLogger } from './schemas-log.js';

export interface SchemaRegistryOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly kafka: Kafka;
  /** The compacted topic holding the schemas; default `_schemas`. */
  readonly topic?: string;
  readonly logger?: RegistryLogger;
}

export interface RunningSchemaRegistry {
  /** e.g. `http://127.0.0.1:8081`, for converters' `schema.registry.url`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded Confluent-compatible Schema Registry: reads the whole `_schemas`
 * topic (creating it, compacted, if missing), then serves the REST API. Several
 * registries may share one topic (see SchemasLog for why ids never collide).
 */
export async function startSchemaRegistry(options: SchemaRegistryOptions): Promise<RunningSchemaRegistry> {
  const logger = options.logger ?? createLogger({ component: 'schema-registry' });
  const topic = options.topic ?? '_schemas';
  const store = new SchemaStore();
  const log = new SchemasLog({ kafka: options.kafka, topic, logger, apply: (record) => store.apply(record) });
  await log.start();
  const app = registryHttpApi(new RegistryService(store, log), logger);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await log.close();
    throw new ConfigError(
      'schema.registry.port',
      `schema registry cannot listen on ${options.host}:${options.port}: ${(error as Error).message}; ` +
        'set schema.registry.port to a free port (0 picks one)',
      { cause: error },
    );
  }
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  logger.info('schema registry listening', { url, topic });
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= (async () => {
        await app.close();
        await log.close();
      })();
      return closing;
    },
  };
}

/**
 * `siphon registry`: the registry on its own, configured like the worker
 * (bootstrap.servers, schema.registry.host/port/topic, from a file, SIPHON_* variables or
 * overrides); stops on SIGTERM/SIGINT. Resolves with the running registry.
 */
export async function runSchemaRegistryMain(
  options: { configFile?: string; overrides?: Record<string, string> } = {},
): Promise<RunningSchemaRegistry> {
  const config = loadWorkerConfig({ file: options.configFile, overrides: options.overrides });
  configureLogging({
    level: config.options['log.level'],
    format: config.options['log.format'],
  });
  const logger = createLogger({ component: 'schema-registry' });
  const registry = await startSchemaRegistry({
    host: config.string('schema.registry.host'),
    port: config.number('schema.registry.port'),
    topic: config.string('schema.registry.topic'),
    kafka: createKafka(config, logger),
    logger,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info('shutting down', { signal });
      void registry.close().finally(() => process.exit(0));
    });
  }
  return registry;
}
