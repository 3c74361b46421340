import { workerConfigDef } from '../config/worker-config.js';
import { converterKinds } from '../converters/index.js';
import { configReference, type ConfigDef } from '../plugin/index.js';
import { PREDICATES, TRANSFORMS } from '../transforms/index.js';
import { connectorConfigDef } from '../worker/connector-config.js';
import type { PluginCatalog } from '../worker/plugin-catalog.js';

/** Class names sharing one definition (a transform's Key and Value variants) render once. */
function byDefinition(
  kinds: Readonly<Record<string, { readonly configDef: ConfigDef }>>,
): [string[], ConfigDef][] {
  const classes = new Map<ConfigDef, string[]>();
  for (const [className, kind] of Object.entries(kinds)) {
    classes.set(kind.configDef, [...(classes.get(kind.configDef) ?? []), className]);
  }
  return [...classes].map(([def, names]) => [names, def]);
}

/**
 * The worker's keys, every installed plugin's (with the runtime keys it accepts), then the
 * converters' (`key.converter.<key>`, `value.converter.<key>`), transforms'
 * (`transforms.<alias>.<key>`) and predicates' (`predicates.<name>.<key>`).
 */
export function fullConfigReference(catalog: PluginCatalog): string {
  const sections = [configReference('Worker configuration', workerConfigDef)];
  for (const plugin of catalog.list()) {
    sections.push(
      configReference(`${plugin.className} (\`${plugin.name}\`, ${plugin.type})`, connectorConfigDef(plugin)),
    );
  }
  for (const kind of converterKinds) {
    sections.push(
      configReference(
        `${kind.className} (\`${kind.shortName}\`, converter: key.converter.<key>, value.converter.<key>)`,
        kind.configDef,
      ),
    );
  }
  for (const [classNames, def] of byDefinition(TRANSFORMS)) {
    sections.push(configReference(`${classNames.join(', ')} (transform: transforms.<alias>.<key>)`, def));
  }
  for (const [classNames, def] of byDefinition(PREDICATES)) {
    sections.push(configReference(`${classNames.join(', ')} (predicate: predicates.<name>.<key>)`, def));
  }
  return sections.join('\n');
}
