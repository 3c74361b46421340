import { DataError } from '../plugin/errors.js';
import {
  LogicalName,
  decimalToUnscaled,
  newStruct,
  unscaledToBytes,
  unscaledToDecimal,
  type Schema,
} from '../record/index.js';
import type { PayloadOptions } from './json-payload.js';

/**
 * The `"payload"` half of Kafka Connect's JsonConverter format, written straight to JSON
 * text by a writer compiled once per schema object: no intermediate JSON tree, no
 * JSON.stringify replacer. int64 and decimals are written as exact bare numbers, bytes as
 * base64, NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (Jackson's
 * QUOTE_NON_NUMERIC_NUMBERS), a null with a default as the default. Keys come out in the
 * order JSON.stringify gives an object's keys (integer-like names first, ascending), so a
 * message reads the same as when it was built through JSON.stringify.
 */

/** Writes one non-null-checked value of the writer's schema as JSON text. */
type Write = (value: unknown) => string;

/** A value that does not fit its schema; the path is added while the error unwinds. */
class PayloadProblem extends DataError {
  /** Innermost first: each turns the path of its parent into its own. */
  readonly steps: ((outer: string) => string)[] = [];
  constructor(readonly problem: string) {
    super(problem);
  }
  get path(): string {
    let path = '';
    for (let i = this.steps.length - 1; i >= 0; i--) path = this.steps[i]!(path);
    return path;
  }
}

function within(error: unknown, step: (outer: string) => string): unknown {
  if (error instanceof PayloadProblem) error.steps.push(step);
  return error;
}

function wrongType(schema: Schema, expected: string, value: unknown): PayloadProblem {
  return new PayloadProblem(`expected ${expected} for ${schema.type}, got ${typeof value}`);
}

const fieldStep =
  (name: string) =>
  (outer: string): string =>
    outer === '' ? name : `${outer}.${name}`;
const indexStep =
  (index: string) =>
  (outer: string): string =>
    `${outer}[${index}]`;
const keyStep = (outer: string): string => `${outer}{key}`;

function writeFiniteOrNull(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** Compiled payload writers of one converter (its decimal format and null handling). */
export class JsonPayloadWriters {
  /** Weak: a writer lives as long as the schema object it was compiled for. */
  private readonly writers = new WeakMap<Schema, Write>();

  constructor(private readonly options: PayloadOptions) {}

  /** The payload text of `value`; errors name the field (`after.price: …`), as Connect's do. */
  write(schema: Schema, value: unknown): string {
    try {
      return this.writerOf(schema)(value);
    } catch (error) {
      if (!(error instanceof PayloadProblem)) throw error;
      throw new DataError(`${error.path || 'payload'}: ${error.problem}`, { cause: error });
    }
  }

  private writerOf(schema: Schema): Write {
    let writer = this.writers.get(schema);
    if (writer === undefined) {
      writer = this.compile(schema);
      this.writers.set(schema, writer);
    }
    return writer;
  }

  /** A child schema's writer, compiled on first use so a schema missing it fails only when used. */
  private childWriter(child: Schema | undefined, what: string): Write {
    if (child !== undefined) return this.writerOf(child);
    return () => {
      throw new DataError(`the schema has no ${what}`);
    };
  }

  private compile(schema: Schema): Write {
    const write = this.compileValue(schema);
    const writeNull = this.compileNull(schema);
    return (value) => (value === null || value === undefined ? writeNull() : write(value));
  }

  private compileNull(schema: Schema): () => string {
    if (schema.defaultValue !== undefined && this.options.replaceNullWithDefault) {
      const defaultWriter = this.compile({ ...schema, defaultValue: undefined });
      const defaultValue = schema.defaultValue;
      let text: string | undefined;
      // Written on first need (a bad default fails only then, as before), then reused.
      return () => (text ??= defaultWriter(defaultValue));
    }
    if (schema.optional) return () => 'null';
    const problem = `null for a required ${schema.type} without a default`;
    return () => {
      throw new PayloadProblem(problem);
    };
  }

  private compileValue(schema: Schema): Write {
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
        return (value) => {
          if (typeof value !== 'number') throw wrongType(schema, 'a number', value);
          return writeFiniteOrNull(value);
        };
      case 'int64':
        return (value) => {
          if (typeof value === 'bigint') return value.toString();
          if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
          throw wrongType(schema, 'a bigint', value);
        };
      case 'float32':
      case 'float64':
        return (value) => {
          if (typeof value !== 'number') throw wrongType(schema, 'a number', value);
          return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
        };
      case 'boolean':
        return (value) => {
          if (typeof value !== 'boolean') throw wrongType(schema, 'a boolean', value);
          return value ? 'true' : 'false';
        };
      case 'string':
        return (value) => {
          if (typeof value !== 'string') throw wrongType(schema, 'a string', value);
          return JSON.stringify(value);
        };
      case 'bytes':
        return schema.name === LogicalName.Decimal ? this.compileDecimal(schema) : compileBytes(schema);
      case 'array':
        return this.compileArray(schema);
      case 'map':
        return this.compileMap(schema);
      case 'struct':
        return this.compileStruct(schema);
    }
  }

  private compileDecimal(schema: Schema): Write {
    const scale = Number(schema.parameters?.scale ?? '0');
    const numeric = this.options.decimalFormat === 'NUMERIC';
    return (value) => {
      if (typeof value !== 'string') throw wrongType(schema, 'a decimal string', value);
      const unscaled = decimalToUnscaled(value, scale);
      return numeric
        ? unscaledToDecimal(unscaled, scale)
        : `"${unscaledToBytes(unscaled).toString('base64')}"`;
    };
  }

  private compileArray(schema: Schema): Write {
    const items = this.childWriter(schema.valueSchema, 'array items');
    return (value) => {
      if (!Array.isArray(value)) throw wrongType(schema, 'an array', value);
      let out = '[';
      let i = 0;
      try {
        for (; i < value.length; i++) {
          if (i > 0) out += ',';
          // A hole stays null, as JSON.stringify writes it.
          out += i in value ? items(value[i]) : 'null';
        }
      } catch (error) {
        throw within(error, indexStep(String(i)));
      }
      return `${out}]`;
    };
  }

  private compileMap(schema: Schema): Write {
    const keySchema = schema.keySchema;
    const values = this.childWriter(schema.valueSchema, 'map values');
    if (keySchema?.type === 'string') {
      // An object: keys are assigned as property names, so JSON.stringify's key order applies.
      return (value) => {
        if (!(value instanceof Map)) throw wrongType(schema, 'a Map', value);
        const texts: Record<string, string> = newStruct() as Record<string, string>;
        for (const [k, v] of value as Map<string, unknown>) {
          try {
            texts[k] = values(v);
          } catch (error) {
            throw within(error, indexStep(`${k}`));
          }
        }
        return objectText(texts);
      };
    }
    const keys = this.childWriter(keySchema, 'map keys');
    return (value) => {
      if (!(value instanceof Map)) throw wrongType(schema, 'a Map', value);
      let out = '[';
      for (const [k, v] of value) {
        if (out.length > 1) out += ',';
        let keyText: string;
        try {
          keyText = keys(k);
        } catch (error) {
          throw within(error, keyStep);
        }
        try {
          out += `[${keyText},${values(v)}]`;
        } catch (error) {
          throw within(error, indexStep(String(k)));
        }
      }
      return `${out}]`;
    };
  }

  private compileStruct(schema: Schema): Write {
    const fields = schema.fields ?? [];
    const names = fields.map((f) => f.name);
    const writers = fields.map((f) => this.writerOf(f.schema));
    const steps = names.map(fieldStep);
    // The order JSON.stringify would give these names as keys of one object, a repeated
    // name holding its last value.
    const slots: Record<string, number> = newStruct() as Record<string, number>;
    names.forEach((name, index) => (slots[name] = index));
    const order = Object.keys(slots);
    const inSchemaOrder = order.length === names.length && order.every((name, i) => names[i] === name);
    const textsOf = (struct: Record<string, unknown>): string[] => {
      const texts: string[] = [];
      let i = 0;
      try {
        for (; i < names.length; i++) texts.push(writers[i]!(struct[names[i]!]));
      } catch (error) {
        throw within(error, steps[i]!);
      }
      return texts;
    };
    if (inSchemaOrder) {
      if (names.length === 0) {
        return (value) => {
          if (typeof value !== 'object') throw wrongType(schema, 'a struct', value);
          return '{}';
        };
      }
      const prefixes = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);
      const count = names.length;
      return (value) => {
        if (typeof value !== 'object') throw wrongType(schema, 'a struct', value);
        const struct = value as Record<string, unknown>;
        let out = '';
        let i = 0;
        try {
          for (; i < count; i++) out += prefixes[i]! + writers[i]!(struct[names[i]!]);
        } catch (error) {
          throw within(error, steps[i]!);
        }
        return `${out}}`;
      };
    }
    const emitted = order.map((name) => ({ key: `${JSON.stringify(name)}:`, slot: slots[name]! }));
    return (value) => {
      if (typeof value !== 'object') throw wrongType(schema, 'a struct', value);
      const texts = textsOf(value as Record<string, unknown>);
      return `{${emitted.map((e) => e.key + texts[e.slot]).join(',')}}`;
    };
  }
}

function compileBytes(schema: Schema): Write {
  return (value) => {
    if (!(value instanceof Uint8Array)) throw wrongType(schema, 'a Buffer', value);
    const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value);
    return `"${buffer.toString('base64')}"`;
  };
}

/** JSON text of an object whose values are already JSON texts, keys in the object's order. */
function objectText(texts: Record<string, string>): string {
  let out = '{';
  for (const key of Object.keys(texts)) {
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${texts[key]}`;
  }
  return `${out}}`;
}
