import type { Converter } from '../converters/converter.js';
import type { Logger } from '../logging/logger.js';
import type { ParsedConfig } from '../plugin/index.js';
import type { Transform } from '../transforms/transform.js';
import type { ErrorPolicy } from './error-policy.js';

/** What the worker gives every task runner, source or sink. */
export interface TaskRunnerOptions {
  readonly connector: string;
  readonly taskId: number;
  readonly config: ParsedConfig;
  readonly keyConverter: Converter;
  readonly valueConverter: Converter;
  readonly transform: Transform | null;
  readonly errors: ErrorPolicy;
  readonly logger: Logger;
  readonly onTopic: (topic: string) => Promise<void>;
  readonly onProgress: (progress: Readonly<Record<string, string | number>>) => void;
  /** A transient failure is being retried in the background; onRecovered once it passed. */
  readonly onRetrying: (error: unknown, attempt: number) => void;
  readonly onRecovered: () => void;
}

/**
 * The part of running a task that sources and sinks share (Kafka Connect's WorkerTask):
 * start once, stop on request, fail with the first error, and tell the status when a
 * retry is shown and when it is over.
 */
export abstract class TaskRunner<Options extends TaskRunnerOptions> {
  protected readonly stopping = new AbortController();
  protected readonly labels: { connector: string; task: string };
  protected failure: unknown = null;
  private showsRetry = false;
  private finished: Promise<void> | null = null;

  constructor(protected readonly options: Options) {
    this.labels = { connector: options.connector, task: String(options.taskId) };
  }

  /** Starts the task; the promise settles when it stopped (rejects with the failure). */
  start(): Promise<void> {
    this.finished ??= this.runAll();
    return this.finished;
  }

  /** Asks the task to stop; resolves once it drained and committed what it could. */
  stop(): Promise<void> {
    this.stopping.abort();
    this.wake();
    return (this.finished ?? Promise.resolve()).catch(() => undefined);
  }

  protected abstract runAll(): Promise<void>;

  /** Called when the task must stop: a runner waiting on something ends the wait. */
  protected wake(): void {}

  protected fail(error: unknown): void {
    this.failure ??= error;
    this.stopping.abort();
    this.wake();
  }

  protected reportRetrying(error: unknown, attempt: number): void {
    this.showsRetry = true;
    this.options.onRetrying(error, attempt);
  }

  /** The retry shown in the status is over. */
  protected recovered(): void {
    if (!this.showsRetry) return;
    this.showsRetry = false;
    this.options.onRecovered();
  }
}
