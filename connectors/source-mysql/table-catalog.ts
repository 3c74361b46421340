import { parseDdl } from './ddl-parser.js';
import type { ColumnDefinition, DdlOperation, TableRef } from './ddl-parser.js';
import { tableKey } from './table-structure.js';
import type { TableColumn, TableStructure } from './table-structure.js';

/** What one DDL statement did to the catalog. */
export interface DdlOutcome {
  /** Tables created or altered, with their new structure. */
  readonly changed: readonly TableStructure[];
  /** Tables dropped, or renamed away (their new name is in `changed`). */
  readonly removed: readonly { readonly db: string; readonly table: string }[];
  /** Tables the statement changed in a way the parser does not model: re-read them from the server. */
  readonly unparsed: readonly { readonly db: string; readonly table: string }[];
  /** Captured tables the statement emptied (TRUNCATE). */
  readonly truncated: readonly { readonly db: string; readonly table: string }[];
  /** Captured tables the statement created (CREATE TABLE, CREATE TABLE … LIKE): every row they get is in the binlog after it. */
  readonly created: readonly { readonly db: string; readonly table: string }[];
}

/**
 * The structure of every captured table at the binlog position being read: seeded from
 * information_schema (snapshot) or the schema history (restart), then moved forward by
 * the DDL in the binlog, so that rows written before an ALTER decode with the columns
 * they were written with.
 */
export class TableCatalog {
  private readonly tables = new Map<string, TableStructure>();
  private readonly databaseCharsets = new Map<string, string>();

  constructor(private readonly serverCharset: string) {}

  get(db: string, table: string): TableStructure | undefined {
    return this.tables.get(tableKey(db, table));
  }

  all(): TableStructure[] {
    return [...this.tables.values()];
  }

  put(schema: TableStructure): void {
    this.tables.set(tableKey(schema.db, schema.table), schema);
  }

  remove(db: string, table: string): void {
    this.tables.delete(tableKey(db, table));
  }

  setDatabaseCharset(db: string, charset: string): void {
    this.databaseCharsets.set(db, charset);
  }

  databaseCharset(db: string): string {
    return this.databaseCharsets.get(db) ?? this.serverCharset;
  }

  /**
   * Applies one DDL statement executed with `defaultDb` as the current database.
   * `isCaptured` limits the catalog to the tables the connector captures.
   */
  applyDdl(sql: string, defaultDb: string, isCaptured: (db: string, table: string) => boolean): DdlOutcome {
    const changed: TableStructure[] = [];
    const removed: { db: string; table: string }[] = [];
    const unparsed: { db: string; table: string }[] = [];
    const truncated: { db: string; table: string }[] = [];
    const created: { db: string; table: string }[] = [];
    const resolve = (ref: TableRef) => ({ db: ref.db ?? defaultDb, table: ref.table });
    for (const operation of parseDdl(sql)) {
      if (operation.kind === 'truncateTable') {
        const ref = resolve(operation.table);
        if (isCaptured(ref.db, ref.table)) truncated.push(ref);
        continue;
      }
      this.applyOperation(operation, resolve, isCaptured, { changed, removed, unparsed });
      if (operation.kind === 'createTable' || operation.kind === 'createTableLike') {
        const ref = resolve(operation.table);
        if (this.get(ref.db, ref.table) !== undefined) created.push(ref);
      }
    }
    return { changed, removed, unparsed, truncated, created };
  }

  private applyOperation(
    operation: Exclude<DdlOperation, { kind: 'truncateTable' }>,
    resolve: (ref: TableRef) => { db: string; table: string },
    isCaptured: (db: string, table: string) => boolean,
    outcome: {
      changed: TableStructure[];
      removed: { db: string; table: string }[];
      unparsed: { db: string; table: string }[];
    },
  ): void {
    switch (operation.kind) {
      case 'createDatabase':
        this.databaseCharsets.set(operation.db, operation.charset ?? this.serverCharset);
        return;
      case 'alterDatabase':
        if (operation.db !== null) this.databaseCharsets.set(operation.db, operation.charset);
        return;
      case 'dropDatabase':
        this.databaseCharsets.delete(operation.db);
        for (const schema of this.all().filter((table) => table.db === operation.db)) {
          this.remove(schema.db, schema.table);
          outcome.removed.push({ db: schema.db, table: schema.table });
        }
        return;
      case 'unparsed': {
        const ref = resolve(operation.table);
        if (isCaptured(ref.db, ref.table)) outcome.unparsed.push(ref);
        return;
      }
      case 'dropTable': {
        const ref = resolve(operation.table);
        if (this.get(ref.db, ref.table)) {
          this.remove(ref.db, ref.table);
          outcome.removed.push(ref);
        }
        return;
      }
      case 'renameTable':
        this.rename(resolve(operation.from), resolve(operation.to), isCaptured, outcome);
        return;
      case 'createTable': {
        const ref = resolve(operation.table);
        if (!isCaptured(ref.db, ref.table)) return;
        const defaultCharset = operation.defaultCharset ?? this.databaseCharset(ref.db);
        const jsonColumns = new Set(operation.jsonChecks);
        const schema: TableStructure = {
          ...ref,
          columns: operation.columns.map((definition) =>
            toColumn(definition, defaultCharset, jsonColumns.has(definition.name)),
          ),
          primaryKey: operation.primaryKey,
          defaultCharset,
        };
        this.put(schema);
        outcome.changed.push(schema);
        return;
      }
      case 'createTableLike': {
        const ref = resolve(operation.table);
        const sourceRef = resolve(operation.source);
        const source = this.get(sourceRef.db, sourceRef.table);
        if (!isCaptured(ref.db, ref.table)) return;
        if (!source) {
          outcome.unparsed.push(ref);
          return;
        }
        const schema = { ...source, ...ref };
        this.put(schema);
        outcome.changed.push(schema);
        return;
      }
      case 'alterTable': {
        const ref = resolve(operation.table);
        let schema = this.get(ref.db, ref.table);
        if (!schema) {
          if (isCaptured(ref.db, ref.table)) outcome.unparsed.push(ref);
          return;
        }
        for (const action of operation.actions) {
          if (action.kind === 'renameTable') {
            const to = resolve(action.to);
            this.remove(schema.db, schema.table);
            outcome.removed.push({ db: schema.db, table: schema.table });
            schema = { ...schema, ...to };
          } else {
            schema = alterTable(schema, action);
          }
        }
        if (isCaptured(schema.db, schema.table)) {
          this.put(schema);
          outcome.changed.push(schema);
        }
        return;
      }
    }
  }

  private rename(
    from: { db: string; table: string },
    to: { db: string; table: string },
    isCaptured: (db: string, table: string) => boolean,
    outcome: {
      changed: TableStructure[];
      removed: { db: string; table: string }[];
      unparsed: { db: string; table: string }[];
    },
  ): void {
    const schema = this.get(from.db, from.table);
    if (schema) {
      this.remove(from.db, from.table);
      outcome.removed.push(from);
    }
    if (!isCaptured(to.db, to.table)) return;
    if (!schema) {
      // A table renamed into the captured set from one the catalog does not know.
      outcome.unparsed.push(to);
      return;
    }
    const renamed = { ...schema, ...to };
    this.put(renamed);
    outcome.changed.push(renamed);
  }
}

function toColumn(
  definition: ColumnDefinition,
  tableCharset: string | null,
  jsonCheck: boolean,
): TableColumn {
  const textual =
    definition.charset !== null ||
    /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b/.test(definition.columnType);
  return {
    name: definition.name,
    columnType: definition.columnType,
    nullable: definition.nullable,
    charset: textual ? (definition.charset ?? tableCharset) : null,
    json: definition.json || jsonCheck,
    ...(definition.defaultText === undefined ? {} : { defaultText: definition.defaultText }),
  };
}

type AlterAction = Extract<DdlOperation, { kind: 'alterTable' }>['actions'][number];

function alterTable(schema: TableStructure, action: AlterAction): TableStructure {
  const columns = [...schema.columns];
  const indexOf = (name: string) =>
    columns.findIndex((column) => column.name.toLowerCase() === name.toLowerCase());
  switch (action.kind) {
    case 'addColumn': {
      const column = toColumn(action.column, schema.defaultCharset, false);
      place(columns, column, action.column.position, indexOf);
      return { ...schema, columns };
    }
    case 'dropColumn': {
      const index = indexOf(action.name);
      if (index < 0) return schema;
      columns.splice(index, 1);
      return {
        ...schema,
        columns,
        primaryKey: schema.primaryKey.filter((name) => name.toLowerCase() !== action.name.toLowerCase()),
      };
    }
    case 'changeColumn': {
      const index = indexOf(action.oldName);
      if (index < 0) return schema;
      const previous = columns[index]!;
      const column = toColumn(action.column, schema.defaultCharset, previous.json);
      if (action.column.position) {
        columns.splice(index, 1);
        place(columns, column, action.column.position, indexOf);
      } else {
        columns[index] = column;
      }
      return { ...schema, columns, primaryKey: renameKey(schema.primaryKey, action.oldName, column.name) };
    }
    case 'renameColumn': {
      const index = indexOf(action.from);
      if (index < 0) return schema;
      columns[index] = { ...columns[index]!, name: action.to };
      return { ...schema, columns, primaryKey: renameKey(schema.primaryKey, action.from, action.to) };
    }
    case 'addPrimaryKey':
      return {
        ...schema,
        primaryKey: action.columns,
        columns: columns.map((column) =>
          action.columns.some((name) => name.toLowerCase() === column.name.toLowerCase())
            ? { ...column, nullable: false }
            : column,
        ),
      };
    case 'dropPrimaryKey':
      return { ...schema, primaryKey: [] };
    case 'jsonCheck': {
      const index = indexOf(action.column);
      if (index >= 0) columns[index] = { ...columns[index]!, json: true };
      return { ...schema, columns };
    }
    case 'convertCharset':
      return {
        ...schema,
        defaultCharset: action.charset,
        columns: columns.map((column) =>
          column.charset !== null ? { ...column, charset: action.charset } : column,
        ),
      };
    case 'defaultCharset':
      return { ...schema, defaultCharset: action.charset };
    case 'renameTable':
      return schema; // handled by the caller, which knows the default database
  }
}

function place(
  columns: TableColumn[],
  column: TableColumn,
  position: { first: true } | { after: string } | null,
  indexOf: (name: string) => number,
): void {
  if (position && 'first' in position) columns.unshift(column);
  else if (position && 'after' in position) columns.splice(indexOf(position.after) + 1, 0, column);
  else columns.push(column);
}

function renameKey(primaryKey: readonly string[], from: string, to: string): string[] {
  return primaryKey.map((name) => (name.toLowerCase() === from.toLowerCase() ? to : name));
}
