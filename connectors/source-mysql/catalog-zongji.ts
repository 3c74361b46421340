import ZongJi from '@vlasky/zongji';
import type { ColumnSchema, TableMapEvent, ZongJiDsn } from '@vlasky/zongji';
import type { TableColumn } from './table-schema.js';

export interface CatalogHooks {
  /** True when rows of `db.table` are not captured (zongji then skips them unparsed). */
  skip(db: string, table: string): boolean;
  /** The columns of `db.table` valid at the current binlog position, for a TableMap with `columnCount` columns. */
  columnsFor(db: string, table: string, columnCount: number): Promise<readonly TableColumn[]>;
}

/**
 * zongji decoding rows with the connector's TableCatalog instead of information_schema.
 * zongji looks up column metadata through its `_fetchTableInfo` and filters tables
 * through `_skipSchema` (internal methods of @vlasky/zongji 0.9, index.js); overriding
 * them makes rows decode with the structure valid at their binlog position (the schema
 * history), not the table's current one, and applies Debezium's regex include lists.
 * zongji pauses the binlog connection while `_fetchTableInfo` runs.
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
    this.hooks.columnsFor(event.schemaName, event.tableName, event.columnCount).then(
      (columns) => {
        this.tableMap[event.tableId] = {
          columnSchemas: columns.map(toColumnSchema),
          parentSchema: event.schemaName,
          tableName: event.tableName,
        };
        next();
      },
      (error: unknown) => this.emit('error', error instanceof Error ? error : new Error(String(error))),
    );
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
