import type { Logger } from '../logging/logger.js';
import {
  isRetriable,
  SiphonError,
  withRetries,
  type BackoffPolicy,
  type ParsedConfig,
} from '../plugin/index.js';
import { errorHandlingConfig } from './connector-config.js';

/** A connector's `errors.*` settings, read once from its validated config. */
export interface ErrorPolicy {
  readonly tolerateAll: boolean;
  readonly retryTimeoutMs: number;
  readonly retryMaxDelayMs: number;
  readonly logErrors: boolean;
  readonly logIncludeMessages: boolean;
}

export function errorPolicy(config: ParsedConfig): ErrorPolicy {
  const options = errorHandlingConfig.read(config);
  return {
    tolerateAll: options['errors.tolerance'] === 'all',
    retryTimeoutMs: options['errors.retry.timeout'],
    retryMaxDelayMs: options['errors.retry.delay.max.ms'],
    logErrors: options['errors.log.enable'],
    logIncludeMessages: options['errors.log.include.messages'],
  };
}

/**
 * How a failed task is retried in the background: capped backoff, and at most
 * `errors.max.retries` times in a row where the connector has that key (Debezium's
 * sources; -1: no limit).
 */
export function taskRetryPolicy(config: ParsedConfig, errors: ErrorPolicy): BackoffPolicy {
  const maxRetries = config['errors.max.retries'];
  return {
    maxDelayMs: errors.retryMaxDelayMs,
    maxRetries: typeof maxRetries === 'number' ? maxRetries : -1,
  };
}

/** Which step failed, as Kafka Connect names it in `__connect.errors.stage`. */
export type ErrorStage =
  'KEY_CONVERTER' | 'VALUE_CONVERTER' | 'TRANSFORMATION' | 'TASK_PUT' | 'KAFKA_PRODUCE';

/**
 * A failure of one stage, naming the stage; keeps its own kind and carries the failure
 * as its cause (the trace shows both). Retriable as its cause is.
 */
export class StageError extends SiphonError {
  override readonly name: string = 'StageError';

  constructor(
    readonly stage: ErrorStage,
    override readonly cause: unknown,
    message: string = cause instanceof Error ? cause.message : String(cause),
  ) {
    super(message, isRetriable(cause), { cause });
    // Where the runtime wrapped it is noise: the trace goes on with the cause's stack.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * Runs one stage of a task (conversion, transform, produce, put) under the connector's
 * retry policy; a failure that outlasts it carries the stage, for the dead-letter queue
 * headers and the task's trace.
 */
export function retryStage<T>(
  stage: ErrorStage,
  operation: () => Promise<T>,
  options: { readonly errors: ErrorPolicy; readonly logger: Logger; readonly signal: AbortSignal },
): Promise<T> {
  const { errors, logger, signal } = options;
  return withRetries(operation, {
    policy: { timeoutMs: errors.retryTimeoutMs, maxDelayMs: errors.retryMaxDelayMs },
    signal,
    onRetry: (error, attempt, delayMs) => logger.warn('retrying', { stage, attempt, delayMs, error }),
  }).catch((error: unknown) => {
    throw error instanceof StageError ? error : new StageError(stage, error);
  });
}
