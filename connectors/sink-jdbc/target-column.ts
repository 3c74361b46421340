/**
 * What the sink knows about one existing target column, read from information_schema:
 * enough to check that a value fits exactly (decimal precision and scale, time ranges)
 * and to decide whether schema evolution may widen it.
 */
export interface TargetColumn {
  readonly name: string;
  /** information_schema data_type in lower case: `numeric`, `decimal`, `time without time zone`, `int`, … */
  readonly dataType: string;
  readonly numericPrecision: number | null;
  readonly numericScale: number | null;
  readonly characterMaximumLength: number | null;
  readonly nullable: boolean;
  /** The default as the database shows it (an SQL expression), for restating it when MySQL retypes the column. */
  readonly columnDefault: string | null;
  /** PostgreSQL's own type name (information_schema udt_name: `int8`, `numeric`, `_int4` for int[]); null in MySQL. */
  readonly udtName: string | null;
}

/** A table's columns by name; a Map so that any name (`__proto__`, `constructor`) is just a name. */
export type TargetColumns = ReadonlyMap<string, TargetColumn>;

/** Builds the map from information_schema rows (`name`, `data_type`, `numeric_precision`, `numeric_scale`, `character_maximum_length`, `is_nullable`, `column_default`, PostgreSQL's `udt_name`). */
export function targetColumnsFrom(
  rows: readonly Record<string, unknown>[],
): Map<string, TargetColumn> | null {
  if (rows.length === 0) return null;
  const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return new Map(
    rows.map((row) => {
      const name = String(row.name);
      return [
        name,
        {
          name,
          dataType: String(row.data_type).toLowerCase(),
          numericPrecision: numberOrNull(row.numeric_precision),
          numericScale: numberOrNull(row.numeric_scale),
          characterMaximumLength: numberOrNull(row.character_maximum_length),
          nullable: String(row.is_nullable).toUpperCase() === 'YES',
          columnDefault:
            row.column_default === null || row.column_default === undefined
              ? null
              : String(row.column_default),
          udtName: row.udt_name === null || row.udt_name === undefined ? null : String(row.udt_name),
        },
      ];
    }),
  );
}
