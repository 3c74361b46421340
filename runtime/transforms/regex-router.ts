import type { ConnectRecord } from '../record/index.js';
import type { Transform } from './transform.js';
import { defineConfig } from '../plugin/index.js';
import { transformKeySpecs, type TransformSettings } from './settings.js';

export const regexRouterConfig = defineConfig({
  ...transformKeySpecs,
  regex: {
    type: 'string',
    importance: 'high',
    group: 'RegexRouter',
    documentation: 'Regular expression the whole topic name must match.',
  },
  replacement: {
    type: 'string',
    importance: 'high',
    group: 'RegexRouter',
    documentation: 'The new topic name; $1, $2 … are the groups of regex.',
  },
});

/** Kafka Connect's RegexRouter: a topic that matches `regex` entirely becomes `replacement`. */
export class RegexRouter implements Transform {
  private readonly regex: RegExp;
  private readonly replacement: string;

  constructor(transformSettings: TransformSettings) {
    const settings = transformSettings.as(regexRouterConfig);
    this.regex = settings.regex('regex', 'set the regular expression the topic must match');
    this.replacement = javaReplacement(
      settings.requiredString('replacement', 'set the new topic name, e.g. $1'),
    );
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    if (!this.regex.test(record.topic)) return record;
    return { ...record, topic: record.topic.replace(this.regex, this.replacement) };
  }
}

/** Java's replacement syntax (`$1`, `${name}`, `\$` for a literal) in JavaScript's. */
export function javaReplacement(replacement: string): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const char = replacement[i];
    if (char === '\\' && i + 1 < replacement.length) {
      const next = replacement[++i];
      out += next === '$' ? '$$' : next;
    } else if (char === '$' && replacement[i + 1] === '{') {
      const end = replacement.indexOf('}', i);
      out += `$<${replacement.slice(i + 2, end)}>`;
      i = end;
    } else {
      out += char;
    }
  }
  return out;
}
