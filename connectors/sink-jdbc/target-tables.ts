import type { Schema } from '../../runtime/record/index.js';
import type { TaskLogger } from '../../runtime/plugin/index.js';
import type { SqlConnection, SqlDialect } from './dialect.js';
import { BadRecordError, type Column, type RowChange } from './row-change.js';
import {
  addColumnStatement,
  addColumnWithDefaultStatement,
  createTableStatement,
  fillColumnStatement,
  type ColumnDefinition,
} from './statements.js';
import { describeTable, tableKey, type TableRef } from './table-name.js';
import { widening } from './column-widening.js';
import type { TargetColumns } from './target-column.js';
import { valueFitProblem } from './value-fit.js';

export interface PreparedChanges {
  readonly bad: ReadonlyMap<RowChange, BadRecordError>;
  readonly moot: ReadonlySet<RowChange>;
}

/**
 * Knows the target tables' columns (cached) and makes them fit the records: creates a
 * missing table (auto.create) and adds missing columns (schema.evolution=basic). DDL runs
 * before the batch transaction, because MySQL commits implicitly on DDL.
 */
export class TargetTables {
  private readonly known = new Map<string, TargetColumns>();
  /** Columns already reported as not evolved, so the warning is logged once per column. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly dialect: SqlDialect,
    private readonly options: { autoCreate: boolean; schemaEvolution: boolean },
    private readonly logger: TaskLogger,
    /** Told once per column that is not evolved, with the reason (for the task's status). */
    private readonly onNotEvolved: (description: string) => void = () => undefined,
  ) {}

  /**
   * Prepares every table the changes write. Returns the changes that cannot be applied,
   * with why, and the moot ones: deletes and truncates of a table that does not exist.
   */
  async prepare(connection: SqlConnection, changes: readonly RowChange[]): Promise<PreparedChanges> {
    const bad = new Map<RowChange, BadRecordError>();
    const moot = new Set<RowChange>();
    const byTable = new Map<string, { table: TableRef; changes: RowChange[] }>();
    for (const change of changes) {
      if (change.kind === 'skip') continue;
      const id = tableKey(change.table);
      const entry = byTable.get(id) ?? { table: change.table, changes: [] };
      entry.changes.push(change);
      byTable.set(id, entry);
    }
    for (const { table, changes: tableChanges } of byTable.values()) {
      const columns = await this.ensureTable(connection, table, tableChanges);
      for (const change of tableChanges) {
        if (columns === null && (change.kind === 'delete' || change.kind === 'truncate')) {
          moot.add(change);
          continue;
        }
        if (columns === null) {
          bad.set(
            change,
            new BadRecordError(
              `table ${describeTable(table)} does not exist; create it or set auto.create=true`,
            ),
          );
          continue;
        }
        const missing: string[] = [];
        for (const column of columnsOf(change)) if (!columns.has(column.name)) missing.push(column.name);
        if (change.kind === 'delete' && change.softDeleteColumn && !columns.has(change.softDeleteColumn))
          missing.push(change.softDeleteColumn);
        if (missing.length > 0) {
          bad.set(
            change,
            new BadRecordError(
              `table ${describeTable(table)} has no column ${missing.map((name) => `"${name}"`).join(', ')}; add it or set schema.evolution=basic`,
            ),
          );
          continue;
        }
        if (change.kind !== 'upsert') continue;
        for (const column of change.columns) {
          const target = columns.get(column.name);
          const problem = target && valueFitProblem(column, target);
          if (problem) {
            bad.set(change, new BadRecordError(problem));
            break;
          }
        }
      }
    }
    return { bad, moot };
  }

  /** The columns of a table as last read, once prepare() saw it. */
  columns(table: TableRef): TargetColumns | undefined {
    return this.known.get(tableKey(table));
  }

  /** Forget cached columns (after a failed batch, in case someone altered the table). */
  forget(): void {
    this.known.clear();
  }

  private async ensureTable(
    connection: SqlConnection,
    table: TableRef,
    changes: readonly RowChange[],
  ): Promise<TargetColumns | null> {
    const id = tableKey(table);
    const known = this.known.get(id);
    // Without schema evolution a known table is what it is: nothing below would change it.
    if (known !== undefined && !this.options.schemaEvolution) return known;
    let columns = known ?? (await this.dialect.listColumns(connection, table));
    // Only writes shape a table: a table that would exist just to delete from it is not created.
    const writes = changes.filter((change) => change.kind === 'upsert');
    const wanted = wantedColumns(writes);
    if (columns === null) {
      if (!this.options.autoCreate) return null;
      const keyNames = keyColumnsOf(writes);
      const definitions = [...wanted.values()].map((column) =>
        this.definition(column, keyNames.includes(column.name)),
      );
      if (definitions.length === 0) return null;
      this.logger.info('creating target table', { table: describeTable(table), columns: definitions.length });
      await connection.execute(createTableStatement(this.dialect, table, definitions, keyNames));
      columns = await this.dialect.listColumns(connection, table);
      if (columns === null) return null;
    }
    const existing = columns;
    const missing = [...wanted.values()].filter((column) => !existing.has(column.name));
    if (missing.length > 0 && this.options.schemaEvolution) {
      for (const column of missing) {
        this.logger.info('adding column to target table', {
          table: describeTable(table),
          column: column.name,
        });
        const definition = { ...this.definition(column, false), notNull: false };
        const defaultValue = column.schema?.defaultValue;
        try {
          if (defaultValue === undefined || defaultValue === null)
            await connection.execute(addColumnStatement(this.dialect, table, definition));
          else await this.addWithDefault(connection, table, definition, { ...column, value: defaultValue });
        } catch (error) {
          // Another task may have added it at the same moment; only a still-missing column is an error.
          const now = await this.dialect.listColumns(connection, table);
          if (!now?.has(column.name)) throw error;
        }
      }
      columns = await this.dialect.listColumns(connection, table);
      if (columns === null) return null;
    }
    if (this.options.schemaEvolution && (await this.widen(connection, table, columns, wanted, writes)))
      columns = await this.dialect.listColumns(connection, table);
    if (columns === null) return null;
    this.known.set(id, columns);
    return columns;
  }

  /**
   * Adds a column whose source ADD COLUMN … DEFAULT gave the rows that already existed that
   * value, giving it to them here in the same atomic step: were the ADD committed alone, a crash
   * before the fill would leave them NULL for good (on restart the column exists).
   */
  private async addWithDefault(
    connection: SqlConnection,
    table: TableRef,
    definition: ColumnDefinition,
    column: Column,
  ): Promise<void> {
    const { dialect } = this;
    const literal = dialect.defaultLiteral?.bind(dialect);
    if (literal !== undefined) {
      await connection.execute(addColumnWithDefaultStatement(dialect, literal, table, definition, column));
      return;
    }
    const fill = fillColumnStatement(dialect, table, column);
    await connection.execute('BEGIN');
    try {
      await connection.execute(addColumnStatement(dialect, table, definition));
      await connection.execute(fill.sql, fill.params);
      await connection.execute('COMMIT');
    } catch (error) {
      await connection.execute('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Widens existing columns the records need wider; says what it does not evolve, and why. Resolves to whether it altered. */
  private async widen(
    connection: SqlConnection,
    table: TableRef,
    columns: TargetColumns,
    wanted: ReadonlyMap<string, Column>,
    writes: readonly RowChange[],
  ): Promise<boolean> {
    const keyNames = keyColumnsOf(writes);
    let altered = false;
    for (const column of wanted.values()) {
      const target = columns.get(column.name);
      if (!target || column.schema === null) continue;
      const isKey = keyNames.includes(column.name);
      const change = widening({
        schema: column.schema,
        target,
        createType: this.dialect.columnType(column.schema, isKey),
        isKey,
        values: () =>
          writes.flatMap((write) =>
            write.kind === 'upsert'
              ? write.columns.filter((c) => c.name === column.name).map((c) => c.value)
              : [],
          ),
        maxDecimal: this.dialect.maxDecimal,
      });
      if (change.kind === 'not-evolved') {
        const id = `${tableKey(table)}\u0000${column.name}`;
        if (!this.reported.has(id)) {
          this.reported.add(id);
          this.logger.warn('target column not evolved', {
            table: describeTable(table),
            column: column.name,
            reason: change.reason,
          });
          // The reason names the column.
          this.onNotEvolved(`${describeTable(table)}: ${change.reason}`);
        }
        continue;
      }
      if (change.kind !== 'widen') continue;
      this.logger.info('widening target column', {
        table: describeTable(table),
        column: change.from,
        to: change.type,
      });
      await connection.execute(this.dialect.widenColumn(table, target, change.type));
      altered = true;
    }
    return altered;
  }

  private definition(column: Column, isKey: boolean): ColumnDefinition {
    const schema = column.schema ?? inferSchema(column.value);
    return {
      name: column.name,
      type: this.dialect.columnType(schema, isKey),
      notNull: isKey || !schema.optional,
    };
  }
}

function columnsOf(change: RowChange): readonly Column[] {
  if (change.kind === 'upsert') return change.columns;
  if (change.kind === 'delete') return change.key;
  return [];
}

function wantedColumns(changes: readonly RowChange[]): Map<string, Column> {
  const wanted = new Map<string, Column>();
  for (const change of changes) {
    for (const column of columnsOf(change)) {
      const seen = wanted.get(column.name);
      // Prefer a column seen with a schema and a value, so types are not guessed from nulls.
      if (
        !seen ||
        (seen.schema === null && column.schema !== null) ||
        (seen.value === null && column.value !== null && seen.schema === null)
      ) {
        wanted.set(column.name, column);
      }
    }
  }
  return wanted;
}

function keyColumnsOf(changes: readonly RowChange[]): string[] {
  for (const change of changes) {
    if ((change.kind === 'upsert' || change.kind === 'delete') && change.key.length > 0)
      return change.key.map((column) => column.name);
  }
  return [];
}

/** A schema for a schemaless value, so auto.create can still pick a type. */
export function inferSchema(value: unknown): Schema {
  const optional = true;
  if (typeof value === 'bigint') return { type: 'int64', optional };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'int64' : 'float64', optional };
  if (typeof value === 'boolean') return { type: 'boolean', optional };
  if (Buffer.isBuffer(value)) return { type: 'bytes', optional };
  if (Array.isArray(value) || value instanceof Map || (typeof value === 'object' && value !== null))
    return { type: 'struct', optional };
  return { type: 'string', optional };
}
