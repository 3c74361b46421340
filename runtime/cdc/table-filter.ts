import { ConfigError } from '../plugin/index.js';
import { matchesAny, parseRegexList } from './regex-list.js';

/**
 * Which tables and columns a connector captures, from Debezium's include/exclude lists.
 * Identifiers are fully qualified: `<schema>.<table>` and `<schema>.<table>.<column>`
 * for PostgreSQL, `<database>.<table>` and `<database>.<table>.<column>` for MySQL.
 * An include list and its exclude list are mutually exclusive, as in Debezium.
 */

export interface FilterLists {
  /** PostgreSQL's schema.* lists or MySQL's database.* lists, matched on the first name part. */
  readonly namespaceInclude: string | readonly string[] | null;
  readonly namespaceExclude: string | readonly string[] | null;
  /** Keys of the namespace lists, used in error messages (e.g. `schema.include.list`). */
  readonly namespaceKeys: readonly [include: string, exclude: string];
  readonly tableInclude: string | readonly string[] | null;
  readonly tableExclude: string | readonly string[] | null;
  readonly columnInclude: string | readonly string[] | null;
  readonly columnExclude: string | readonly string[] | null;
}

function bothSet(a: string | readonly string[] | null, b: string | readonly string[] | null): boolean {
  const set = (v: string | readonly string[] | null): boolean => v !== null && v.length > 0;
  return set(a) && set(b);
}

/** Error text when an include list and its exclude list are both set, or undefined. */
export function exclusiveListsError(
  includeKey: string,
  include: string | readonly string[] | null,
  excludeKey: string,
  exclude: string | readonly string[] | null,
): string | undefined {
  return bothSet(include, exclude)
    ? `${includeKey} and ${excludeKey} cannot be used together; keep one of them (use a negative pattern in the include list if you need both)`
    : undefined;
}

export class TableFilter {
  private readonly namespaceInclude: RegExp[];
  private readonly namespaceExclude: RegExp[];
  private readonly tableInclude: RegExp[];
  private readonly tableExclude: RegExp[];
  private readonly columnInclude: RegExp[];
  private readonly columnExclude: RegExp[];

  constructor(lists: FilterLists) {
    const [nsIncludeKey, nsExcludeKey] = lists.namespaceKeys;
    const problems: [string, string | undefined][] = [
      [
        nsIncludeKey,
        exclusiveListsError(nsIncludeKey, lists.namespaceInclude, nsExcludeKey, lists.namespaceExclude),
      ],
      [
        'table.include.list',
        exclusiveListsError(
          'table.include.list',
          lists.tableInclude,
          'table.exclude.list',
          lists.tableExclude,
        ),
      ],
      [
        'column.include.list',
        exclusiveListsError(
          'column.include.list',
          lists.columnInclude,
          'column.exclude.list',
          lists.columnExclude,
        ),
      ],
    ];
    const found = problems.filter((problem): problem is [string, string] => problem[1] !== undefined);
    if (found.length > 0) throw new ConfigError(found[0]![0], found.map(([, message]) => message).join('; '));
    this.namespaceInclude = parseRegexList(nsIncludeKey, lists.namespaceInclude);
    this.namespaceExclude = parseRegexList(nsExcludeKey, lists.namespaceExclude);
    this.tableInclude = parseRegexList('table.include.list', lists.tableInclude);
    this.tableExclude = parseRegexList('table.exclude.list', lists.tableExclude);
    this.columnInclude = parseRegexList('column.include.list', lists.columnInclude);
    this.columnExclude = parseRegexList('column.exclude.list', lists.columnExclude);
  }

  /** Whether the table `<namespace>.<table>` is captured. */
  includesTable(namespace: string, table: string): boolean {
    if (this.namespaceInclude.length > 0 && !matchesAny(this.namespaceInclude, namespace)) return false;
    if (matchesAny(this.namespaceExclude, namespace)) return false;
    const id = `${namespace}.${table}`;
    if (this.tableInclude.length > 0 && !matchesAny(this.tableInclude, id)) return false;
    return !matchesAny(this.tableExclude, id);
  }

  /** Whether column `<namespace>.<table>.<column>` is part of the events. */
  includesColumn(namespace: string, table: string, column: string): boolean {
    const id = `${namespace}.${table}.${column}`;
    if (this.columnInclude.length > 0 && !matchesAny(this.columnInclude, id)) return false;
    return !matchesAny(this.columnExclude, id);
  }
}
