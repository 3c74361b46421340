/**
 * Parallel snapshot reading with one emitter: readers take chunks in plan order (from a
 * list, or from a planner that yields chunks as it finds them, so reading starts before a
 * large table is cut completely) and fetch their pages concurrently, while the caller
 * receives every page in plan order (chunk by chunk, each chunk's pages in order). So a
 * table's rows reach the event dispatcher contiguously, and what was emitted is always a
 * prefix of the plan: an offset naming the last emitted position claims only work that
 * was emitted completely.
 *
 * Memory is bounded: each reader buffers at most `pagesPerReader` pages. That cannot
 * deadlock: a reader takes chunks in plan order, so while the caller waits for chunk k,
 * the reader of chunk k holds pages of chunk k only, and the caller drains them.
 */

/** What the caller receives: a page of a chunk, or the end of a chunk (after its last page). */
export type OrderedChunkItem<Chunk, Page> =
  | { readonly kind: 'page'; readonly chunk: Chunk; readonly index: number; readonly page: Page }
  | { readonly kind: 'end'; readonly chunk: Chunk; readonly index: number };

/**
 * Reads one chunk's pages on reader `reader` (its own connection). A stop ends it at its
 * next page: the reader's buffer refuses the page and the iterator is closed.
 */
export type ChunkPageReader<Chunk, Page> = (chunk: Chunk, reader: number) => AsyncIterable<Page>;

export interface OrderedChunkOptions {
  readonly readers: number;
  readonly pagesPerReader: number;
}

/** Yields every chunk's pages in plan order; leaving the loop early stops the readers and the planner. */
export async function* readChunksInOrder<Chunk, Page>(
  chunks: Iterable<Chunk> | AsyncIterable<Chunk>,
  read: ChunkPageReader<Chunk, Page>,
  options: OrderedChunkOptions,
): AsyncGenerator<OrderedChunkItem<Chunk, Page>> {
  const run = new ReaderPool(chunks, read, options);
  try {
    for (let index = 0; ; index++) {
      const buffer = await run.ownerOf(index);
      if (buffer === null) return;
      for (;;) {
        const item = await buffer.take();
        yield item;
        if (item.kind === 'end') break;
      }
    }
  } finally {
    await run.stop();
  }
}

/** The buffer of the reader that took a chunk; null past the plan's last chunk. */
type Owner<Chunk, Page> = PageBuffer<OrderedChunkItem<Chunk, Page>> | null;

/** The readers, the chunk each took, and their buffers. */
class ReaderPool<Chunk, Page> {
  private readonly plan: AsyncIterator<Chunk>;
  private taken = 0;
  private failure: { readonly error: unknown } | null = null;
  private readonly stopping = new AbortController();
  /** By chunk index, until the caller asked for it. */
  private readonly owners = new Map<number, Deferred<Owner<Chunk, Page>>>();
  private readonly buffers: PageBuffer<OrderedChunkItem<Chunk, Page>>[];
  private readonly readers: Promise<void>[];

  constructor(
    chunks: Iterable<Chunk> | AsyncIterable<Chunk>,
    private readonly read: ChunkPageReader<Chunk, Page>,
    options: OrderedChunkOptions,
  ) {
    this.plan = asyncIterator(chunks);
    const count = Math.max(1, options.readers);
    this.buffers = Array.from({ length: count }, () => new PageBuffer(options.pagesPerReader));
    this.readers = this.buffers.map((buffer, reader) => this.runReader(reader, buffer));
  }

  /** The buffer of the reader that took chunk `index` (chunks are taken in order). */
  ownerOf(index: number): Promise<Owner<Chunk, Page>> {
    // Forgotten once settled: its reader resolved it already, nobody else asks.
    return this.owner(index).promise.finally(() => this.owners.delete(index));
  }

  async stop(): Promise<void> {
    this.stopAll(new Error('the snapshot readers stopped'));
    await Promise.allSettled(this.readers);
    await this.plan.return?.();
  }

  private owner(index: number): Deferred<Owner<Chunk, Page>> {
    let owner = this.owners.get(index);
    if (owner === undefined) {
      owner = deferred();
      if (this.failure !== null) owner.reject(this.failure.error);
      this.owners.set(index, owner);
    }
    return owner;
  }

  private async runReader(reader: number, buffer: PageBuffer<OrderedChunkItem<Chunk, Page>>): Promise<void> {
    const signal = this.stopping.signal;
    try {
      while (!signal.aborted) {
        // Taken before the planner answers: its answers come in the order they were asked for.
        const index = this.taken++;
        const next = await this.plan.next();
        if (next.done === true) {
          this.owner(index).resolve(null);
          return;
        }
        if (signal.aborted) return;
        const chunk = next.value;
        this.owner(index).resolve(buffer);
        for await (const page of this.read(chunk, reader)) {
          await buffer.put({ kind: 'page', chunk, index, page });
        }
        await buffer.put({ kind: 'end', chunk, index });
      }
    } catch (error) {
      if (signal.aborted) return;
      // The first failure (a reader's or the planner's) ends every wait of the caller with it.
      this.failure = { error };
      for (const owner of this.owners.values()) owner.reject(error);
      this.stopAll(error);
    }
  }

  private stopAll(reason: unknown): void {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    for (const buffer of this.buffers) buffer.stop(reason);
  }
}

function asyncIterator<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in items) return items[Symbol.asyncIterator]();
  return (async function* () {
    yield* items;
  })();
}

/** A bounded FIFO between one reader and the caller; `put` waits while full, `take` while empty. */
class PageBuffer<Item> {
  private readonly items: Item[] = [];
  private stopped: { readonly reason: unknown } | null = null;
  private wakeTaker: (() => void) | null = null;
  private wakePutter: (() => void) | null = null;

  constructor(private readonly capacity: number) {}

  async put(item: Item): Promise<void> {
    for (;;) {
      if (this.stopped !== null) throw this.stopped.reason;
      if (this.items.length < this.capacity) break;
      await new Promise<void>((resolve) => (this.wakePutter = resolve));
    }
    this.items.push(item);
    this.wakeTaker?.();
  }

  /** The next item; after a stop, the stop's reason (a reader's failure) instead. */
  async take(): Promise<Item> {
    for (;;) {
      if (this.stopped !== null) throw this.stopped.reason;
      const item = this.items.shift();
      if (item !== undefined) {
        this.wakePutter?.();
        return item;
      }
      await new Promise<void>((resolve) => (this.wakeTaker = resolve));
    }
  }

  stop(reason: unknown): void {
    this.stopped = { reason };
    this.wakeTaker?.();
    this.wakePutter?.();
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejected for every chunk at a failure; only the awaited one is observed.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
