import { workerConfigDef } from '../config/worker-config.js';
import { configReference } from '../plugin/index.js';
import { connectorConfigDef } from '../worker/connector-config.js';
import type { PluginCatalog } from '../worker/plugin-catalog.js';

/** The configuration reference (`siphon docs`): the worker's keys, then every installed plugin's (with the runtime keys it accepts). */
export function fullConfigReference(catalog: PluginCatalog): string {
  const sections = [configReference('Worker configuration', workerConfigDef)];
  for (const plugin of catalog.list()) {
    sections.push(
      configReference(`${plugin.className} (\`${plugin.name}\`, ${plugin.type})`, connectorConfigDef(plugin)),
    );
  }
  return sections.join('\n');
}
