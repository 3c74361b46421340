import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readChunksInOrder } from '../../runtime/cdc/index.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Chunk `c` has `pages` pages `c.0`, `c.1`, …; later chunks are quicker to read. */
interface Chunk {
  readonly name: string;
  readonly pages: number;
  readonly delayMs: number;
}

describe('readChunksInOrder', () => {
  it('gives every page in plan order, each chunk closed by its end, whichever reader is faster', async () => {
    const chunks: Chunk[] = [
      { name: 'a', pages: 3, delayMs: 15 },
      { name: 'b', pages: 0, delayMs: 0 },
      { name: 'c', pages: 2, delayMs: 1 },
      { name: 'd', pages: 4, delayMs: 0 },
      { name: 'e', pages: 1, delayMs: 5 },
    ];
    const readers = new Set<number>();
    const seen: string[] = [];
    const items = readChunksInOrder(
      chunks,
      async function* (chunk, reader) {
        readers.add(reader);
        for (let p = 0; p < chunk.pages; p++) {
          await pause(chunk.delayMs);
          yield `${chunk.name}.${p}`;
        }
      },
      { readers: 3, pagesPerReader: 2 },
    );
    for await (const item of items) seen.push(item.kind === 'page' ? item.page : `${item.chunk.name}!`);
    assert.deepEqual(seen, [
      'a.0',
      'a.1',
      'a.2',
      'a!',
      'b!',
      'c.0',
      'c.1',
      'c!',
      'd.0',
      'd.1',
      'd.2',
      'd.3',
      'd!',
      'e.0',
      'e!',
    ]);
    assert.deepEqual([...readers].sort(), [0, 1, 2]);
  });

  it('keeps at most pagesPerReader pages per reader ahead of the caller', async () => {
    const chunks: Chunk[] = Array.from({ length: 6 }, (_, i) => ({ name: String(i), pages: 10, delayMs: 0 }));
    let fetched = 0;
    let taken = 0;
    let mostAhead = 0;
    const items = readChunksInOrder(
      chunks,
      async function* (chunk) {
        for (let p = 0; p < chunk.pages; p++) {
          fetched++;
          yield p;
        }
      },
      { readers: 3, pagesPerReader: 2 },
    );
    for await (const item of items) {
      if (item.kind !== 'page') continue;
      taken++;
      mostAhead = Math.max(mostAhead, fetched - taken);
      await pause(1);
    }
    assert.equal(taken, 60);
    // Two buffered per reader, plus the one each reader holds while waiting for room.
    assert.ok(mostAhead <= 3 * 3, `${mostAhead} pages were fetched ahead`);
  });

  it("fails the caller with a reader's error", async () => {
    const chunks: Chunk[] = [
      { name: 'a', pages: 50, delayMs: 2 },
      { name: 'b', pages: 1, delayMs: 0 },
    ];
    const items = readChunksInOrder(
      chunks,
      async function* (chunk) {
        if (chunk.name === 'b') throw new Error('lost b');
        for (let p = 0; p < chunk.pages; p++) {
          await pause(chunk.delayMs);
          yield p;
        }
      },
      { readers: 2, pagesPerReader: 2 },
    );
    await assert.rejects(async () => {
      for await (const item of items) void item;
    }, /lost b/);
  });

  it('stops the readers when the caller leaves early', async () => {
    const closed: string[] = [];
    const chunks: Chunk[] = ['a', 'b', 'c'].map((name) => ({ name, pages: 100, delayMs: 0 }));
    const items = readChunksInOrder(
      chunks,
      async function* (chunk) {
        try {
          for (let p = 0; p < chunk.pages; p++) yield p;
        } finally {
          closed.push(chunk.name);
        }
      },
      { readers: 3, pagesPerReader: 2 },
    );
    let pages = 0;
    for await (const item of items) {
      if (item.kind === 'page' && ++pages === 5) break;
    }
    assert.deepEqual(closed.sort(), ['a', 'b', 'c'], 'every reader closed its chunk');
  });

  it('reads the chunks of a planner as it yields them, before the plan is complete', async () => {
    const events: string[] = [];
    async function* planner(): AsyncGenerator<Chunk> {
      for (const name of ['a', 'b', 'c']) {
        await pause(10);
        events.push(`planned ${name}`);
        yield { name, pages: 1, delayMs: 0 };
      }
    }
    const seen: string[] = [];
    for await (const item of readChunksInOrder(
      planner(),
      async function* (chunk) {
        events.push(`read ${chunk.name}`);
        yield chunk.name;
      },
      { readers: 2, pagesPerReader: 2 },
    )) {
      if (item.kind === 'page') seen.push(item.page);
    }
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.ok(events.indexOf('read a') < events.indexOf('planned c'), events.join(', '));
  });

  it("fails the caller with the planner's error, and closes the planner when the caller leaves", async () => {
    async function* failing(): AsyncGenerator<Chunk> {
      yield { name: 'a', pages: 2, delayMs: 0 };
      throw new Error('cannot plan b');
    }
    const read = async function* (chunk: Chunk) {
      for (let p = 0; p < chunk.pages; p++) yield p;
    };
    await assert.rejects(async () => {
      for await (const item of readChunksInOrder(failing(), read, { readers: 2, pagesPerReader: 2 }))
        void item;
    }, /cannot plan b/);
    let closed = false;
    async function* endless(): AsyncGenerator<Chunk> {
      try {
        for (let n = 0; ; n++) yield { name: String(n), pages: 1, delayMs: 0 };
      } finally {
        closed = true;
      }
    }
    for await (const item of readChunksInOrder(endless(), read, { readers: 2, pagesPerReader: 2 })) {
      if (item.index === 3) break;
    }
    assert.equal(closed, true, 'the planner was closed');
  });
});
