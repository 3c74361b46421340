/**
 * The structure of one captured table as the connector knows it at a binlog position:
 * what the snapshot reads from information_schema, what DDL in the binlog changes, and
 * what the schema history topic stores.
 */
export interface TableColumn {
  readonly name: string;
  /**
   * The type as information_schema.COLUMNS.COLUMN_TYPE spells it, lower case:
   * `int(10) unsigned`, `decimal(12,3)`, `enum('a','b')`, `datetime(6)`.
   */
  readonly columnType: string;
  readonly nullable: boolean;
  /** Character set of text columns, null for everything else. */
  readonly charset: string | null;
  /** MariaDB's JSON: a LONGTEXT with a JSON_VALID check (MySQL 8's JSON has its own type). */
  readonly json: boolean;
  /**
   * A constant DEFAULT as MySQL text (the number, or the string without quotes); absent
   * without a default and for NULL or expressions (CURRENT_TIMESTAMP, functions).
   */
  readonly defaultText?: string;
}

export interface TableStructure {
  readonly db: string;
  readonly table: string;
  readonly columns: readonly TableColumn[];
  /** Primary key column names in key order; empty without a primary key. */
  readonly primaryKey: readonly string[];
  /** Default character set for columns added later without one. */
  readonly defaultCharset: string | null;
}

/** `db.table`, the key of a table in maps and of Debezium's include lists. */
export function tableKey(db: string, table: string): string {
  return `${db}.${table}`;
}

/** The base type name of a COLUMN_TYPE: `int(10) unsigned` → `int`. */
export function baseType(columnType: string): string {
  const match = /^[a-z0-9_ ]+?(?=\(|\s|$)/.exec(columnType);
  return match ? match[0] : columnType;
}

/** The numbers inside a COLUMN_TYPE's parentheses: `decimal(12,3)` → [12, 3]. */
export function typeArguments(columnType: string): number[] {
  const match = /^[a-z0-9_ ]+\(([0-9, ]+)\)/.exec(columnType);
  return match?.[1] ? match[1].split(',').map((part) => Number(part.trim())) : [];
}

/** The character set a collation belongs to: `utf8mb4_unicode_ci` → `utf8mb4`. */
export function charsetOfCollation(collation: string): string {
  const cut = collation.indexOf('_');
  return cut > 0 ? collation.slice(0, cut) : collation;
}
