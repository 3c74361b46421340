import { toJsonText } from './json-text.js';
import type { RowChange } from './row-change.js';
import { tableKey, type TableRef } from './table-name.js';

export type UpsertChange = Extract<RowChange, { kind: 'upsert' }>;
export type DeleteChange = Extract<RowChange, { kind: 'delete' }>;

/** The writes for one table after collapsing: at most one final change per key. */
export interface TableWrites {
  readonly table: TableRef;
  /** Keys deleted in the batch and then written again: deleted first so the write starts clean. */
  readonly clearFirst: readonly DeleteChange[];
  readonly deletes: readonly DeleteChange[];
  readonly upserts: readonly UpsertChange[];
  /** Soft deletes run after the upserts: a row written and soft-deleted in one batch ends marked. */
  readonly softDeletes: readonly DeleteChange[];
  /** insert.mode=insert without a key: every row, in order. */
  readonly inserts: readonly UpsertChange[];
}

/** A batch as statements to run: truncates first (earlier writes to those tables are moot), then per-table writes. */
export interface BatchPlan {
  readonly truncates: readonly TableRef[];
  readonly tables: readonly TableWrites[];
}

interface KeyState {
  final: UpsertChange | DeleteChange;
  deletedBefore: DeleteChange | undefined;
  lastUpsert: UpsertChange | undefined;
}

interface TableState {
  readonly table: TableRef;
  readonly keys: Map<string, KeyState>;
  readonly inserts: UpsertChange[];
}

/**
 * Collapses a batch, in record order: several changes of one key become the last one; a
 * truncate discards the table's earlier changes. A delete followed by an insert of the
 * same key ends as "delete, then write", so the row ends exactly as the last change says.
 */
export function planBatch(changes: readonly RowChange[]): BatchPlan {
  const tables = new Map<string, TableState>();
  const truncates = new Map<string, TableRef>();
  const stateOf = (table: TableRef): TableState => {
    const id = tableKey(table);
    let state = tables.get(id);
    if (!state) {
      state = { table, keys: new Map(), inserts: [] };
      tables.set(id, state);
    }
    return state;
  };
  for (const change of changes) {
    if (change.kind === 'skip') continue;
    if (change.kind === 'truncate') {
      tables.delete(tableKey(change.table));
      truncates.set(tableKey(change.table), change.table);
      continue;
    }
    const state = stateOf(change.table);
    if (change.key.length === 0 && change.kind === 'upsert') {
      state.inserts.push(change);
      continue;
    }
    const id = keyId(change.key.map((column) => column.value));
    const previous = state.keys.get(id);
    const deletedBefore = previous?.final.kind === 'delete' ? previous.final : previous?.deletedBefore;
    const final =
      change.kind === 'upsert' && change.unavailable.length > 0 && previous?.final.kind === 'upsert'
        ? mergePartial(previous.final, change)
        : change;
    const lastUpsert = final.kind === 'upsert' ? final : previous?.lastUpsert;
    state.keys.set(id, { final, deletedBefore, lastUpsert });
  }
  return {
    truncates: [...truncates.values()],
    tables: [...tables.values()].map((state) => {
      const finals = [...state.keys.values()];
      return {
        table: state.table,
        clearFirst: finals.flatMap((entry) =>
          entry.final.kind === 'upsert' &&
          entry.deletedBefore &&
          entry.deletedBefore.softDeleteColumn === undefined
            ? [entry.deletedBefore]
            : [],
        ),
        deletes: finals.flatMap((entry) =>
          entry.final.kind === 'delete' && entry.final.softDeleteColumn === undefined ? [entry.final] : [],
        ),
        upserts: finals.flatMap((entry) => {
          if (entry.final.kind === 'upsert') return [entry.final];
          // A soft delete keeps the row: write its last state from this batch, then mark it.
          return entry.final.softDeleteColumn !== undefined && entry.lastUpsert ? [entry.lastUpsert] : [];
        }),
        softDeletes: finals.flatMap((entry) =>
          entry.final.kind === 'delete' && entry.final.softDeleteColumn !== undefined ? [entry.final] : [],
        ),
        inserts: state.inserts,
      };
    }),
  };
}

/**
 * A partial update after an earlier write of the same key in the batch: the earlier write's
 * values fill the columns the partial one lacks, so collapsing loses nothing.
 */
function mergePartial(earlier: UpsertChange, partial: UpsertChange): UpsertChange {
  const columns = new Map(earlier.columns.map((column) => [column.name, column]));
  for (const column of partial.columns) columns.set(column.name, column);
  return {
    ...partial,
    columns: [...columns.values()],
    unavailable: partial.unavailable.filter((name) => !columns.has(name)),
  };
}

/** Identity of a key for collapsing: equal when the values bind equal (1 and 1n alike). */
export function keyId(values: readonly unknown[]): string {
  // The common one-column key, spelled as the general form below would spell it.
  if (values.length === 1) {
    const [value] = values;
    if (typeof value === 'bigint') return `[${value}]`;
    if (typeof value === 'number' && Number.isInteger(value)) return `[${BigInt(value)}]`;
    if (typeof value === 'string') return `[${JSON.stringify(value)}]`;
  }
  return toJsonText(
    values.map((value) => (typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value)),
  );
}
