import { formatConfigValue } from '../config/config-parser.js';
import type { ConfigDef } from './config-def.js';

/**
 * Markdown tables of a ConfigDef's keys, by group (`siphon docs`, connectors' READMEs),
 * rendered from the same ConfigDef that validation and the REST API use, so the
 * references cannot drift from the code.
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
