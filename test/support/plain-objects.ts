import { newStruct } from '../../runtime/record/struct-value.js';

const structPrototype: unknown = Object.getPrototypeOf(newStruct());

/**
 * Struct values inherit nothing (runtime/record/struct-value.ts); deepStrictEqual also
 * compares prototypes, so tests compare them to object literals through this deep copy
 * with Object's prototype. Buffers, Maps, arrays and scalars are kept as they are.
 */
export function asPlainObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asPlainObjects);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, asPlainObjects(v)]));
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== null && prototype !== Object.prototype && prototype !== structPrototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asPlainObjects(v)]));
}
