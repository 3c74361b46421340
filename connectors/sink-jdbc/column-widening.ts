import type { Schema } from '../../runtime/record/index.js';
import { LogicalName } from '../../runtime/record/index.js';
import { decimalParameters } from './dialect.js';
import type { TargetColumn } from './target-column.js';

/**
 * schema.evolution=basic for a column that exists: the change to make so it holds what the
 * records now carry, only ever widening (int → bigint, real → double, numeric(10,2) →
 * numeric(20,2), varchar(10) → text when a value is longer). Anything else — narrowing,
 * another type — is left alone and reported, never retyped destructively.
 */
type Widening =
  | { readonly kind: 'none' }
  | { readonly kind: 'widen'; readonly type: string; readonly from: string }
  | { readonly kind: 'not-evolved'; readonly reason: string };

const INTEGER_BITS: Readonly<Record<string, number>> = {
  tinyint: 8,
  smallint: 16,
  mediumint: 24,
  integer: 32,
  int: 32,
  bigint: 64,
};
const SCHEMA_BITS: Readonly<Record<string, number>> = { int8: 8, int16: 16, int32: 32, int64: 64 };
const VARCHAR_TYPES = new Set(['character varying', 'varchar', 'character', 'char']);

interface WideningInput {
  readonly schema: Schema;
  readonly target: TargetColumn;
  /** The type auto.create would give the column (the dialect's mapping). */
  readonly createType: string;
  readonly isKey: boolean;
  /** Values of this column in the batch (read only for a bounded string column), to see whether it is too short. */
  readonly values: () => readonly unknown[];
  readonly maxDecimal: { precision: number; scale: number };
}

export function widening(input: WideningInput): Widening {
  const { schema, target, createType } = input;
  const shown = describe(target);
  const schemaBits = SCHEMA_BITS[schema.type];
  const targetBits = INTEGER_BITS[target.dataType];
  if (schemaBits !== undefined && targetBits !== undefined) {
    // MySQL unsigned columns and a source's narrower ints both fit; only a wider source type widens.
    return schemaBits > targetBits ? { kind: 'widen', type: createType, from: shown } : { kind: 'none' };
  }
  if (schema.type === 'float64' && (target.dataType === 'real' || target.dataType === 'float'))
    return { kind: 'widen', type: createType, from: shown };
  if (schema.name === LogicalName.Decimal && (target.dataType === 'numeric' || target.dataType === 'decimal'))
    return decimalWidening(schema, target, input.maxDecimal, shown);
  if (
    schema.type === 'string' &&
    VARCHAR_TYPES.has(target.dataType) &&
    target.characterMaximumLength !== null
  ) {
    const longest = Math.max(
      0,
      ...input.values().map((value) => (typeof value === 'string' ? [...value].length : 0)),
    );
    if (longest <= target.characterMaximumLength) return { kind: 'none' };
    if (input.isKey)
      return {
        kind: 'not-evolved',
        reason: `key column ${shown} is shorter than a value (${longest} characters); widen it by hand`,
      };
    return { kind: 'widen', type: createType, from: shown };
  }
  return { kind: 'none' };
}

function decimalWidening(
  schema: Schema,
  target: TargetColumn,
  max: { precision: number; scale: number },
  shown: string,
): Widening {
  if (target.numericPrecision === null) return { kind: 'none' };
  const { precision, scale } = decimalParameters(schema);
  if (precision === undefined) {
    // numeric without precision upstream: only an unconstrained column holds every value.
    return Number.isFinite(max.precision)
      ? {
          kind: 'not-evolved',
          reason: `${shown} is bounded and the source numeric is not; values that do not fit are rejected`,
        }
      : { kind: 'widen', type: target.dataType, from: shown };
  }
  const currentScale = target.numericScale ?? 0;
  const newScale = Math.max(currentScale, scale);
  const newInteger = Math.max(target.numericPrecision - currentScale, precision - scale);
  if (newScale + newInteger === target.numericPrecision && newScale === currentScale) return { kind: 'none' };
  if (newInteger + newScale > max.precision || newScale > max.scale) {
    return {
      kind: 'not-evolved',
      reason: `${shown} would need decimal(${newInteger + newScale},${newScale}), beyond the target's decimal(${max.precision},${max.scale}); values that do not fit are rejected`,
    };
  }
  return { kind: 'widen', type: `${target.dataType}(${newInteger + newScale}, ${newScale})`, from: shown };
}

function describe(target: TargetColumn): string {
  if (target.numericPrecision !== null && (target.dataType === 'numeric' || target.dataType === 'decimal'))
    return `"${target.name}" ${target.dataType}(${target.numericPrecision},${target.numericScale ?? 0})`;
  if (target.characterMaximumLength !== null)
    return `"${target.name}" ${target.dataType}(${target.characterMaximumLength})`;
  return `"${target.name}" ${target.dataType}`;
}
