import type { Struct } from './schema.js';

/**
 * Struct values inherit from nothing but an empty, frozen, prototype-free object: any field
 * name is just a key, so columns named `__proto__`, `constructor` or `toString` are stored and
 * read like any other (on a plain `{}`, `row.__proto__ = v` would replace the prototype and
 * `row.constructor` would find Object). Built with `new`, not `Object.create(null)`: V8 keeps
 * the latter as a hash table, which made building and reading a 20-field struct twice as slow.
 */
const StructValue = function StructValue() {} as unknown as { new (): Struct; prototype: object };
StructValue.prototype = Object.freeze(Object.create(null) as object);

/** A new, empty struct value (see StructValue). Every struct value is built from this; read fields with `Object.hasOwn`. */
export function newStruct(): Struct {
  return new StructValue();
}

/** Whether a value is a struct value (not null, an array, bytes or a map). */
export function isStruct(value: unknown): value is Struct {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Buffer.isBuffer(value) &&
    !(value instanceof Map)
  );
}

/** A prototype-free copy of a struct (spread would give the copy Object's prototype again). */
export function copyStruct(struct: Readonly<Struct>): Struct {
  return Object.assign(newStruct(), struct);
}
