import { TokenCursor, tokenize } from './sql-tokens.js';
import type { Token } from './sql-tokens.js';

/**
 * Parses the DDL statements that change a table's columns or key (CREATE / ALTER /
 * RENAME / DROP TABLE, CREATE / DROP DATABASE) into operations the TableCatalog
 * applies. Statements that change no table structure (GRANT, CREATE INDEX, views,
 * routines...) parse to nothing; table DDL this parser does not model (CREATE TABLE
 * ... SELECT, partition maintenance with column changes) parses to `unparsed`, and the
 * catalog then re-reads that table from information_schema.
 */
export interface TableRef {
  /** null: the statement's default database. */
  readonly db: string | null;
  readonly table: string;
}

export interface ColumnDefinition {
  readonly name: string;
  readonly columnType: string;
  readonly nullable: boolean;
  /** An explicit CHARACTER SET / COLLATE / BINARY on the column; null inherits the table's. */
  readonly charset: string | null;
  readonly json: boolean;
  readonly primaryKey: boolean;
  /** FIRST / AFTER in ALTER TABLE; null keeps the column where it is or appends it. */
  readonly position: ColumnPosition;
  /** A constant DEFAULT's text (TableColumn.defaultText). */
  readonly defaultText?: string;
}

export type ColumnPosition = { readonly first: true } | { readonly after: string } | null;

export type AlterAction =
  | { readonly kind: 'addColumn'; readonly column: ColumnDefinition }
  | { readonly kind: 'dropColumn'; readonly name: string }
  | { readonly kind: 'changeColumn'; readonly oldName: string; readonly column: ColumnDefinition }
  | { readonly kind: 'renameColumn'; readonly from: string; readonly to: string }
  | { readonly kind: 'renameTable'; readonly to: TableRef }
  | { readonly kind: 'addPrimaryKey'; readonly columns: readonly string[] }
  | { readonly kind: 'dropPrimaryKey' }
  | { readonly kind: 'jsonCheck'; readonly column: string }
  | { readonly kind: 'convertCharset'; readonly charset: string }
  | { readonly kind: 'defaultCharset'; readonly charset: string };

export type DdlOperation =
  | {
      readonly kind: 'createTable';
      readonly table: TableRef;
      readonly columns: readonly ColumnDefinition[];
      readonly primaryKey: readonly string[];
      readonly jsonChecks: readonly string[];
      readonly defaultCharset: string | null;
      readonly orReplace: boolean;
    }
  | { readonly kind: 'createTableLike'; readonly table: TableRef; readonly source: TableRef }
  | { readonly kind: 'alterTable'; readonly table: TableRef; readonly actions: readonly AlterAction[] }
  | { readonly kind: 'renameTable'; readonly from: TableRef; readonly to: TableRef }
  | { readonly kind: 'dropTable'; readonly table: TableRef }
  | { readonly kind: 'truncateTable'; readonly table: TableRef }
  | { readonly kind: 'createDatabase'; readonly db: string; readonly charset: string | null }
  | { readonly kind: 'alterDatabase'; readonly db: string | null; readonly charset: string }
  | { readonly kind: 'dropDatabase'; readonly db: string }
  | { readonly kind: 'unparsed'; readonly table: TableRef };

export function parseDdl(sql: string): DdlOperation[] {
  const cursor = new TokenCursor(tokenize(sql));
  if (cursor.accept('CREATE')) return parseCreate(cursor);
  if (cursor.accept('ALTER')) return parseAlter(cursor);
  if (cursor.accept('RENAME', 'TABLE') || cursor.accept('RENAME', 'TABLES')) return parseRename(cursor);
  if (cursor.accept('DROP')) return parseDrop(cursor);
  if (cursor.accept('TRUNCATE')) {
    cursor.accept('TABLE');
    const table = tableRef(cursor);
    return table ? [{ kind: 'truncateTable', table }] : [];
  }
  return [];
}

/** True when a query event's statement is DDL (kept in the schema history). */
export function isDdlStatement(sql: string): boolean {
  const first = tokenize(sql.slice(0, 200))[0];
  return (
    first?.kind === 'word' &&
    ['CREATE', 'ALTER', 'DROP', 'RENAME', 'TRUNCATE'].includes(first.text.toUpperCase())
  );
}

function parseCreate(cursor: TokenCursor): DdlOperation[] {
  const orReplace = cursor.accept('OR', 'REPLACE');
  if (cursor.accept('DATABASE') || cursor.accept('SCHEMA')) {
    cursor.accept('IF', 'NOT', 'EXISTS');
    const db = cursor.identifier();
    if (db === undefined) return [];
    return [{ kind: 'createDatabase', db, charset: databaseCharset(cursor) }];
  }
  if (cursor.accept('TEMPORARY')) return []; // session-local, never row-logged
  if (!cursor.accept('TABLE')) return [];
  cursor.accept('IF', 'NOT', 'EXISTS');
  const table = tableRef(cursor);
  if (!table) return [];
  if (cursor.accept('LIKE')) {
    const source = tableRef(cursor);
    return source ? [{ kind: 'createTableLike', table, source }] : [{ kind: 'unparsed', table }];
  }
  if (cursor.isPunct('(') && cursor.peek(1)?.text.toUpperCase() === 'LIKE') {
    const inner = new TokenCursor(cursor.group());
    inner.accept('LIKE');
    const source = tableRef(inner);
    return source ? [{ kind: 'createTableLike', table, source }] : [{ kind: 'unparsed', table }];
  }
  if (!cursor.isPunct('(')) return [{ kind: 'unparsed', table }];
  const body = new TokenCursor(cursor.group());
  const columns: ColumnDefinition[] = [];
  let primaryKey: string[] = [];
  const jsonChecks: string[] = [];
  while (!body.done) {
    const element = parseTableElement(body);
    if (element?.kind === 'column') columns.push(element.column);
    if (element?.kind === 'primaryKey') primaryKey = element.columns;
    if (element?.kind === 'jsonCheck') jsonChecks.push(element.column);
    body.skipToSeparator();
    body.acceptPunct(',');
  }
  const defaultCharset = tableOptionsCharset(cursor);
  // CREATE TABLE ... SELECT adds columns from the query.
  if (
    !cursor.done &&
    /^(SELECT|AS|IGNORE|REPLACE)$/i.test(cursor.peek()?.text ?? '') &&
    !cursor.isPunct(';')
  ) {
    return [{ kind: 'unparsed', table }];
  }
  const columnKey = columns.filter((column) => column.primaryKey).map((column) => column.name);
  return [
    {
      kind: 'createTable',
      table,
      columns,
      primaryKey: primaryKey.length > 0 ? primaryKey : columnKey,
      jsonChecks,
      defaultCharset,
      orReplace,
    },
  ];
}

type TableElement =
  | { kind: 'column'; column: ColumnDefinition }
  | { kind: 'primaryKey'; columns: string[] }
  | { kind: 'jsonCheck'; column: string }
  | null;

/** One element of a CREATE TABLE body or an ALTER TABLE ADD. */
function parseTableElement(cursor: TokenCursor): TableElement {
  if (cursor.accept('CONSTRAINT')) {
    if (!/^(PRIMARY|CHECK|UNIQUE|FOREIGN)$/i.test(cursor.peek()?.text ?? '')) cursor.identifier();
  }
  if (cursor.accept('PRIMARY', 'KEY')) {
    skipIndexName(cursor);
    return { kind: 'primaryKey', columns: keyColumns(cursor.group()) };
  }
  if (cursor.accept('CHECK')) {
    const column = jsonValidColumn(cursor.group());
    return column ? { kind: 'jsonCheck', column } : null;
  }
  const word = cursor.peek();
  if (
    word?.kind === 'word' &&
    /^(KEY|INDEX|UNIQUE|FULLTEXT|SPATIAL|FOREIGN|PERIOD|SYSTEM)$/i.test(word.text) &&
    !isColumnStart(cursor)
  ) {
    return null;
  }
  const column = parseColumnDefinition(cursor);
  return column ? { kind: 'column', column } : null;
}

/** `KEY` etc. can also be a column's name when followed by a type. */
function isColumnStart(cursor: TokenCursor): boolean {
  const next = cursor.peek(1);
  return next?.kind === 'word' && TYPE_ALIASES.has(next.text.toLowerCase());
}

function skipIndexName(cursor: TokenCursor): void {
  while (!cursor.done && !cursor.isPunct('(')) cursor.next();
}

function keyColumns(tokens: Token[]): string[] {
  const inner = new TokenCursor(tokens);
  const columns: string[] = [];
  while (!inner.done) {
    const name = inner.identifier();
    if (name !== undefined) columns.push(name);
    inner.skipToSeparator();
    inner.acceptPunct(',');
  }
  return columns;
}

/** `json_valid(`col`)` in a CHECK: MariaDB's spelling of a JSON column. */
function jsonValidColumn(tokens: Token[]): string | undefined {
  const first = tokens[0];
  if (first?.kind !== 'word' || first.text.toLowerCase() !== 'json_valid') return undefined;
  const name = tokens[2];
  return name && (name.kind === 'word' || name.kind === 'quoted') ? name.text : undefined;
}

/** Type names the parser knows, with the base type information_schema shows for them. */
const TYPE_ALIASES = new Map<string, string>([
  ...[
    'tinyint',
    'smallint',
    'mediumint',
    'int',
    'bigint',
    'decimal',
    'float',
    'double',
    'bit',
    'date',
    'time',
    'datetime',
    'timestamp',
    'year',
    'char',
    'varchar',
    'binary',
    'varbinary',
    'tinyblob',
    'blob',
    'mediumblob',
    'longblob',
    'tinytext',
    'text',
    'mediumtext',
    'longtext',
    'enum',
    'set',
    'geometry',
    'point',
    'linestring',
    'polygon',
    'multipoint',
    'multilinestring',
    'multipolygon',
    'geometrycollection',
    'uuid',
    'inet4',
    'inet6',
  ].map((name): [string, string] => [name, name]),
  ['integer', 'int'],
  ['int1', 'tinyint'],
  ['int2', 'smallint'],
  ['int3', 'mediumint'],
  ['middleint', 'mediumint'],
  ['int4', 'int'],
  ['int8', 'bigint'],
  ['bool', 'tinyint'],
  ['boolean', 'tinyint'],
  ['dec', 'decimal'],
  ['numeric', 'decimal'],
  ['fixed', 'decimal'],
  ['real', 'double'],
  ['float4', 'float'],
  ['float8', 'double'],
  ['character', 'char'],
  ['nchar', 'char'],
  ['nvarchar', 'varchar'],
  ['national', 'char'],
  ['long', 'mediumtext'],
  ['json', 'longtext'],
  ['serial', 'bigint'],
]);

const DEFAULT_ARGUMENTS: Readonly<Record<string, string>> = {
  decimal: '(10,0)',
  char: '(1)',
  binary: '(1)',
  bit: '(1)',
  year: '(4)',
};

export function parseColumnDefinition(cursor: TokenCursor): ColumnDefinition | undefined {
  const name = cursor.identifier();
  const typeToken = cursor.next();
  if (name === undefined || typeToken?.kind !== 'word') return undefined;
  const spelled = typeToken.text.toLowerCase();
  let base = TYPE_ALIASES.get(spelled);
  if (base === undefined) return undefined;
  let charset: string | null = null;
  if (spelled === 'national') {
    base =
      cursor.accept('VARCHAR') || cursor.accept('CHAR', 'VARYING') || cursor.accept('CHARACTER', 'VARYING')
        ? 'varchar'
        : 'char';
    if (base === 'char' && !cursor.accept('CHAR')) cursor.accept('CHARACTER');
    charset = 'utf8mb3';
  } else if (spelled === 'nchar' || spelled === 'nvarchar') {
    if (cursor.accept('VARYING')) base = 'varchar';
    charset = 'utf8mb3';
  } else if (spelled === 'double') {
    cursor.accept('PRECISION');
  } else if ((spelled === 'char' || spelled === 'character') && cursor.accept('VARYING')) {
    base = 'varchar';
  } else if (spelled === 'long') {
    if (cursor.accept('VARBINARY')) base = 'mediumblob';
    else if (!cursor.accept('VARCHAR')) cursor.accept('CHAR', 'VARYING');
  }
  let args = '';
  if (cursor.isPunct('(')) args = renderArguments(cursor.group());
  if (spelled === 'bool' || spelled === 'boolean') args = '(1)';
  if (args === '') args = DEFAULT_ARGUMENTS[base] ?? '';
  let unsigned = spelled === 'serial';
  let zerofill = false;
  let nullable = spelled !== 'serial';
  let json = spelled === 'json';
  let primaryKey = false;
  let position: ColumnPosition = null;
  let defaultText: string | undefined;
  while (!cursor.done && !cursor.isPunct(',') && !cursor.isPunct(')')) {
    if (cursor.accept('UNSIGNED')) unsigned = true;
    else if (cursor.accept('SIGNED')) unsigned = false;
    else if (cursor.accept('ZEROFILL')) {
      zerofill = true;
      unsigned = true;
    } else if (cursor.accept('NOT', 'NULL')) nullable = false;
    else if (cursor.accept('NULL')) nullable = true;
    else if (cursor.accept('CHARACTER', 'SET') || cursor.accept('CHARSET')) {
      charset = (cursor.identifier() ?? '').toLowerCase();
    } else if (cursor.accept('COLLATE')) {
      const collation = (cursor.identifier() ?? '').toLowerCase();
      charset ??= collation.split('_')[0] ?? null;
    } else if (cursor.accept('FIRST')) position = { first: true };
    else if (cursor.accept('AFTER')) position = { after: cursor.identifier() ?? '' };
    else if (cursor.accept('ASCII')) charset = 'latin1';
    else if (cursor.accept('UNICODE')) charset = 'ucs2';
    else if (cursor.accept('BYTE')) base = base === 'varchar' ? 'varbinary' : 'binary';
    else if (cursor.accept('PRIMARY', 'KEY') || cursor.accept('KEY')) {
      primaryKey = true;
      nullable = false;
    } else if (cursor.accept('CHECK')) {
      if (jsonValidColumn(cursor.group()) === name) json = true;
    } else if (cursor.accept('DEFAULT')) {
      defaultText = constantDefault(cursor);
    } else if (cursor.accept('COMMENT') || cursor.accept('ON', 'UPDATE')) {
      skipExpression(cursor);
    } else if (cursor.accept('GENERATED', 'ALWAYS', 'AS') || cursor.accept('AS')) {
      cursor.group();
    } else if (cursor.accept('REFERENCES')) {
      tableRef(cursor);
      cursor.group();
    } else {
      // AUTO_INCREMENT, UNIQUE, VIRTUAL, PERSISTENT, INVISIBLE, COMPRESSED, BINARY...
      cursor.next();
    }
  }
  const columnType = `${base}${args}${unsigned && isNumeric(base) ? ' unsigned' : ''}${zerofill ? ' zerofill' : ''}`;
  const textual = ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set'].includes(
    base,
  );
  return {
    name,
    columnType,
    nullable,
    charset: textual ? charset : null,
    json,
    primaryKey,
    position,
    ...(defaultText === undefined ? {} : { defaultText }),
  };
}

function isNumeric(base: string): boolean {
  return ['tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'decimal', 'float', 'double'].includes(base);
}

/** `(10, 2)` → `(10,2)`; `('a','b')` → `('a','b')` as information_schema writes them. */
function renderArguments(tokens: Token[]): string {
  const parts = tokens.map((token) => {
    if (token.kind === 'string') return `'${token.text.replaceAll("'", "''")}'`;
    return token.text;
  });
  return `(${parts.join('')})`;
}

/** A DEFAULT that is a constant — a string or a (signed) number — as text; anything else is skipped. */
function constantDefault(cursor: TokenCursor): string | undefined {
  const first = cursor.peek();
  const second = cursor.peek(1);
  const ends = (token: Token | undefined) =>
    token === undefined || token.kind !== 'punct' || token.text === ',' || token.text === ')';
  if (first?.kind === 'string' && ends(second)) {
    cursor.next();
    return first.text;
  }
  if (first?.kind === 'number' && ends(second)) {
    cursor.next();
    return first.text;
  }
  if (first?.kind === 'punct' && first.text === '-' && second?.kind === 'number' && ends(cursor.peek(2))) {
    cursor.next();
    cursor.next();
    return `-${second.text}`;
  }
  skipExpression(cursor);
  return undefined;
}

/** Skips a DEFAULT / COMMENT / ON UPDATE value: a literal, a word, or a parenthesised expression. */
function skipExpression(cursor: TokenCursor): void {
  if (cursor.isPunct('(')) {
    cursor.group();
    return;
  }
  if (cursor.isPunct('-') || cursor.isPunct('+')) cursor.next();
  cursor.next();
  // A function call such as CURRENT_TIMESTAMP(6) or a charset introducer (_utf8mb4'x').
  if (cursor.isPunct('(')) cursor.group();
  if (cursor.peek()?.kind === 'string') cursor.next();
}

function tableRef(cursor: TokenCursor): TableRef | undefined {
  const first = cursor.identifier();
  if (first === undefined) return undefined;
  if (cursor.acceptPunct('.')) {
    const table = cursor.identifier();
    return table === undefined ? undefined : { db: first, table };
  }
  return { db: null, table: first };
}

/** The character set named by table options (`DEFAULT CHARSET=x`, `COLLATE=y`). */
function tableOptionsCharset(cursor: TokenCursor): string | null {
  let charset: string | null = null;
  while (!cursor.done) {
    if (cursor.accept('CHARACTER', 'SET') || cursor.accept('CHARSET')) {
      cursor.acceptPunct('=');
      charset = (cursor.identifier() ?? '').toLowerCase();
    } else if (cursor.accept('COLLATE')) {
      cursor.acceptPunct('=');
      const collation = (cursor.identifier() ?? '').toLowerCase();
      charset ??= collation.split('_')[0] ?? null;
    } else if (/^(SELECT|AS|IGNORE|REPLACE)$/i.test(cursor.peek()?.text ?? '')) {
      return charset;
    } else {
      cursor.next();
    }
  }
  return charset;
}

function databaseCharset(cursor: TokenCursor): string | null {
  return tableOptionsCharset(cursor);
}

function parseAlter(cursor: TokenCursor): DdlOperation[] {
  cursor.accept('ONLINE');
  cursor.accept('IGNORE');
  if (cursor.accept('DATABASE') || cursor.accept('SCHEMA')) {
    const next = cursor.peek();
    const db =
      next && next.kind !== 'punct' && !/^(DEFAULT|CHARACTER|CHARSET|COLLATE)$/i.test(next.text)
        ? (cursor.identifier() ?? null)
        : null;
    const charset = tableOptionsCharset(cursor);
    return charset ? [{ kind: 'alterDatabase', db, charset }] : [];
  }
  if (!cursor.accept('TABLE')) return [];
  cursor.accept('IF', 'EXISTS');
  const table = tableRef(cursor);
  if (!table) return [];
  const actions: AlterAction[] = [];
  let unparsed = false;
  while (!cursor.done) {
    const action = parseAlterSpecification(cursor);
    if (action === 'unparsed') unparsed = true;
    else if (action) actions.push(...(Array.isArray(action) ? action : [action]));
    cursor.skipToSeparator();
    if (!cursor.acceptPunct(',')) break;
  }
  return unparsed ? [{ kind: 'unparsed', table }] : [{ kind: 'alterTable', table, actions }];
}

function parseAlterSpecification(cursor: TokenCursor): AlterAction | AlterAction[] | 'unparsed' | null {
  if (cursor.accept('ADD')) {
    const columnKeyword = cursor.accept('COLUMN');
    cursor.accept('IF', 'NOT', 'EXISTS');
    if (columnKeyword && cursor.isPunct('(')) {
      const inner = new TokenCursor(cursor.group());
      const added: AlterAction[] = [];
      while (!inner.done) {
        const column = parseColumnDefinition(inner);
        if (!column) return 'unparsed';
        added.push({ kind: 'addColumn', column });
        inner.skipToSeparator();
        inner.acceptPunct(',');
      }
      return added;
    }
    if (!columnKeyword) {
      const element = parseTableElement(cursor);
      if (element === null) return null;
      if (element.kind === 'primaryKey') return { kind: 'addPrimaryKey', columns: element.columns };
      if (element.kind === 'jsonCheck') return { kind: 'jsonCheck', column: element.column };
      return withPrimaryKey({ kind: 'addColumn', column: element.column });
    }
    const column = parseColumnDefinition(cursor);
    return column ? withPrimaryKey({ kind: 'addColumn', column }) : 'unparsed';
  }
  if (cursor.accept('DROP')) {
    if (cursor.accept('PRIMARY', 'KEY')) return { kind: 'dropPrimaryKey' };
    if (/^(INDEX|KEY|FOREIGN|CONSTRAINT|CHECK|PARTITION|PERIOD|SYSTEM)$/i.test(cursor.peek()?.text ?? ''))
      return null;
    cursor.accept('COLUMN');
    cursor.accept('IF', 'EXISTS');
    const name = cursor.identifier();
    return name === undefined ? 'unparsed' : { kind: 'dropColumn', name };
  }
  if (cursor.accept('MODIFY')) {
    cursor.accept('COLUMN');
    cursor.accept('IF', 'EXISTS');
    const column = parseColumnDefinition(cursor);
    if (!column) return 'unparsed';
    return withPrimaryKey({ kind: 'changeColumn', oldName: column.name, column });
  }
  if (cursor.accept('CHANGE')) {
    cursor.accept('COLUMN');
    cursor.accept('IF', 'EXISTS');
    const oldName = cursor.identifier();
    const column = parseColumnDefinition(cursor);
    if (oldName === undefined || !column) return 'unparsed';
    return withPrimaryKey({ kind: 'changeColumn', oldName, column });
  }
  if (cursor.accept('RENAME', 'COLUMN')) {
    cursor.accept('IF', 'EXISTS');
    const from = cursor.identifier();
    cursor.accept('TO');
    const to = cursor.identifier();
    return from === undefined || to === undefined ? 'unparsed' : { kind: 'renameColumn', from, to };
  }
  if (cursor.accept('RENAME', 'INDEX') || cursor.accept('RENAME', 'KEY')) return null;
  if (cursor.accept('RENAME')) {
    if (!cursor.accept('TO')) cursor.accept('AS');
    const to = tableRef(cursor);
    return to ? { kind: 'renameTable', to } : 'unparsed';
  }
  if (cursor.accept('CONVERT', 'TO', 'CHARACTER', 'SET') || cursor.accept('CONVERT', 'TO', 'CHARSET')) {
    return { kind: 'convertCharset', charset: (cursor.identifier() ?? '').toLowerCase() };
  }
  if (/^(DEFAULT|CHARACTER|CHARSET|COLLATE)$/i.test(cursor.peek()?.text ?? '')) {
    const charset = tableOptionsCharset(new TokenCursor(takeUntilComma(cursor)));
    return charset ? { kind: 'defaultCharset', charset } : null;
  }
  // ALTER COLUMN ... SET DEFAULT, ENGINE=, ALGORITHM=, LOCK=, FORCE, indexes, partitions:
  // no change to columns or the primary key.
  return null;
}

function takeUntilComma(cursor: TokenCursor): Token[] {
  const tokens: Token[] = [];
  while (!cursor.done && !cursor.isPunct(',')) tokens.push(cursor.next()!);
  return tokens;
}

/** A column declared PRIMARY KEY inline makes the table's key that column. */
function withPrimaryKey(action: AlterAction): AlterAction | AlterAction[] {
  if ((action.kind === 'addColumn' || action.kind === 'changeColumn') && action.column.primaryKey) {
    return [action, { kind: 'addPrimaryKey', columns: [action.column.name] }];
  }
  return action;
}

function parseRename(cursor: TokenCursor): DdlOperation[] {
  const operations: DdlOperation[] = [];
  do {
    const from = tableRef(cursor);
    if (!cursor.accept('TO')) return operations;
    const to = tableRef(cursor);
    if (!from || !to) return operations;
    operations.push({ kind: 'renameTable', from, to });
  } while (cursor.acceptPunct(','));
  return operations;
}

function parseDrop(cursor: TokenCursor): DdlOperation[] {
  if (cursor.accept('DATABASE') || cursor.accept('SCHEMA')) {
    cursor.accept('IF', 'EXISTS');
    const db = cursor.identifier();
    return db === undefined ? [] : [{ kind: 'dropDatabase', db }];
  }
  if (cursor.accept('TEMPORARY')) return [];
  if (!cursor.accept('TABLE') && !cursor.accept('TABLES')) return [];
  cursor.accept('IF', 'EXISTS');
  const operations: DdlOperation[] = [];
  do {
    const table = tableRef(cursor);
    if (table) operations.push({ kind: 'dropTable', table });
  } while (cursor.acceptPunct(','));
  return operations;
}
