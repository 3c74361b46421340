import { ConfigError } from '../plugin/index.js';
/**
 * Debezium's comma-separated regular expression lists (`table.include.list` and friends).
 * A comma separates expressions unless it is escaped (`\,`) or inside a `{m,n}`
 * quantifier. Each expression must match the WHOLE identifier, case-insensitively, as
 * Debezium's `Pattern.matcher(id).matches()` with CASE_INSENSITIVE does.
 */

/** Splits a list into its expressions; throws naming the list key on an invalid regex. */
export function parseRegexList(key: string, list: string | readonly string[] | null): RegExp[] {
  if (list === null) return [];
  const parts =
    typeof list === 'string' ? splitRegexList(list) : list.flatMap((item) => splitRegexList(item));
  return parts.map((source) => {
    try {
      return new RegExp(`^(?:${source})$`, 'i');
    } catch (error) {
      throw new ConfigError(
        key,
        `${key}: "${source}" is not a valid regular expression (${(error as Error).message}); fix the expression or escape its special characters`,
        { cause: error },
      );
    }
  });
}

function splitRegexList(list: string): string[] {
  const parts: string[] = [];
  let current = '';
  let braceDepth = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === '\\' && list[i + 1] === ',') {
      current += ',';
      i++;
    } else if (ch === '\\' && i + 1 < list.length) {
      current += ch + list[i + 1];
      i++;
    } else if (ch === '{') {
      braceDepth++;
      current += ch;
    } else if (ch === '}') {
      braceDepth = Math.max(0, braceDepth - 1);
      current += ch;
    } else if (ch === ',' && braceDepth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

export function matchesAny(patterns: readonly RegExp[], id: string): boolean {
  return patterns.some((pattern) => pattern.test(id));
}
