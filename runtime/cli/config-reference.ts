import { formatConfigValue } from '../config/config-parser.js';
import { workerConfigDef } from '../config/worker-config.js';
import { converterKinds } from '../converters/index.js';
import type { ConfigDef } from '../plugin/index.js';
import { PREDICATES, TRANSFORMS } from '../transforms/index.js';
import { connectorConfigDef } from '../worker/connector-config.js';
import type { PluginCatalog } from '../worker/plugin-catalog.js';

/**
 * The Markdown configuration reference (`siphon docs`), rendered from the same ConfigDef
 * that validation and the REST API use, so the README cannot drift from the code.
 */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function configReference(title: string, def: ConfigDef): string {
  const groups = new Map<string, ConfigDef[number][]>();
  for (const key of def) groups.set(key.group, [...(groups.get(key.group) ?? []), key]);
  const out = [`## ${title}`, ''];
  for (const [group, keys] of groups) {
    out.push(
      `### ${group}`,
      '',
      '| Key | Type | Default | Importance | Description |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const key of keys) {
      const fallback =
        key.default === undefined
          ? '*required*'
          : key.default === null
            ? ''
            : `\`${formatConfigValue(key.default)}\``;
      const allowed = key.allowed ? ` One of: ${key.allowed.map((a) => `\`${a}\``).join(', ')}.` : '';
      const aliases = key.aliases?.length
        ? ` Also accepted as ${key.aliases.map((a) => `\`${a}\``).join(', ')}.`
        : '';
      out.push(
        `| \`${key.name}\` | ${key.type} | ${cell(fallback)} | ${key.importance} | ${cell(key.documentation + allowed + aliases)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

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
