import { DataError } from '../../runtime/plugin/index.js';
import { Template, type RecordContext } from './record-context.js';

/** A target table: optional schema (PostgreSQL schema, MySQL database) and name. */
export interface TableRef {
  readonly schema: string | null;
  readonly name: string;
}

/** Keys of the TableRefs seen: the changes of a batch share one TableRef per table. */
const tableKeys = new WeakMap<TableRef, string>();

export function tableKey(table: TableRef): string {
  let key = tableKeys.get(table);
  if (key === undefined) {
    key = JSON.stringify([table.schema, table.name]);
    tableKeys.set(table, key);
  }
  return key;
}

export function describeTable(table: TableRef): string {
  return table.schema === null ? table.name : `${table.schema}.${table.name}`;
}

/**
 * `table.name.format` (and a mapping rule's `table`): placeholders are replaced with
 * dots turned into underscores, so `${topic}` = `srv.public.orders` gives `srv_public_orders`
 * (Debezium's default naming); a literal dot separates schema and table.
 */
export class TableNameFormat {
  private constructor(
    private readonly schema: Template | null,
    private readonly name: Template,
  ) {}

  static parse(format: string): TableNameFormat {
    const text = format.trim();
    if (text === '')
      throw new Error('table name format is empty; use e.g. ${topic} or archive.${source.table}');
    const literalDots = splitOutsidePlaceholders(text);
    if (literalDots.length > 2)
      throw new Error(`"${format}" has more than one literal dot; write schema.table at most`);
    const [first = '', second] = literalDots;
    return second === undefined
      ? new TableNameFormat(null, Template.parse(first))
      : new TableNameFormat(Template.parse(first), Template.parse(second));
  }

  resolve(context: RecordContext): TableRef {
    const name = this.name.render(context, underscored);
    const schema = this.schema?.render(context, underscored) ?? null;
    if (name === '' || schema === '') {
      throw new DataError(
        `the table name resolved to "${schema === null ? name : `${schema}.${name}`}" for topic ${context.record.topic}; a placeholder had no value`,
      );
    }
    return { schema, name };
  }
}

export function parseTableNameFormat(format: string): TableNameFormat {
  return TableNameFormat.parse(format);
}

function underscored(text: string): string {
  return text.replaceAll('.', '_');
}

function splitOutsidePlaceholders(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '$' && text[i + 1] === '{') depth++;
    if (char === '}' && depth > 0) depth--;
    if (char === '.' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}
