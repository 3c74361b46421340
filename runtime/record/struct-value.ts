import type { Struct } from './schema.js';

/**
 * A new, empty struct value without a prototype: any field name is just a key, so columns
 * named `__proto__`, `constructor` or `toString` are stored and read like any other (on a
 * plain `{}`, `row.__proto__ = v` would replace the prototype and `row.constructor` would
 * find Object). Every struct value is built from this; read fields with `Object.hasOwn`.
 */
export function newStruct(): Struct {
  return Object.create(null) as Struct;
}

/** A prototype-free copy of a struct (spread would give the copy Object's prototype again). */
export function copyStruct(struct: Readonly<Struct>): Struct {
  return Object.assign(newStruct(), struct);
}

/** Whether `value` is a struct value (an object that is not an array, a Buffer or a Map). */
export function isStruct(value: unknown): value is Struct {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Buffer.isBuffer(value) &&
    !(value instanceof Map)
  );
}
