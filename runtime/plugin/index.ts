export type * from './config-def.js';
export type * from './connector.js';
export { RetriableError, topicPartitionKey } from './connector.js';
export type * from './retention.js';
