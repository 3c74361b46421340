/**
 * A column's default (pg_get_expr of pg_attrdef) as the PostgreSQL text of a constant,
 * or undefined when the default is an expression (now(), nextval(…), arithmetic): only a
 * constant can travel in the schema, as Debezium's column defaults do. Sinks use it to
 * give rows that existed before an ADD COLUMN … DEFAULT the value the source gave them.
 */
export function constantDefaultText(expression: string): string | undefined {
  const text = expression.trim();
  // '42'::integer, 'x'::text, '2024-01-01'::date, 'a b'::character varying
  const quoted = /^'((?:[^']|'')*)'(?:::[\w\s."[\]]+)?$/.exec(text);
  if (quoted) return (quoted[1] ?? '').replaceAll("''", "'");
  // 42, (-5), 1.5, true
  const bare = /^\(?(-?\d+(?:\.\d+)?)\)?(?:::[\w\s."]+)?$/.exec(text);
  if (bare) return bare[1];
  if (text === 'true' || text === 'false') return text === 'true' ? 't' : 'f';
  return undefined;
}
