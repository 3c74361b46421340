import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fromSourceOffset,
  initialPosition,
  toSourceOffset,
} from '../../connectors/source-postgres/lsn-offset.js';
import { keyRanges, pageRanges, splits } from '../../connectors/source-postgres/snapshot-plan.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('PostgreSQL parallel snapshot: chunk planning', () => {
  it('splits only tables estimated above the chunk size', () => {
    assert.equal(splits(0, 1000), false);
    assert.equal(splits(1000, 1000), false);
    assert.equal(splits(1001, 1000), true);
  });

  it('lets the key walk decide for a table never analyzed, and reads such a keyless table as one range', () => {
    assert.equal(splits(null, 1000), true);
    assert.deepEqual(pageRanges(0, 500, null, 1000), [{ kind: 'pages', fromPage: 0, toPage: null }]);
  });

  it('cuts key ranges at the boundaries, open at both ends of the table', async () => {
    assert.deepEqual(await collect(keyRanges(null, [])), [{ kind: 'keys', after: null, upTo: null }]);
    assert.deepEqual(await collect(keyRanges(null, [['10'], ['20']])), [
      { kind: 'keys', after: null, upTo: ['10'] },
      { kind: 'keys', after: ['10'], upTo: ['20'] },
      { kind: 'keys', after: ['20'], upTo: null },
    ]);
  });

  it('starts the key ranges of a resumed table after its last committed key', async () => {
    assert.deepEqual(await collect(keyRanges(['a', '5'], [['b', '1']])), [
      { kind: 'keys', after: ['a', '5'], upTo: ['b', '1'] },
      { kind: 'keys', after: ['b', '1'], upTo: null },
    ]);
  });

  it('gives each key range as soon as the walk found its boundary', async () => {
    const found: string[] = [];
    async function* walk(): AsyncGenerator<readonly string[]> {
      for (const key of ['10', '20']) {
        found.push(key);
        yield [key];
      }
    }
    const ranges = keyRanges(null, walk());
    assert.deepEqual((await ranges.next()).value, { kind: 'keys', after: null, upTo: ['10'] });
    assert.deepEqual(found, ['10'], 'the second boundary is not looked for yet');
  });

  it('cuts a table without a primary key into page ranges of about the chunk size, the last one open', () => {
    // 100 pages of 50 rows: 1000-row chunks are 20 pages.
    const ranges = pageRanges(0, 100, 5000, 1000);
    assert.deepEqual(
      ranges.map((r) => [r.fromPage, r.toPage]),
      [
        [0, 20],
        [20, 40],
        [40, 60],
        [60, 80],
        [80, null],
      ],
    );
  });

  it('reads a small or resumed-at-the-end table as one open page range', () => {
    assert.deepEqual(pageRanges(0, 10, 500, 1000), [{ kind: 'pages', fromPage: 0, toPage: null }]);
    assert.deepEqual(pageRanges(0, 0, 0, 1000), [{ kind: 'pages', fromPage: 0, toPage: null }]);
    // Resumed past the pages counted now (the table shrank): what is left is read all the same.
    assert.deepEqual(pageRanges(120, 100, 5000, 1000), [{ kind: 'pages', fromPage: 120, toPage: null }]);
  });

  it('resumes page ranges where the committed position says', () => {
    assert.deepEqual(
      pageRanges(40, 100, 5000, 1000).map((r) => [r.fromPage, r.toPage]),
      [
        [40, 60],
        [60, 80],
        [80, null],
      ],
    );
  });

  it('gives a page at least one chunk when rows are wider than a chunk', () => {
    assert.deepEqual(
      pageRanges(0, 3, 3000, 10).map((r) => [r.fromPage, r.toPage]),
      [
        [0, 1],
        [1, 2],
        [2, null],
      ],
    );
  });
});

describe('PostgreSQL snapshot offset', () => {
  const snapshot = { inProgress: true, completed: false, table: 'public.t', lastKey: null };

  it('keeps the one-thread layout: no page fields unless pages were recorded', () => {
    const offset = toSourceOffset({ position: initialPosition, snapshot });
    assert.equal('snapshot_page' in offset, false);
    assert.equal('snapshot_relfilenode' in offset, false);
    assert.equal(fromSourceOffset(offset).snapshot.pagesDone, null);
  });

  it('round-trips the pages a parallel snapshot emitted in a table without a primary key', () => {
    const offset = toSourceOffset({
      position: initialPosition,
      snapshot: { ...snapshot, pagesDone: { relfilenode: 16384, page: 40 } },
    });
    assert.equal(offset['snapshot_page'], 40);
    assert.deepEqual(fromSourceOffset(offset).snapshot.pagesDone, { relfilenode: 16384, page: 40 });
  });
});
