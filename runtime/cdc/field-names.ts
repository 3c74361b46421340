import { ConfigError } from '../plugin/index.js';
/**
 * Debezium's `field.name.adjustment.mode`: how column names become field names.
 * - none: unchanged (the Avro converter still adjusts names Avro cannot hold);
 * - avro: every character Avro names do not allow ([A-Za-z_] first, [A-Za-z0-9_] after)
 *   becomes `_`;
 * - avro_unicode: every such character becomes `_uXXXX`, its UTF-16 code in hex.
 * Whenever a field name differs from its column's name, the field's schema carries the
 * column's exact name (runtime/record's `withSourceColumnName`), which sink-jdbc uses to
 * create and write the source's column.
 */
export type FieldNameAdjustmentMode = 'none' | 'avro' | 'avro_unicode';
export const fieldNameAdjustmentModes: readonly FieldNameAdjustmentMode[] = ['none', 'avro', 'avro_unicode'];

export function adjustedFieldName(column: string, mode: FieldNameAdjustmentMode): string {
  if (mode === 'none') return column;
  let result = '';
  for (let i = 0; i < column.length; i++) {
    const c = column[i]!;
    const valid = i === 0 ? /[A-Za-z_]/.test(c) : /[A-Za-z0-9_]/.test(c);
    if (valid) result += c;
    else if (mode === 'avro') result += '_';
    else result += `_u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
  return result === '' ? '_' : result;
}

/**
 * The field name of each column of `table`, in order; throws naming the table and both
 * columns when two columns would share one field name.
 */
export function fieldNamesOf(
  table: string,
  columns: readonly string[],
  mode: FieldNameAdjustmentMode,
): string[] {
  const names = columns.map((column) => adjustedFieldName(column, mode));
  const seen = new Map<string, string>();
  names.forEach((name, i) => {
    const other = seen.get(name);
    if (other !== undefined) {
      throw new ConfigError(
        'field.name.adjustment.mode',
        `columns "${other}" and "${columns[i]}" of ${table} both become field "${name}" under field.name.adjustment.mode=${mode}; rename one column or use another mode`,
      );
    }
    seen.set(name, columns[i]!);
  });
  return names;
}
