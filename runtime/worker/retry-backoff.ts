/**
 * Capped exponential backoff (Kafka Connect's `errors.retry.timeout` /
 * `errors.retry.delay.max.ms`): 300 ms, 600 ms, … up to the cap, jittered so that many
 * tasks failing together do not retry in lockstep.
 */
export const initialRetryDelayMs = 300;

export function backoffDelay(attempt: number, maxDelayMs: number): number {
  const exponential = initialRetryDelayMs * 2 ** Math.min(attempt, 30);
  const capped = Math.min(exponential, Math.max(maxDelayMs, 0));
  return Math.round(capped * (0.8 + Math.random() * 0.2));
}

/** Resolves after `ms`, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `operation`, retrying the errors `isRetriable` accepts until `timeoutMs` has
 * passed since the first failure (0: no retries; -1: forever).
 */
export async function withRetries<T>(
  operation: () => Promise<T>,
  options: {
    timeoutMs: number;
    maxDelayMs: number;
    isRetriable: (error: unknown) => boolean;
    signal?: AbortSignal;
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  },
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const elapsed = Date.now() - started;
      const budgetLeft = options.timeoutMs < 0 || elapsed < options.timeoutMs;
      if (!options.isRetriable(error) || !budgetLeft || options.signal?.aborted) throw error;
      let delay = backoffDelay(attempt, options.maxDelayMs);
      if (options.timeoutMs >= 0) delay = Math.min(delay, options.timeoutMs - elapsed);
      options.onRetry?.(error, attempt + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}
