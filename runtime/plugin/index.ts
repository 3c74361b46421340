export type * from './config-def.js';
export type * from './connector.js';
export type * from './durable-log.js';
export type * from './signals.js';
export { topicPartitionKey } from './connector.js';
export {
  AlreadyExistsError,
  ConfigError,
  ConflictError,
  DataError,
  isAccessDenied,
  isConnectionLost,
  isRetriable,
  NotFoundError,
  RetriableError,
  SiphonError,
} from './errors.js';
export { backoff, backoffDelay, Backoff, sleep, withRetries, type BackoffPolicy } from './backoff.js';
export type * from './retention.js';
export type * from './verification.js';
export {
  textChunk,
  verificationConfig,
  verificationConfigDef,
  verificationKeySpecs,
} from './verification.js';
export { createTopicAndWait, waitUntilUsable } from './new-topic.js';
export type * from './metrics.js';
export { configReference } from './config-reference.js';
export { siphonVersion } from '../siphon-version.js';
export {
  atLeast,
  between,
  defineConfig,
  type ConfigOptions,
  type DefinedConfig,
  type KeySpec,
  type KeySpecs,
  type OptionValue,
} from './define-config.js';
export { sourceQueueConfig, sourceQueueKeySpecs } from './source-queue-config.js';
