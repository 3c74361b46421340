import { SiphonError } from '../plugin/errors.js';

/** Thrown by `push` once the queue is closed: the task is stopping. */
export class QueueClosedError extends SiphonError {
  override readonly name: string = 'QueueClosedError';

  constructor(message: string) {
    super(message, false);
  }
}

export interface ByteBound<T> {
  /** Most bytes queued at once; 0: no byte bound. */
  readonly maxBytes: number;
  readonly sizeOf: (item: T) => number;
}

/**
 * The queue between a source task and the runtime's producer loop, bounded by item count
 * and, optionally, by the items' approximate bytes. `push` waits while the queue is full
 * (backpressure on the task); an item larger than the byte bound still passes once the
 * queue is empty, so it cannot wait forever. `take` waits for at least one item and
 * returns up to `max`. Closing wakes every waiter.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  /** The byte size of each item, aligned with `items` (empty without a byte bound). */
  private sizes: number[] = [];
  private head = 0;
  private queuedBytes = 0;
  private closed = false;
  private spaceWaiters: (() => void)[] = [];
  private itemWaiters: (() => void)[] = [];
  private readonly bytes: ByteBound<T> | null;

  constructor(
    readonly capacity: number,
    bytes: ByteBound<T> | null = null,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`queue capacity must be >= 1, got ${capacity}`);
    if (bytes && (!Number.isInteger(bytes.maxBytes) || bytes.maxBytes < 0))
      throw new Error(`queue byte capacity must be >= 0, got ${bytes.maxBytes}`);
    this.bytes = bytes && bytes.maxBytes > 0 ? bytes : null;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Approximate bytes queued (0 without a byte bound). */
  get byteSize(): number {
    return this.queuedBytes;
  }

  async push(items: readonly T[]): Promise<void> {
    for (const item of items) {
      const bytes = this.bytes?.sizeOf(item) ?? 0;
      while (this.isFullFor(bytes) && !this.closed) {
        await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      }
      if (this.closed) throw new QueueClosedError('the task is stopping; no more records are accepted');
      this.items.push(item);
      if (this.bytes) {
        this.sizes.push(bytes);
        this.queuedBytes += bytes;
      }
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
    const end = this.head + Math.min(max, this.size);
    const taken = this.items.slice(this.head, end);
    if (this.bytes) for (let i = this.head; i < end; i++) this.queuedBytes -= this.sizes[i]!;
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
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

  private isFullFor(bytes: number): boolean {
    if (this.size >= this.capacity) return true;
    return this.bytes !== null && this.size > 0 && this.queuedBytes + bytes > this.bytes.maxBytes;
  }

  private wake(waiters: (() => void)[]): void {
    const all = waiters.splice(0);
    for (const resolve of all) resolve();
  }
}
