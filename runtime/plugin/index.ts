export type * from './config-def.js';
export type * from './connector.js';
export type * from './verification.js';
export { RetriableError, topicPartitionKey } from './connector.js';
export { verificationConfigDef } from './verification.js';
