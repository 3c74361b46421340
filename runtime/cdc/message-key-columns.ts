import { ConfigError } from '../plugin/index.js';
import { parseRegexList } from './regex-list.js';

/**
 * `message.key.columns`: `<table regex>:<column>,<column>;<table regex>:<column>` replaces
 * the primary key as the event key of matching tables (Debezium's syntax; the table part is
 * a regular expression over the fully qualified `<namespace>.<table>`).
 */
export class MessageKeyColumns {
  private constructor(private readonly rules: readonly { table: RegExp; columns: readonly string[] }[]) {}

  static parse(value: string | null): MessageKeyColumns {
    if (value === null || value.trim() === '') return new MessageKeyColumns([]);
    const rules = value
      .split(';')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0)
      .map((entry) => {
        const colon = entry.lastIndexOf(':');
        const columns =
          colon < 0
            ? []
            : entry
                .slice(colon + 1)
                .split(',')
                .map((c) => c.trim())
                .filter((c) => c.length > 0);
        if (colon <= 0 || columns.length === 0) {
          throw new ConfigError(
            'message.key.columns',
            `message.key.columns: "${entry}" is not of the form <schema>.<table>:<column>[,<column>...]; separate tables with ';'`,
          );
        }
        const [table] = parseRegexList('message.key.columns', [entry.slice(0, colon)]);
        if (table === undefined)
          throw new ConfigError(
            'message.key.columns',
            `message.key.columns: "${entry}" has an empty table name`,
          );
        return { table, columns };
      });
    return new MessageKeyColumns(rules);
  }

  /** The configured key columns for `<namespace>.<table>`, or undefined to use the primary key. */
  columnsFor(namespace: string, table: string): readonly string[] | undefined {
    const id = `${namespace}.${table}`;
    return this.rules.find((rule) => rule.table.test(id))?.columns;
  }
}
