import type { AddressInfo } from 'node:net';
import { createConverter } from '../converters/index.js';
import { EventBus } from '../events/event-bus.js';
import { LagSampler } from '../events/lag-sampler.js';
import { loadWorkerConfig, openProviderWarnings } from '../config/worker-config.js';
import { configureLogging, createLogger } from '../logging/logger.js';
import type { ConnectorPlugin } from '../plugin/index.js';
import { startSchemaRegistry, type RunningSchemaRegistry } from '../registry/index.js';
import { advertisedAddress } from '../rest/advertised-url.js';
import { buildRestServer } from '../rest/rest-server.js';
import { createKafka } from './kafka-client.js';
import { installedConnectorsDir, PluginCatalog } from './plugin-catalog.js';
import { sleep } from '../plugin/index.js';
import { Herder } from '../herder/herder.js';

/**
 * `siphon worker`: loads the worker config, the plugins, the schema registry, the
 * worker and its REST API, and stops them in order on SIGTERM/SIGINT (tasks drained and
 * offsets committed, exit 0 within task.shutdown.graceful.timeout.ms).
 */
export interface WorkerProcessOptions {
  readonly configFile?: string;
  readonly overrides?: Record<string, string>;
  /** Plugins besides the installed connectors (tests). */
  readonly plugins?: readonly ConnectorPlugin[];
  /** Stop and exit on SIGTERM/SIGINT (the CLI); off for in-process use. */
  readonly handleSignals?: boolean;
}

export interface RunningWorker {
  readonly url: string;
  readonly herder: Herder;
  stop(): Promise<void>;
}

export async function startWorkerProcess(options: WorkerProcessOptions = {}): Promise<RunningWorker> {
  const config = loadWorkerConfig({ file: options.configFile, overrides: options.overrides });
  configureLogging({
    level: config.options['log.level'],
    format: config.options['log.format'],
  });
  const logger = createLogger({ component: 'worker' });
  for (const warning of openProviderWarnings(config)) logger.warn(warning);
  const catalog = await PluginCatalog.load({
    connectorsDir: config.optionalString('connectors.dir') ?? installedConnectorsDir,
    modulePaths: config.list('plugin.path'),
    plugins: options.plugins,
    logger,
  });
  const kafka = createKafka(config, logger);
  let registry: RunningSchemaRegistry | null = null;
  let schemaRegistryUrl = config.optionalString('schema.registry.url');
  if (!schemaRegistryUrl && config.options['schema.registry.embedded']) {
    registry = await startSchemaRegistry({
      host: config.string('schema.registry.host'),
      port: config.number('schema.registry.port'),
      topic: config.string('schema.registry.topic'),
      kafka,
      logger: createLogger({ component: 'schema-registry' }),
    });
    schemaRegistryUrl = registry.url;
  }
  const events = new EventBus(config.number('events.buffer.size'));
  const herder = new Herder({
    events,
    config,
    kafka,
    catalog,
    createConverter: (name, converterConfig, isKey) =>
      createConverter(
        name,
        converterConfig,
        isKey,
        schemaRegistryUrl ? { defaultSchemaRegistryUrl: schemaRegistryUrl } : {},
      ),
    logger,
  });
  const app = buildRestServer({ herder, config, logger, cluster: () => herder.cluster() });
  // From here on, stop() releases everything started above.
  await app.listen({ host: config.string('rest.host'), port: config.number('rest.port') });
  const address = app.server.address() as AddressInfo;
  const { url, workerId } = advertisedAddress(config, address.port);

  const lagSampler = new LagSampler(
    events,
    {
      connectorNames: () => (herder.isReady ? herder.connectorNames() : []),
      connectorType: (name) => herder.connectorType(name),
      behindBytes: (name) => herder.guardian.latest(name)?.behindBytes ?? null,
    },
    {
      intervalMs: config.number('events.lag.interval.ms'),
      alertSeconds: config.number('events.lag.alert.seconds'),
    },
  );

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      lagSampler.stop();
      await herder.stop();
      await app.close();
      await registry?.close();
    })();
    return stopping;
  };
  try {
    await herder.start({ workerId, url });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  lagSampler.start();
  logger.info('REST API listening', { url, plugins: catalog.list().map((p) => p.className) });

  if (options.handleSignals) {
    // Last line of defence: one connector's stray promise must not take the worker down.
    process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error }));
    const exitAfterStop = (code: number) => {
      const limit = config.number('task.shutdown.graceful.timeout.ms') + 5000;
      void Promise.race([stop(), sleep(limit)]).finally(() => process.exit(code));
    };
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info('shutting down', { signal });
        exitAfterStop(0);
      });
    }
  }
  return { url, herder, stop };
}
