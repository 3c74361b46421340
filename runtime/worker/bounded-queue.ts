/**
 * The queue between a source task and the runtime's producer loop. `push` waits while
 * the queue is full (backpressure on the task); `take` waits for at least one item and
 * returns up to `max`. Closing wakes every waiter.
 */
export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';
}

export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private spaceWaiters: (() => void)[] = [];
  private itemWaiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`queue capacity must be >= 1, got ${capacity}`);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  async push(items: readonly T[]): Promise<void> {
    for (const item of items) {
      while (this.size >= this.capacity && !this.closed) {
        await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      }
      if (this.closed) throw new QueueClosedError('the task is stopping; no more records are accepted');
      this.items.push(item);
      this.wake(this.itemWaiters);
    }
  }

  /** Up to `max` items, waiting until one is there or `signal` aborts (then maybe []). */
  async take(max: number, signal?: AbortSignal): Promise<T[]> {
    while (this.size === 0 && !this.closed && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.itemWaiters.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
    const taken = this.items.slice(this.head, this.head + max);
    this.head += taken.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.wake(this.spaceWaiters);
    return taken;
  }

  close(): void {
    this.closed = true;
    this.wake(this.spaceWaiters);
    this.wake(this.itemWaiters);
  }

  private wake(waiters: (() => void)[]): void {
    const all = waiters.splice(0);
    for (const resolve of all) resolve();
  }
}
