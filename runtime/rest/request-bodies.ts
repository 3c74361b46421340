import { BadRequestError } from './rest-errors.js';

/** JSON schemas of request bodies, and the conversion of config maps to strings. */
const configValue = {
  anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }],
};

export const configBody = {
  type: 'object',
  additionalProperties: configValue,
} as const;

export const createConnectorBody = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    config: { type: 'object', additionalProperties: configValue },
    initial_state: { type: 'string', enum: ['RUNNING', 'PAUSED', 'STOPPED'] },
  },
} as const;

export const offsetsBody = {
  type: 'object',
  required: ['offsets'],
  properties: {
    offsets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['partition'],
        properties: {
          partition: { type: 'object' },
          offset: { anyOf: [{ type: 'object' }, { type: 'null' }] },
        },
      },
    },
  },
} as const;

/** Config values as Kafka Connect stores them: strings. null is rejected (except PATCH). */
export function stringConfig(body: Readonly<Record<string, unknown>>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null) {
      throw new BadRequestError(`${where}: "${key}" is null; give a string value or leave the key out`);
    }
    out[key] = String(value);
  }
  return out;
}
