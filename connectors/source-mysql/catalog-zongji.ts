import ZongJi from '@vlasky/zongji';
import type { ColumnSchema, TableMapEvent, ZongJiDsn } from '@vlasky/zongji';
import { SiphonError } from '../../runtime/plugin/index.js';
import type { TableColumn } from './table-structure.js';

export interface CatalogHooks {
  /** True when rows of `db.table` are not captured (zongji then skips them unparsed). */
  skip(db: string, table: string): boolean;
  /**
   * The columns of `db.table` valid at the current binlog position for a TableMap with
   * `columnCount` columns, or undefined when the catalog does not know them.
   */
  columnsFor(db: string, table: string, columnCount: number): readonly TableColumn[] | undefined;
}

/**
 * A TableMap of a table the catalog does not know (or knows with another column count).
 * The stream stops: the reader loads the structure and reads again from its last position.
 */
export class UnknownTableError extends SiphonError {
  override readonly name: string = 'UnknownTableError';

  constructor(
    readonly db: string,
    readonly table: string,
    readonly columnCount: number,
  ) {
    super(`no structure of ${db}.${table} with ${columnCount} columns at this binlog position`, false);
  }
}

/**
 * zongji decoding rows with the connector's TableCatalog instead of information_schema.
 * zongji looks up column metadata through its `_fetchTableInfo` and filters tables
 * through `_skipSchema` (internal methods of @vlasky/zongji 0.9, index.js); overriding
 * them makes rows decode with the structure valid at their binlog position (the schema
 * history), not the table's current one, and applies Debezium's regex include lists.
 * The lookup answers synchronously: zongji parses the rows events that follow a TableMap
 * in the same network read before an asynchronous answer would arrive, and would drop
 * them as rows of a filtered table.
 */
export class CatalogZongJi extends ZongJi {
  private readonly hooks: CatalogHooks;

  constructor(dsn: ZongJiDsn, hooks: CatalogHooks) {
    super(dsn);
    this.hooks = hooks;
  }

  _skipSchema(db: string, table: string): boolean {
    return this.hooks.skip(db, table);
  }

  _fetchTableInfo(event: TableMapEvent, next: () => void): void {
    const columns = this.hooks.columnsFor(event.schemaName, event.tableName, event.columnCount);
    if (!columns) {
      this.emit('error', new UnknownTableError(event.schemaName, event.tableName, event.columnCount));
      return;
    }
    this.tableMap[event.tableId] = {
      columnSchemas: columns.map(toColumnSchema),
      parentSchema: event.schemaName,
      tableName: event.tableName,
    };
    next();
  }

  /** Forgets cached table metadata, so the next TableMap of each table asks the catalog again (after DDL). */
  forgetTables(): void {
    for (const id of Object.keys(this.tableMap)) delete this.tableMap[Number(id)];
  }
}

function toColumnSchema(column: TableColumn): ColumnSchema {
  return {
    COLUMN_NAME: column.name,
    COLLATION_NAME: null,
    CHARACTER_SET_NAME: column.charset,
    COLUMN_COMMENT: '',
    COLUMN_TYPE: column.columnType,
  };
}
