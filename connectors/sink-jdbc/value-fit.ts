import type { Schema } from '../../runtime/record/index.js';
import { bytesToUnscaled, LogicalName, unscaledToDecimal } from '../../runtime/record/index.js';
import type { Column } from './row-change.js';
import type { TargetColumn } from './target-column.js';

/**
 * Whether a value fits a target column exactly. Databases round a decimal with more
 * fractional digits than the column's scale without an error (PostgreSQL and MariaDB
 * alike), so that is checked here, before the write: a value that would change is a bad
 * record naming the column and the value, never a silently different row. MySQL/MariaDB
 * floating-point columns have no NaN or ±Infinity (the server's own error names neither).
 */
export function valueFitProblem(column: Column, target: TargetColumn): string | undefined {
  if (column.value === null || column.value === undefined) return undefined;
  if (
    (target.dataType === 'float' || target.dataType === 'double') &&
    typeof column.value === 'number' &&
    !Number.isFinite(column.value)
  ) {
    return `column "${column.name}" value ${column.value} has no MySQL/MariaDB ${target.dataType}; map the column to text upstream to keep it`;
  }
  if (target.dataType !== 'numeric' && target.dataType !== 'decimal') return undefined;
  const text = decimalText(column.schema, column.value);
  if (text === undefined) return undefined;
  const problem = decimalFitProblem(text, target.numericPrecision, target.numericScale);
  if (problem === undefined) return undefined;
  const declared =
    target.numericPrecision === null
      ? target.dataType
      : `${target.dataType}(${target.numericPrecision},${target.numericScale ?? 0})`;
  return `column "${column.name}" value ${text} ${problem} of ${declared}; widen the column (or use decimal.handling.mode=string upstream and a text column)`;
}

function decimalText(schema: Schema | null, value: unknown): string | undefined {
  if (schema?.name === LogicalName.VariableScaleDecimal) {
    const struct = value as { scale: number; value: Buffer };
    return unscaledToDecimal(bytesToUnscaled(struct.value), struct.scale);
  }
  if (schema?.name === LogicalName.Decimal || typeof value === 'bigint') return String(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return value;
  return undefined;
}

/** Digits before and after the point a decimal text needs, exponent applied, without padding zeros. */
function decimalDigits(text: string): { integer: number; fraction: number } | undefined {
  const match = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  const significant = digits.replace(/^0+/, '');
  if (significant === '') return { integer: 0, fraction: 0 };
  const leadingZeros = digits.length - significant.length;
  const trimmed = significant.replace(/0+$/, '');
  const lastDigit = leadingZeros + trimmed.length; // position after the last non-zero digit
  const firstDigit = leadingZeros;
  return { integer: Math.max(0, point - firstDigit), fraction: Math.max(0, lastDigit - point) };
}

/** Why `text` does not fit numeric(precision, scale) exactly, or undefined when it does. */
export function decimalFitProblem(
  text: string,
  precision: number | null,
  scale: number | null,
): string | undefined {
  const digits = decimalDigits(text);
  if (digits === undefined) return 'is not a decimal number';
  if (scale !== null && digits.fraction > scale)
    return `has ${digits.fraction} digits after the point, more than the scale ${scale}`;
  if (precision !== null && digits.integer > precision - (scale ?? 0))
    return `has ${digits.integer} digits before the point, more than the ${precision - (scale ?? 0)} allowed`;
  return undefined;
}
