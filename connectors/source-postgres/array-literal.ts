import { DataError } from '../../runtime/plugin/index.js';

/**
 * Parses PostgreSQL's text form of an array ("{1,NULL,\"a b\"}") into element texts (null
 * for NULL). Multi-dimensional arrays are flattened in row-major order, since the record
 * model's arrays are one-dimensional. An optional "[1:3]=" bounds prefix is skipped.
 */
export function parseArrayLiteral(text: string, delimiter = ','): (string | null)[] {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0;
  if (text[i] !== '{') throw new DataError(`"${text.slice(0, 40)}" is not an array literal`);
  const out: (string | null)[] = [];
  let depth = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{') {
      depth++;
      i++;
    } else if (ch === '}') {
      depth--;
      i++;
    } else if (ch === delimiter || ch === ' ') {
      i++;
    } else if (ch === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        value += text[i] ?? '';
        i++;
      }
      i++;
      out.push(value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== delimiter && text[end] !== '}') end++;
      const raw = text.slice(i, end).trim();
      out.push(raw.toUpperCase() === 'NULL' ? null : raw);
      i = end;
    }
    if (depth === 0) break;
  }
  return out;
}
