import { ConfigError } from '../../runtime/plugin/index.js';
import type { CastType, Struct } from '../../runtime/record/index.js';
import { boolean, CAST_TYPES, float64, int64, isCastType, string } from '../../runtime/record/index.js';
import { RowFilter } from './filter-expression.js';
import { Template, type RecordContext, type TypedValue } from './record-context.js';
import { TableNameFormat } from './table-name.js';

/**
 * Mapping rules (`mappings`, a JSON array). The first rule whose `match` fits a record
 * applies:
 *
 *   { "name": "orders",
 *     "match": { "topic": "srv.public.orders" } | { "topic.regex": "srv\\.public\\..*" }
 *              | { "source.db": …, "source.schema": "public", "source.table": "orders" },
 *     "table": "sales.orders_copy",            target table, placeholders allowed
 *     "include": ["id", "total"] | "exclude": ["secret"],
 *     "casts": { "total": "float64" },          int8 … float64, boolean, string
 *     "rename": { "total": "order_total" },
 *     "values": { "synced_at": "${source.ts_ms}", "origin": "pg-eu", "version": 2 },
 *     "filter": "status != 'draft' and total > 0",
 *     "key": ["id"],                            key override (row fields)
 *     "softDelete": "deleted" }                 deletes set this boolean column instead
 *
 * include/exclude, casts, filter, key and rename name the source fields; `values` and
 * `softDelete` name target columns.
 */
export interface MappingRule {
  /** `mappings[0] ("orders")`, for errors. */
  readonly label: string;
  readonly match: RuleMatch;
  readonly table?: TableNameFormat;
  readonly include?: ReadonlySet<string>;
  readonly exclude: ReadonlySet<string>;
  readonly casts: ReadonlyMap<string, CastType>;
  readonly rename: ReadonlyMap<string, string>;
  readonly values: readonly ComputedColumn[];
  readonly filter?: RowFilter;
  readonly key?: readonly string[];
  readonly softDelete?: string;
}

export interface RuleMatch {
  readonly topic?: string;
  readonly topicRegex?: RegExp;
  readonly sourceDb?: string;
  readonly sourceSchema?: string;
  readonly sourceTable?: string;
}

export interface ComputedColumn {
  readonly column: string;
  readonly compute: (context: RecordContext) => TypedValue;
}

const RULE_KEYS = [
  'name',
  'match',
  'table',
  'include',
  'exclude',
  'casts',
  'rename',
  'values',
  'filter',
  'key',
  'softDelete',
];
const MATCH_KEYS = ['topic', 'topic.regex', 'source.db', 'source.schema', 'source.table'];

/** `mappings` that do not parse; every problem is in the message. */
export class MappingRuleError extends ConfigError {
  override readonly name: string = 'MappingRuleError';

  constructor(message: string, options?: ErrorOptions) {
    super('mappings', message, options);
  }
}

/** Parses and validates `mappings`; every problem is reported, each naming the rule and field. */
export function parseMappingRules(json: string): MappingRule[] {
  if (json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new MappingRuleError(
      `mappings is not valid JSON (${(error as Error).message}); write a JSON array of rules`,
    );
  }
  if (!Array.isArray(parsed))
    throw new MappingRuleError(
      'mappings must be a JSON array of rules, e.g. [{"match": {"topic": "t"}, "table": "x"}]',
    );
  const problems: string[] = [];
  const rules: MappingRule[] = [];
  parsed.forEach((raw: unknown, index) => {
    const name = isObject(raw) && typeof raw.name === 'string' ? raw.name : undefined;
    const label = `mappings[${index}]${name ? ` ("${name}")` : ''}`;
    const rule = parseRule(raw, label, (field, message) =>
      problems.push(`${label} field "${field}": ${message}`),
    );
    if (rule) rules.push(rule);
  });
  if (problems.length > 0) throw new MappingRuleError(problems.join('; '));
  return rules;
}

function parseRule(
  raw: unknown,
  label: string,
  problem: (field: string, message: string) => void,
): MappingRule | undefined {
  if (!isObject(raw)) {
    problem('(rule)', 'must be a JSON object');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!RULE_KEYS.includes(key)) problem(key, `is not a rule field; use ${RULE_KEYS.join(', ')}`);
  }
  const attempt = <T>(field: string, build: () => T): T | undefined => {
    try {
      return build();
    } catch (error) {
      problem(field, (error as Error).message);
      return undefined;
    }
  };
  const match = attempt('match', () => parseMatch(raw.match));
  const table =
    raw.table === undefined
      ? undefined
      : attempt('table', () => TableNameFormat.parse(requireString(raw.table)));
  const include =
    raw.include === undefined ? undefined : attempt('include', () => new Set(stringList(raw.include)));
  const exclude =
    attempt('exclude', () => new Set(raw.exclude === undefined ? [] : stringList(raw.exclude))) ??
    new Set<string>();
  if (include && exclude.size > 0)
    problem('exclude', 'cannot be combined with include; list the columns to keep in include only');
  const casts = attempt('casts', () => parseCasts(raw.casts)) ?? new Map<string, CastType>();
  const rename = attempt('rename', () => parseRename(raw.rename)) ?? new Map<string, string>();
  const values = attempt('values', () => parseValues(raw.values)) ?? [];
  const filter =
    raw.filter === undefined
      ? undefined
      : attempt('filter', () => RowFilter.parse(requireString(raw.filter)));
  const key = raw.key === undefined ? undefined : attempt('key', () => nonEmpty(stringList(raw.key)));
  const softDelete =
    raw.softDelete === undefined ? undefined : attempt('softDelete', () => requireString(raw.softDelete));
  for (const [from, to] of rename) {
    // A rename onto a column the rule also writes would drop one of the two values.
    const clash =
      values.some((computed) => computed.column === to) || softDelete === to
        ? 'a column this rule sets (values/softDelete)'
        : include?.has(to) && !rename.has(to)
          ? 'a field this rule includes under its own name'
          : undefined;
    if (clash) problem('rename', `renames "${from}" onto "${to}", ${clash}; pick another name`);
  }
  if (match === undefined) return undefined;
  return {
    label,
    match,
    ...(table ? { table } : {}),
    ...(include ? { include } : {}),
    exclude,
    casts,
    rename,
    values,
    ...(filter ? { filter } : {}),
    ...(key ? { key } : {}),
    ...(softDelete ? { softDelete } : {}),
  };
}

function parseMatch(raw: unknown): RuleMatch {
  if (!isObject(raw))
    throw new MappingRuleError(
      'is required: an object such as {"topic": "srv.public.orders"} or {"source.table": "orders"}',
    );
  const keys = Object.keys(raw);
  const unknown = keys.filter((key) => !MATCH_KEYS.includes(key));
  if (unknown.length > 0)
    throw new MappingRuleError(`has unknown criteria ${unknown.join(', ')}; use ${MATCH_KEYS.join(', ')}`);
  if (keys.length === 0) throw new MappingRuleError(`needs at least one of ${MATCH_KEYS.join(', ')}`);
  const text = (key: string): string | undefined =>
    raw[key] === undefined ? undefined : requireString(raw[key]);
  const regexSource = text('topic.regex');
  let topicRegex: RegExp | undefined;
  if (regexSource !== undefined) {
    try {
      topicRegex = new RegExp(`^(?:${regexSource})$`);
    } catch (error) {
      throw new MappingRuleError(
        `topic.regex "${regexSource}" is not a valid regular expression (${(error as Error).message})`,
        { cause: error },
      );
    }
  }
  const topic = text('topic');
  const sourceDb = text('source.db');
  const sourceSchema = text('source.schema');
  const sourceTable = text('source.table');
  return {
    ...(topic !== undefined ? { topic } : {}),
    ...(topicRegex ? { topicRegex } : {}),
    ...(sourceDb !== undefined ? { sourceDb } : {}),
    ...(sourceSchema !== undefined ? { sourceSchema } : {}),
    ...(sourceTable !== undefined ? { sourceTable } : {}),
  };
}

function parseCasts(raw: unknown): Map<string, CastType> {
  const casts = new Map<string, CastType>();
  if (raw === undefined) return casts;
  if (!isObject(raw))
    throw new MappingRuleError('must be an object of field: type, e.g. {"total": "float64"}');
  for (const [field, type] of Object.entries(raw)) {
    if (typeof type !== 'string' || !isCastType(type)) {
      throw new MappingRuleError(
        `"${field}" has unknown type ${JSON.stringify(type)}; use one of ${CAST_TYPES.join(', ')}`,
      );
    }
    casts.set(field, type);
  }
  return casts;
}

function parseRename(raw: unknown): Map<string, string> {
  const rename = new Map<string, string>();
  if (raw === undefined) return rename;
  if (!isObject(raw))
    throw new MappingRuleError(
      'must be an object of source field: target column, e.g. {"total": "order_total"}',
    );
  const targets = new Set<string>();
  for (const [from, to] of Object.entries(raw)) {
    if (typeof to !== 'string' || to === '')
      throw new MappingRuleError(`"${from}" must map to a non-empty column name`);
    if (targets.has(to))
      throw new MappingRuleError(`two fields are renamed to "${to}"; target columns must be unique`);
    targets.add(to);
    rename.set(from, to);
  }
  return rename;
}

function parseValues(raw: unknown): ComputedColumn[] {
  if (raw === undefined) return [];
  if (!isObject(raw))
    throw new MappingRuleError(
      'must be an object of column: value, e.g. {"synced_at": "${source.ts_ms}", "origin": "eu"}',
    );
  return Object.entries(raw).map(([column, spec]): ComputedColumn => {
    if (typeof spec === 'string') {
      let template: Template;
      try {
        template = Template.parse(spec);
      } catch (error) {
        throw new MappingRuleError(`"${column}": ${(error as Error).message}`, { cause: error });
      }
      return { column, compute: (context) => template.resolve(context) };
    }
    const constant = constantValue(spec);
    if (constant === undefined)
      throw new MappingRuleError(`"${column}" must be a string, number, boolean or null`);
    return { column, compute: () => constant };
  });
}

function constantValue(spec: unknown): TypedValue | undefined {
  if (spec === null) return { schema: { ...string(), optional: true }, value: null };
  if (typeof spec === 'boolean') return { schema: boolean(), value: spec };
  if (typeof spec === 'number') {
    return Number.isSafeInteger(spec)
      ? { schema: int64(), value: BigInt(spec) }
      : { schema: float64(), value: spec };
  }
  return undefined;
}

export function ruleMatches(rule: MappingRule, topic: string, source: Struct | null): boolean {
  const { match } = rule;
  if (match.topic !== undefined && match.topic !== topic) return false;
  if (match.topicRegex && !match.topicRegex.test(topic)) return false;
  const sourceField = (name: string) =>
    source?.[name] === undefined || source[name] === null ? undefined : String(source[name]);
  if (match.sourceDb !== undefined && match.sourceDb !== sourceField('db')) return false;
  if (match.sourceSchema !== undefined && match.sourceSchema !== sourceField('schema')) return false;
  if (match.sourceTable !== undefined && match.sourceTable !== sourceField('table')) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new MappingRuleError(`must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new MappingRuleError(`must be an array of field names, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

function nonEmpty(list: string[]): string[] {
  if (list.length === 0) throw new MappingRuleError('must name at least one field');
  return list;
}
