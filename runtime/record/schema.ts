/**
 * The record model every connector speaks: a Connect-like schema plus plain values.
 * A record becomes bytes only in a converter (runtime/converters/).
 *
 * Values by schema type:
 *   int8/int16/int32, float32/float64 → number; int64 → bigint (PostgreSQL bigint and
 *   microsecond timestamps do not fit a double); boolean → boolean; string → string;
 *   bytes → Buffer; array → unknown[]; map → Map<unknown, unknown>;
 *   struct → Struct (a plain object keyed by field name, fields in schema order).
 * Logical types (Schema.name) keep the value of their base type, except Decimal
 * (org.apache.kafka.connect.data.Decimal), whose value is a decimal string such as
 * "-12.340" so that no precision is lost before the converter encodes it.
 */
export type SchemaType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

export interface Schema {
  readonly type: SchemaType;
  readonly optional: boolean;
  /** Record name for structs (`<prefix>.<schema>.<table>.Value`) or a logical type's name. */
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly defaultValue?: unknown;
  /** Logical type parameters, e.g. Decimal's `scale` and `connect.decimal.precision`. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** struct only, in order. */
  readonly fields?: readonly Field[];
  /** array elements, map values. */
  readonly valueSchema?: Schema;
  /** map keys. */
  readonly keySchema?: Schema;
}

export interface Field {
  readonly name: string;
  readonly index: number;
  readonly schema: Schema;
}

export type Struct = Record<string, unknown>;

export interface SchemaAndValue {
  readonly schema: Schema | null;
  readonly value: unknown;
}
