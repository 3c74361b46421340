import { ConflictError } from '../plugin/errors.js';
import type { SignalInbox, SourceSignal } from '../plugin/index.js';

/** Signals a task has not taken yet; past this many, senders are refused rather than queued without bound. */
const maxWaiting = 100;

/** A source task's inbox for signals the runtime delivers (REST); bounded. */
export class BoundedSignalInbox implements SignalInbox {
  private waiting: SourceSignal[] = [];
  private readonly wakers = new Set<() => void>();

  constructor(private readonly owner: string) {}

  deliver(signal: SourceSignal): void {
    if (this.waiting.length >= maxWaiting) {
      throw new ConflictError(
        `${this.owner} has ${maxWaiting} signals it has not taken yet; send more once it has caught up`,
      );
    }
    this.waiting.push(signal);
    for (const wake of this.wakers) wake();
  }

  take(): SourceSignal[] {
    const taken = this.waiting;
    this.waiting = [];
    return taken;
  }

  async waitForSignal(signal: AbortSignal): Promise<void> {
    if (this.waiting.length > 0 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.wakers.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
