import { isRetriable } from './errors.js';

/**
 * The one backoff of the runtime and its plugins: capped exponential delays (300 ms,
 * 600 ms, … up to the cap), jittered so that many tasks failing together do not retry in
 * lockstep, and always cut short by the task's abort signal.
 */
export interface BackoffPolicy {
  readonly initialDelayMs?: number;
  readonly maxDelayMs: number;
  /** Retries allowed before giving up (Debezium's `errors.max.retries`); -1 or absent: no limit. */
  readonly maxRetries?: number;
  /** Give up once this long passed since the first failure (`errors.retry.timeout`); -1 or absent: no limit. */
  readonly timeoutMs?: number;
}

export const initialRetryDelayMs = 300;

export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const exponential = (policy.initialDelayMs ?? initialRetryDelayMs) * 2 ** Math.min(attempt, 30);
  const capped = Math.min(exponential, Math.max(policy.maxDelayMs, 0));
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

/** Counts the attempts of one operation and waits between them. */
export class Backoff {
  private failures = 0;
  private firstFailureAt: number | null = null;

  constructor(
    readonly policy: BackoffPolicy,
    private readonly signal: AbortSignal,
  ) {}

  /** Failed attempts since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** The policy allows another attempt after this many failures (and the task still runs). */
  get exhausted(): boolean {
    const { maxRetries = -1, timeoutMs = -1 } = this.policy;
    if (this.signal.aborted) return true;
    if (maxRetries >= 0 && this.failures > maxRetries) return true;
    return timeoutMs >= 0 && this.firstFailureAt !== null && Date.now() - this.firstFailureAt >= timeoutMs;
  }

  /**
   * Records a failure; when the policy allows another attempt, tells `onRetry` (attempt
   * number, delay) and waits. False, without waiting, when the policy is exhausted or
   * the task stops.
   */
  async failed(onRetry?: (attempt: number, delayMs: number) => void): Promise<boolean> {
    this.firstFailureAt ??= Date.now();
    this.failures++;
    if (this.exhausted) return false;
    let delay = backoffDelay(this.failures - 1, this.policy);
    const { timeoutMs = -1 } = this.policy;
    if (timeoutMs >= 0) delay = Math.max(0, Math.min(delay, timeoutMs - (Date.now() - this.firstFailureAt)));
    onRetry?.(this.failures, delay);
    await sleep(delay, this.signal);
    return !this.signal.aborted;
  }

  /** The operation succeeded: the next failure starts from the first delay again. */
  reset(): void {
    this.failures = 0;
    this.firstFailureAt = null;
  }
}

export function backoff(policy: BackoffPolicy, signal: AbortSignal): Backoff {
  return new Backoff(policy, signal);
}

/**
 * Runs `operation`, retrying what the error policy (`isRetriable`) accepts while the
 * backoff policy allows; `onRetry` hears each failure that will be retried.
 */
export async function withRetries<T>(
  operation: () => Promise<T>,
  options: {
    readonly policy: BackoffPolicy;
    readonly signal: AbortSignal;
    readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  },
): Promise<T> {
  const retries = backoff(options.policy, options.signal);
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetriable(error)) throw error;
      const again = await retries.failed((attempt, delayMs) => options.onRetry?.(error, attempt, delayMs));
      if (!again) throw error;
    }
  }
}
