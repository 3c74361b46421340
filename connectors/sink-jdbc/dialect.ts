import type { Schema } from '../../runtime/record/index.js';
import { DataError, type TaskLogger } from '../../runtime/plugin/index.js';
import type { ConnectionSettings, DialectName } from './connection-url.js';
import type { TableRef } from './table-name.js';
import type { TargetColumn, TargetColumns } from './target-column.js';

/** One open connection to the target; values are always bound parameters. */
export interface SqlConnection {
  /**
   * Runs a statement; resolves to the number of affected rows. `reusable`: the text runs
   * again and again, so the connection may keep it prepared (bounded per connection).
   */
  execute(
    sql: string,
    params?: readonly unknown[],
    options?: { readonly reusable?: boolean },
  ): Promise<number>;
  select(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * How one record-model type becomes a column type: `shown` in the README, `sqlType` in DDL,
 * and `note`, what the README says about values the column changes or refuses.
 */
export interface ColumnTypeRule {
  readonly shown: string;
  readonly note?: string;
  readonly sqlType: (
    schema: Schema,
    isKey: boolean,
    typeOf: (schema: Schema, isKey: boolean) => string,
  ) => string;
}

/** Keyed by logical type name (Schema.name) or, failing that, by base type. */
export type TypeMapping = Readonly<Record<string, ColumnTypeRule>>;

export const fixedType = (shown: string, keyType?: string): ColumnTypeRule => ({
  shown: keyType ? `${shown} (${keyType} in a primary key)` : shown,
  sqlType: (_schema, isKey) => (isKey && keyType ? keyType : shown),
});

/** A rule with what the README says about its values. */
export const noted = (rule: ColumnTypeRule, note: string): ColumnTypeRule => ({ ...rule, note });

/** What differs between PostgreSQL and MySQL/MariaDB; statements are built from it in statements.ts. */
export interface SqlDialect {
  readonly name: DialectName;
  readonly typeMapping: TypeMapping;
  /** Bound parameters per statement the server accepts. */
  readonly maxParameters: number;
  quote(identifier: string): string;
  /** How the database folds an unquoted identifier (quote.identifiers=false). */
  fold(identifier: string): string;
  /** `$1` or `?`; `index` counts from 1. */
  placeholder(index: number): string;
  columnType(schema: Schema, isKey: boolean): string;
  /** A record-model value as the parameter the driver sends for a column of `schema`. */
  bind(schema: Schema | null, value: unknown): unknown;
  /**
   * The array type in which an INSERT can send all of a column's values as one parameter
   * (`INSERT … SELECT * FROM unnest(…)`), or null when this column's values must go row by
   * row. Absent: the dialect inserts with multi-row VALUES only.
   */
  arrayType?(column: TargetColumn): string | null;
  /** The clause after a multi-row INSERT that turns it into an upsert. */
  upsertClause(columns: readonly string[], keyColumns: readonly string[]): string;
  /**
   * A column default as a DDL literal, from the value bind() made of it; throws for a value it
   * cannot render exactly. Present where DDL commits implicitly (MySQL/MariaDB): an added column
   * then gets the source's default in its own ADD COLUMN … DEFAULT, which fills the existing rows
   * atomically. Absent (PostgreSQL, transactional DDL): the ADD and the fill share a transaction.
   */
  defaultLiteral?(value: unknown): string;
  /** Retypes a column to a wider type, keeping its nullability and default. */
  widenColumn(table: TableRef, column: TargetColumn, type: string): string;
  /** The largest decimal(precision, scale) the database has (Infinity: unconstrained numeric). */
  readonly maxDecimal: { readonly precision: number; readonly scale: number };
  /** Empties a table inside the open transaction. */
  truncate(table: TableRef): string;
  /** The columns of a table, or null when it does not exist. */
  listColumns(connection: SqlConnection, table: TableRef): Promise<TargetColumns | null>;
  connect(settings: ConnectionSettings, logger: TaskLogger): Promise<SqlConnection>;
}

/** The column type for `schema` from a dialect's mapping table. */
export function columnTypeFrom(mapping: TypeMapping, schema: Schema, isKey: boolean): string {
  const typeOf = (inner: Schema, innerIsKey: boolean): string => columnTypeFrom(mapping, inner, innerIsKey);
  const rule = (schema.name !== undefined ? mapping[schema.name] : undefined) ?? mapping[schema.type];
  if (rule === undefined)
    throw new DataError(
      `no column type for schema type ${schema.type}${schema.name ? ` (${schema.name})` : ''}`,
    );
  return rule.sqlType(schema, isKey, typeOf);
}

export function qualifiedName(dialect: Pick<SqlDialect, 'quote'>, table: TableRef): string {
  return table.schema === null
    ? dialect.quote(table.name)
    : `${dialect.quote(table.schema)}.${dialect.quote(table.name)}`;
}

/** Decimal precision and scale from the schema parameters, where the source gave them. */
export function decimalParameters(schema: Schema): { precision: number | undefined; scale: number } {
  const scale = Number(schema.parameters?.scale ?? 0);
  const precisionText = schema.parameters?.['connect.decimal.precision'];
  return { precision: precisionText === undefined ? undefined : Number(precisionText), scale };
}

/** Error text without the driver's stack, safe for logs and dead-letter headers. */
export function describeSqlError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return code === undefined ? error.message : `${error.message} (${String(code)})`;
}
