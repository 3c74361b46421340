import { formatConfigValue } from '../config/config-parser.js';
import { workerConfigDef } from '../config/worker-config.js';
import type { ConfigDef } from '../plugin/index.js';
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

/** The worker's keys, then every installed plugin's (with the runtime keys it accepts). */
export function fullConfigReference(catalog: PluginCatalog): string {
  const sections = [configReference('Worker configuration', workerConfigDef)];
  for (const plugin of catalog.list()) {
    sections.push(
      configReference(`${plugin.className} (\`${plugin.name}\`, ${plugin.type})`, connectorConfigDef(plugin)),
    );
  }
  return sections.join('\n');
}
