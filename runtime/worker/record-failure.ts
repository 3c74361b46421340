import { StageError, type ErrorStage } from './error-policy.js';

/**
 * The error that fails a task on a bad record under errors.tolerance=none: it names the
 * stage and where the record is (topic, partition, offset), like Kafka Connect's
 * "Error encountered in task … where consumed record is …", and carries the failure as its cause.
 */
export function recordFailure(stage: ErrorStage, where: string, cause: unknown): StageError {
  const inner = cause instanceof StageError && cause.cause !== undefined ? cause.cause : cause;
  const description = inner instanceof Error ? inner.message : String(inner);
  return new StageError(
    stage,
    inner,
    `${stage} failed for the record at ${where} (errors.tolerance=none): ${description}`,
  );
}
