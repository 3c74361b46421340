import type { InsertMode } from './config.js';
import type { SqlConnection, SqlDialect } from './dialect.js';
import type { BatchPlan, DeleteChange, UpsertChange } from './batch-plan.js';
import type { TargetColumns } from './target-column.js';
import {
  arrayInsertStatement,
  chunkRows,
  deleteStatement,
  insertStatement,
  updateStatement,
  type Statement,
} from './statements.js';
import type { TableRef } from './table-name.js';

/** What a plan's writes could not do: insert.mode=update rows that matched nothing, partial updates of rows the target lacks. */
export interface WriteOutcome {
  readonly unmatched: UpsertChange[];
  readonly partialWithoutRow: UpsertChange[];
}

/** Runs a BatchPlan as multi-row statements on an open transaction. */
export class BatchWriter {
  constructor(
    private readonly dialect: SqlDialect,
    private readonly insertMode: InsertMode,
    /** Rows per statement at most (batch.size); the parameter limit may lower it. */
    private readonly maxRows: number,
  ) {}

  /**
   * Runs the plan; resolves to the changes whose UPDATE matched no row. `columnsOf` gives
   * a table's known columns, whose types decide whether its inserts can go as arrays.
   */
  async apply(
    connection: SqlConnection,
    plan: BatchPlan,
    columnsOf: (table: TableRef) => TargetColumns | undefined = () => undefined,
  ): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { unmatched: [], partialWithoutRow: [] };
    for (const table of plan.truncates) await connection.execute(this.dialect.truncate(table));
    for (const writes of plan.tables) {
      await this.deletes(connection, writes.table, writes.clearFirst);
      await this.deletes(connection, writes.table, writes.deletes);
      const columns = columnsOf(writes.table);
      await this.writes(connection, writes.table, columns, writes.upserts, outcome);
      await this.writes(connection, writes.table, columns, writes.inserts, outcome);
      await this.deletes(connection, writes.table, writes.softDeletes);
    }
    return outcome;
  }

  private async deletes(
    connection: SqlConnection,
    table: TableRef,
    changes: readonly DeleteChange[],
  ): Promise<void> {
    const groups = groupBy(
      changes,
      (change) => `${change.softDeleteColumn ?? ''}\u0000${change.key.map((c) => c.name).join('\u0000')}`,
    );
    for (const group of groups) {
      const first = group[0];
      if (!first) continue;
      for (const chunk of chunkRows(group, first.key.length, this.dialect.maxParameters, this.maxRows)) {
        await run(
          connection,
          deleteStatement(
            this.dialect,
            table,
            chunk.map((change) => change.key),
            first.softDeleteColumn,
          ),
        );
      }
    }
  }

  private async writes(
    connection: SqlConnection,
    table: TableRef,
    columns: TargetColumns | undefined,
    changes: readonly UpsertChange[],
    outcome: WriteOutcome,
  ): Promise<void> {
    // A partial update changes only the columns it has: an UPDATE, never an insert with holes.
    for (const change of changes) {
      if (change.unavailable.length === 0) continue;
      const statement = updateStatement(this.dialect, table, change.columns, change.key);
      if ((await connection.execute(statement.sql, statement.params)) === 0)
        outcome.partialWithoutRow.push(change);
    }
    const complete = changes.filter((change) => change.unavailable.length === 0);
    // Rows with the same columns share a statement; a schema change mid-batch starts a new group.
    const groups = groupBy(complete, (change) => change.columns.map((column) => column.name).join('\u0000'));
    for (const group of groups) {
      const first = group[0];
      if (!first) continue;
      if (this.insertMode === 'update') {
        for (const change of group) {
          const statement = updateStatement(this.dialect, table, change.columns, change.key);
          if ((await connection.execute(statement.sql, statement.params)) === 0)
            outcome.unmatched.push(change);
        }
        continue;
      }
      const names = first.columns.map((column) => column.name);
      const upsertKey = this.insertMode === 'upsert' ? first.key.map((column) => column.name) : undefined;
      const arrayTypes = this.arrayTypes(columns, names);
      // As arrays, a statement has one parameter per column: only batch.size bounds its rows.
      const chunks = arrayTypes
        ? chunkRows(group, 1, this.maxRows, this.maxRows)
        : chunkRows(group, names.length, this.dialect.maxParameters, this.maxRows);
      for (const chunk of chunks) {
        const rows = chunk.map((change) => change.columns);
        const asArrays =
          arrayTypes && arrayInsertStatement(this.dialect, table, names, arrayTypes, rows, upsertKey);
        if (asArrays) {
          await run(connection, asArrays);
          continue;
        }
        for (const part of chunkRows(rows, names.length, this.dialect.maxParameters, this.maxRows))
          await run(connection, insertStatement(this.dialect, table, names, part, upsertKey));
      }
    }
  }

  /** Each column's array type when every column has one (and the dialect inserts arrays), else null. */
  private arrayTypes(columns: TargetColumns | undefined, names: readonly string[]): string[] | null {
    if (!this.dialect.arrayType || !columns) return null;
    const types: string[] = [];
    for (const name of names) {
      const column = columns.get(name);
      const type = column && this.dialect.arrayType(column);
      if (!type) return null;
      types.push(type);
    }
    return types;
  }
}

async function run(connection: SqlConnection, statement: Statement): Promise<void> {
  await connection.execute(statement.sql, statement.params, { reusable: statement.reusable === true });
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}
