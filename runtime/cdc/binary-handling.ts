import type { Schema } from '../record/index.js';

/** `binary.handling.mode`: binary columns as bytes, or as a base64 or hex string. */
export type BinaryHandlingMode = 'bytes' | 'base64' | 'base64-url-safe' | 'hex';
export const binaryHandlingModes: readonly BinaryHandlingMode[] = [
  'bytes',
  'base64',
  'base64-url-safe',
  'hex',
];

export function binarySchema(mode: BinaryHandlingMode, optional: boolean): Schema {
  return { type: mode === 'bytes' ? 'bytes' : 'string', optional };
}

export function binaryValue(mode: BinaryHandlingMode, bytes: Buffer): Buffer | string {
  switch (mode) {
    case 'bytes':
      return bytes;
    case 'base64':
      return bytes.toString('base64');
    case 'base64-url-safe':
      return bytes.toString('base64url');
    case 'hex':
      return bytes.toString('hex');
  }
}
