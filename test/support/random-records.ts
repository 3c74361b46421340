import {
  LogicalName,
  bits,
  decimal,
  enumOf,
  logical,
  newStruct,
  type Field,
  type Schema,
} from '../../runtime/record/index.js';

/**
 * Seeded random record-model schemas and values for comparing two encoders: every type,
 * logical types, nesting, optional fields, defaults, and the awkward values (int64 past
 * 2^53, NaN and ±Infinity, -0, control characters, lone surrogates, integer-like and
 * `__proto__` field names, array holes).
 */
export class RandomRecords {
  private state: number;

  /** Chance of a value of the wrong type at any position, to compare errors too. */
  wrongTypes = 0;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** 0 ≤ n < 1, xorshift32. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 2 ** 32;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  schema(depth = 0): Schema {
    const leaf = depth >= 3 || this.chance(0.6);
    let schema: Schema;
    if (leaf) {
      schema = this.pick<() => Schema>([
        () => ({ type: 'int8', optional: false }),
        () => ({ type: 'int16', optional: false }),
        () => ({ type: 'int32', optional: false }),
        () => ({ type: 'int64', optional: false }),
        () => ({ type: 'float32', optional: false }),
        () => ({ type: 'float64', optional: false }),
        () => ({ type: 'boolean', optional: false }),
        () => ({ type: 'string', optional: false }),
        () => ({ type: 'bytes', optional: false }),
        () => decimal(this.int(6), this.chance(0.5) ? 30 : undefined),
        () => logical(LogicalName.MicroTimestamp),
        () => logical(LogicalName.ZonedTimestamp),
        () => logical(LogicalName.Date),
        () => logical(LogicalName.VariableScaleDecimal),
        () => logical(LogicalName.Point),
        () => enumOf(['a', 'b']),
        () => bits(12),
      ])();
    } else {
      const kind = this.pick(['struct', 'array', 'map-string', 'map-other'] as const);
      if (kind === 'array') schema = { type: 'array', optional: false, valueSchema: this.schema(depth + 1) };
      else if (kind === 'map-string')
        schema = {
          type: 'map',
          optional: false,
          keySchema: { type: 'string', optional: this.chance(0.2) },
          valueSchema: this.schema(depth + 1),
        };
      else if (kind === 'map-other')
        schema = {
          type: 'map',
          optional: false,
          keySchema: this.pick<Schema>([
            { type: 'int32', optional: false },
            { type: 'int64', optional: false },
            { type: 'float64', optional: false },
          ]),
          valueSchema: this.schema(depth + 1),
        };
      else {
        const count = this.int(6);
        const names = new Set<string>();
        while (names.size < count) names.add(this.fieldName());
        const fields: Field[] = [...names].map((name, index) => ({
          name,
          index,
          schema: this.schema(depth + 1),
        }));
        schema = { type: 'struct', optional: false, name: `r.n${depth}`, fields };
      }
    }
    if (this.chance(0.4)) schema = { ...schema, optional: true };
    if (this.chance(0.15)) schema = { ...schema, defaultValue: this.value(schema, true) };
    return schema;
  }

  fieldName(): string {
    return this.pick(['id', 'name', 'price', '1', '0', '10', '__proto__', 'é', 'a b', 'x"y', 'toString']);
  }

  string(): string {
    const pieces = [
      'a',
      'é',
      '€',
      '😀',
      '\u0000',
      '\n',
      '"',
      '\\',
      '\u001f',
      '\u2028',
      '\ud800',
      '\udfff',
      ' ',
      'z',
    ];
    let s = '';
    const length = this.int(12);
    for (let i = 0; i < length; i++) s += this.pick(pieces);
    return s;
  }

  int64(): bigint {
    return this.pick<() => bigint>([
      () => 0n,
      () => -1n,
      () => 9007199254740993n,
      () => -9007199254740993n,
      () => 9223372036854775807n,
      () => -9223372036854775808n,
      () => BigInt(this.int(2 ** 31)) * BigInt(this.int(2 ** 31)),
    ])();
  }

  number(integer: boolean): number {
    return this.pick<() => number>([
      () => NaN,
      () => Infinity,
      () => -Infinity,
      () => -0,
      () => 0,
      () => this.int(65536) - 32768,
      () => (integer ? this.int(100) : this.next() * 1e6 - 5e5),
      () => (integer ? 2147483647 : 1e21),
      () => (integer ? -2147483648 : 1.5e-7),
      () => Number.MAX_VALUE,
      () => 5e-324,
    ])();
  }

  /** A value of `schema`; null sometimes when the schema allows it (or always may, for defaults). */
  value(schema: Schema, nonNull = false): unknown {
    if (!nonNull && (schema.optional || schema.defaultValue !== undefined) && this.chance(0.25)) return null;
    if (!nonNull && this.wrongTypes > 0 && this.chance(this.wrongTypes)) {
      return this.pick<unknown>(['x', 1.5, 7n, true, null, [], new Map(), Buffer.from('x'), {}]);
    }
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
        return this.number(true);
      case 'int64':
        return this.chance(0.1) ? this.int(1000) : this.int64();
      case 'float32':
      case 'float64':
        return this.number(false);
      case 'boolean':
        return this.chance(0.5);
      case 'string':
        return this.string();
      case 'bytes':
        if (schema.name === LogicalName.Decimal) {
          const scale = Number(schema.parameters?.scale ?? '0');
          const whole = this.pick(['0', '1', '12345678901234567890', String(this.int(1e6))]);
          const fraction = scale === 0 ? '' : `.${String(this.int(10 ** scale)).padStart(scale, '0')}`;
          return `${this.chance(0.3) ? '-' : ''}${whole}${fraction}`;
        }
        return this.chance(0.8)
          ? Buffer.from(Array.from({ length: this.int(10) }, () => this.int(256)))
          : new Uint8Array([this.int(256), 0, 255]);
      case 'array': {
        const items = Array.from({ length: this.int(4) }, () => this.value(schema.valueSchema!));
        // A hole: JSON.stringify writes null there, whatever the element schema.
        if (items.length > 1 && this.chance(0.1)) delete items[0];
        return items;
      }
      case 'map': {
        const map = new Map<unknown, unknown>();
        const count = this.int(4);
        for (let i = 0; i < count; i++) {
          const key =
            schema.keySchema!.type === 'string' ? this.fieldName() : this.value(schema.keySchema!, true);
          map.set(key, this.value(schema.valueSchema!));
        }
        return map;
      }
      case 'struct': {
        const struct: Record<string, unknown> = newStruct();
        for (const field of schema.fields ?? []) struct[field.name] = this.value(field.schema);
        return struct;
      }
    }
  }
}
