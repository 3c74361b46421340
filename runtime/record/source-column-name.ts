import type { Schema } from './schema.js';

/**
 * A field named otherwise than the source column it carries (field.name.adjustment.mode,
 * or a name Avro cannot hold) keeps the column's exact name in this schema parameter, so a
 * sink creates and writes the source's column. Debezium's name for it.
 */
export const sourceColumnNameParameter = '__debezium.source.column.name';

/** `schema` with the column's exact name as a parameter when the field is named otherwise. */
export function withSourceColumnName(schema: Schema, column: string, field: string): Schema {
  if (column === field || schema.parameters?.[sourceColumnNameParameter] !== undefined) return schema;
  return { ...schema, parameters: { ...schema.parameters, [sourceColumnNameParameter]: column } };
}

/** The source column a field stands for: the parameter if set, else the field name. */
export function sourceColumnName(field: string, schema: Schema | null | undefined): string {
  return schema?.parameters?.[sourceColumnNameParameter] ?? field;
}
