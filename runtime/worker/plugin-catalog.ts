import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConnectorPlugin } from '../plugin/index.js';
import type { Logger } from '../logging/logger.js';
import { pluginMetrics } from '../metrics/metric-factory.js';

/**
 * The installed connector plugins: every `connectors/<dir>/index.ts` (`index.js` when
 * compiled) exporting `plugin`, modules listed in `plugin.path`, and plugins handed in
 * programmatically (tests).
 * `connector.class` resolves by short name, canonical class name, alias, or the class
 * name's last segment (Kafka Connect accepts `PostgresConnector` for the full name).
 */
/** The installation's own connectors (`connectors/` next to `runtime/`). */
export const installedConnectorsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../connectors');

export class PluginCatalog {
  private constructor(private readonly plugins: readonly ConnectorPlugin[]) {}

  static async load(options: {
    connectorsDir?: string | null;
    modulePaths?: readonly string[];
    plugins?: readonly ConnectorPlugin[];
    logger: Logger;
  }): Promise<PluginCatalog> {
    const found: ConnectorPlugin[] = [...(options.plugins ?? [])];
    const modules: string[] = [];
    if (options.connectorsDir && existsSync(options.connectorsDir)) {
      for (const entry of readdirSync(options.connectorsDir).sort()) {
        const index = indexModule(join(options.connectorsDir, entry));
        if (index) modules.push(index);
      }
    }
    for (const path of options.modulePaths ?? []) {
      const absolute = resolve(path);
      const module =
        existsSync(absolute) && statSync(absolute).isDirectory() ? indexModule(absolute) : absolute;
      if (module) modules.push(module);
      else options.logger.warn('plugin.path entry has no index.ts or index.js', { path });
    }
    for (const module of modules) {
      try {
        const exported = await importPlugin(module);
        const candidates = [exported.plugin, ...(Array.isArray(exported.plugins) ? exported.plugins : [])];
        const plugins = candidates.filter(isConnectorPlugin);
        if (plugins.length === 0) {
          options.logger.debug('module exports no connector plugin', { module });
        }
        found.push(...plugins);
      } catch (error) {
        // One broken connector must not keep the worker (and every other connector) down.
        options.logger.error('failed to load connector plugin', { module, error });
      }
    }
    const unique = new Map<string, ConnectorPlugin>();
    for (const plugin of found) {
      if (unique.has(plugin.className)) continue;
      // Registered now so /metrics lists them before any task runs; a plugin whose
      // definitions clash with another's is left out, as its tasks could not make them.
      try {
        pluginMetrics.registerAll(plugin.metrics ?? []);
        unique.set(plugin.className, plugin);
      } catch (error) {
        options.logger.error('failed to load connector plugin', { plugin: plugin.className, error });
      }
    }
    return new PluginCatalog([...unique.values()]);
  }

  list(): readonly ConnectorPlugin[] {
    return this.plugins;
  }

  resolve(nameOrClass: string): ConnectorPlugin | undefined {
    const wanted = nameOrClass.trim();
    const lower = wanted.toLowerCase();
    return (
      this.plugins.find((p) => p.className === wanted || p.aliases.includes(wanted)) ??
      this.plugins.find(
        (p) => p.name.toLowerCase() === lower || simpleName(p.className).toLowerCase() === lower,
      )
    );
  }

  /** For error messages: what `connector.class` may say. */
  describeInstalled(): string {
    if (this.plugins.length === 0) return 'no connector plugins are installed';
    return this.plugins.map((p) => `${p.className} (${p.name})`).join(', ');
  }
}

/** This module compiled (dist/) rather than run from its TypeScript source through tsx. */
const compiled = import.meta.url.endsWith('.js');
let typeScriptLoader: Promise<void> | null = null;

/** A compiled worker loads a TypeScript plugin (plugin.path) through tsx, registered on first need. */
async function importPlugin(module: string): Promise<Record<string, unknown>> {
  if (compiled && /\.[cm]?ts$/.test(module)) {
    typeScriptLoader ??= import('tsx/esm/api').then(({ register }) => void register());
    await typeScriptLoader;
  }
  return (await import(pathToFileURL(module).href)) as Record<string, unknown>;
}

function simpleName(className: string): string {
  return className.slice(className.lastIndexOf('.') + 1);
}

function indexModule(dir: string): string | undefined {
  // Compiled, a plugin's own build wins over its sources.
  const files = compiled ? ['index.js', 'index.ts'] : ['index.ts', 'index.js'];
  return files.map((file) => join(dir, file)).find((file) => existsSync(file));
}

function isConnectorPlugin(value: unknown): value is ConnectorPlugin {
  if (value === null || typeof value !== 'object') return false;
  const p = value as Partial<ConnectorPlugin>;
  return (
    typeof p.name === 'string' &&
    typeof p.className === 'string' &&
    (p.type === 'source' || p.type === 'sink') &&
    typeof p.createTask === 'function' &&
    typeof p.taskConfigs === 'function' &&
    Array.isArray(p.configDef)
  );
}
