/**
 * Java `.properties` parsing (the format of Kafka Connect worker files and of the
 * files `${file:/path:key}` reads): `key=value` or `key: value`, `#`/`!` comments,
 * trailing-backslash continuation lines and `\t \n \\ \uXXXX` escapes.
 */
export function parseProperties(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^\s+/, '');
    }
    const separator = findSeparator(line);
    const key = unescape(separator < 0 ? line : line.slice(0, separator)).trim();
    const value = separator < 0 ? '' : line.slice(separator + 1).replace(/^\s+/, '');
    result[key] = unescape(value);
  }
  return result;
}

function endsWithContinuation(line: string): boolean {
  const trailing = /\\+$/.exec(line);
  return trailing !== null && trailing[0].length % 2 === 1;
}

function findSeparator(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '=' || c === ':') return i;
  }
  return -1;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[escaped] ?? escaped;
  });
}
