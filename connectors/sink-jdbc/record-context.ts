import type { Schema, SinkRecord, Struct } from '../../runtime/record/index.js';
import { int32, int64, string } from '../../runtime/record/index.js';

/**
 * What `${…}` placeholders (table.name.format, mapping values, filter expressions) can
 * refer to: `${topic}`, `${partition}`, `${offset}`, `${timestamp}`, `${op}`, `${ts_ms}`
 * and `${source.<field>}` from the Debezium source block.
 */
export interface RecordContext {
  readonly record: SinkRecord;
  /** c, u, d, r, t; `d` for a tombstone, `c` for a flat row. */
  readonly op: string;
  readonly tsMs: bigint | null;
  readonly source: Struct | null;
  readonly sourceSchema: Schema | null;
}

export interface TypedValue {
  readonly schema: Schema;
  readonly value: unknown;
}

const ROOTS = ['topic', 'partition', 'offset', 'timestamp', 'op', 'ts_ms'] as const;

/** Why a placeholder name is not allowed, or undefined when it is. */
export function placeholderProblem(name: string): string | undefined {
  if ((ROOTS as readonly string[]).includes(name)) return undefined;
  if (/^source\.[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return `unknown placeholder \${${name}}; use ${ROOTS.map((root) => `\${${root}}`).join(', ')} or \${source.<field>}`;
}

export function resolvePlaceholder(name: string, context: RecordContext): TypedValue {
  const { record } = context;
  switch (name) {
    case 'topic':
      return { schema: string(), value: record.topic };
    case 'partition':
      return { schema: int32(), value: record.kafkaPartition };
    case 'offset':
      return { schema: int64(), value: record.kafkaOffset };
    case 'timestamp':
      return {
        schema: { ...int64(), optional: true },
        value: record.timestamp === undefined ? null : BigInt(record.timestamp),
      };
    case 'op':
      return { schema: string(), value: context.op };
    case 'ts_ms':
      return { schema: { ...int64(), optional: true }, value: context.tsMs };
  }
  const field = name.slice('source.'.length);
  const schema = context.sourceSchema?.fields?.find((candidate) => candidate.name === field)?.schema;
  const value = context.source?.[field] ?? null;
  return { schema: { ...(schema ?? inferredSchema(value)), optional: true }, value };
}

/** The value resolvePlaceholder gives, without building its schema. */
function placeholderValue(name: string, context: RecordContext): unknown {
  const { record } = context;
  switch (name) {
    case 'topic':
      return record.topic;
    case 'partition':
      return record.kafkaPartition;
    case 'offset':
      return record.kafkaOffset;
    case 'timestamp':
      return record.timestamp === undefined ? null : BigInt(record.timestamp);
    case 'op':
      return context.op;
    case 'ts_ms':
      return context.tsMs;
  }
  return context.source?.[name.slice('source.'.length)] ?? null;
}

function unchanged(text: string): string {
  return text;
}

function inferredSchema(value: unknown): Schema {
  if (typeof value === 'bigint') return int64();
  if (typeof value === 'number')
    return Number.isInteger(value) ? int64() : { type: 'float64', optional: true };
  if (typeof value === 'boolean') return { type: 'boolean', optional: true };
  return string();
}

/** A string with `${…}` placeholders, split once at parse time. */
export class Template {
  private constructor(private readonly parts: readonly ({ text: string } | { placeholder: string })[]) {}

  static parse(text: string): Template {
    const parts: ({ text: string } | { placeholder: string })[] = [];
    const pattern = /\$\{([^}]*)\}/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      const name = (match[1] ?? '').trim();
      const problem = placeholderProblem(name);
      if (problem) throw new Error(problem);
      if (match.index > last) parts.push({ text: text.slice(last, match.index) });
      parts.push({ placeholder: name });
      last = match.index + match[0].length;
    }
    if (last < text.length) parts.push({ text: text.slice(last) });
    if (text.includes('${') && parts.every((part) => 'text' in part))
      throw new Error(`unterminated placeholder in "${text}"`);
    return new Template(parts);
  }

  get placeholders(): string[] {
    return this.parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : []));
  }

  /** A lone placeholder keeps its type (`${source.ts_ms}` stays int64); anything else is a string. */
  resolve(context: RecordContext): TypedValue {
    const only = this.parts.length === 1 ? this.parts[0] : undefined;
    if (only && 'placeholder' in only) return resolvePlaceholder(only.placeholder, context);
    return { schema: string(), value: this.render(context) };
  }

  /** The text with each placeholder's value passed through `shape` (e.g. dots to underscores). */
  render(context: RecordContext, shape: (text: string) => string = unchanged): string {
    // Runs per record (table names): a plain loop, and only the placeholder's value.
    let text = '';
    for (const part of this.parts) {
      if ('text' in part) {
        text += part.text;
        continue;
      }
      const value = placeholderValue(part.placeholder, context);
      text += shape(value === null || value === undefined ? '' : String(value));
    }
    return text;
  }
}
