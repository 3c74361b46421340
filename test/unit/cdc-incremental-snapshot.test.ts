import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cdcConfigKeys,
  ChunkWindow,
  decodeBlockingSnapshotOf,
  decodeCapturedTables,
  encodeCapturedTables,
  decodeIncrementalContext,
  EventDispatcher,
  encodeIncrementalContext,
  IncrementalSnapshot,
  keyIdentity,
  newBlockingContext,
  parseSignalChannels,
  watermarkId,
  type ChunkKey,
  type IncrementalSnapshotStart,
  type IncrementalTableReader,
  type NewTablesSnapshotMode,
  type WatermarkKind,
} from '../../runtime/cdc/index.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import { ConfigError } from '../../runtime/plugin/index.js';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { quietLogger, TestMetrics } from '../support/plugin-test-kit.js';

function row(topic: string, id: number, v = 0): SourceRecord {
  return {
    topic,
    keySchema: null,
    key: { id },
    valueSchema: null,
    value: { op: 'r', after: { id, v }, source: { snapshot: 'incremental' } },
    timestamp: 0,
    sourcePartition: { server: 'it' },
    sourceOffset: {},
  };
}

describe('incremental snapshot: the chunk window (watermarks)', () => {
  const rows = [row('t', 1), row('t', 2), row('t', 3)];

  it('a change streamed between the watermarks replaces its key; one before the open watermark does not', () => {
    const window = new ChunkWindow('c1', 't', rows, ['3']);
    window.streamed(row('t', 1, 5));
    assert.equal(window.size, 3, 'a change before the open watermark is older than the read');
    assert.equal(window.watermark('snapshot-window-open', watermarkId('c1', 'snapshot-window-open')), 'open');
    window.streamed(row('t', 2, 7));
    window.streamed(row('other', 3, 7));
    assert.equal(
      window.watermark('snapshot-window-close', watermarkId('c1', 'snapshot-window-close')),
      'close',
    );
    assert.deepEqual(
      window.remaining().map((r) => (r.key as { id: number }).id),
      [1, 3],
    );
  });

  it('a truncate inside the window empties the buffer', () => {
    const window = new ChunkWindow('c3', 't', rows, ['3']);
    window.truncated('t');
    assert.equal(window.size, 3);
    window.watermark('snapshot-window-open', watermarkId('c3', 'snapshot-window-open'));
    window.truncated('other');
    assert.equal(window.size, 3);
    window.truncated('t');
    assert.equal(window.size, 0);
  });

  it("another chunk's watermarks (a run before a restart) are not this window's", () => {
    const window = new ChunkWindow('c2', 't', rows, ['3']);
    assert.equal(
      window.watermark('snapshot-window-open', watermarkId('c1', 'snapshot-window-open')),
      'other',
    );
    assert.equal(
      window.watermark('snapshot-window-close', watermarkId('c2', 'snapshot-window-close')),
      'other',
    );
    assert.equal(window.isOpen, false);
  });

  it('keys compare by value, bigints and bytes included', () => {
    assert.equal(
      keyIdentity({ id: 10n, b: Buffer.from('ab') }),
      keyIdentity({ id: 10n, b: Buffer.from('ab') }),
    );
    assert.notEqual(keyIdentity({ id: 10n }), keyIdentity({ id: '10' }));
  });
});

describe('incremental snapshot: context and config', () => {
  it('round-trips its context through the offset text', () => {
    const context = {
      tables: ['public.a', 'public.b'],
      filters: { 'public.a': 'id > 3' },
      surrogateKeys: { 'public.b': 'seq' },
      lastKey: ['7'],
      maxKey: ['99'],
      paused: true,
      rowsDone: 12,
    };
    assert.deepEqual(decodeIncrementalContext(encodeIncrementalContext(context)), context);
    assert.equal(encodeIncrementalContext(null), null);
    assert.equal(decodeIncrementalContext(undefined), null);
  });

  it('signal.enabled.channels: source and kafka; rest is always on; others refused by name', () => {
    assert.deepEqual([...parseSignalChannels('source,rest')], ['source']);
    assert.deepEqual([...parseSignalChannels([])], []);
    assert.deepEqual([...parseSignalChannels('source,kafka')], ['source', 'kafka']);
    assert.throws(() => parseSignalChannels('jmx'), /"jmx" is not a channel; use source, kafka/);
  });
});

/** A table of ids 1..n read in chunks, and a stream that delivers the watermarks written. */
class FakeSource {
  readonly watermarks: { kind: WatermarkKind; id: string }[] = [];
  readonly emitted: SourceRecord[] = [];
  readonly progress: Readonly<Record<string, string | number>>[] = [];
  ids: number[];

  constructor(rows: number) {
    this.ids = Array.from({ length: rows }, (_, i) => i + 1);
  }

  snapshot(
    chunkSize: number,
    context: string | null = null,
    start: Omit<IncrementalSnapshotStart, 'context'> = { capturedTables: null, capturing: ['public.t'] },
    snapshotNewTables: NewTablesSnapshotMode = 'off',
    signalDataCollection: string | null = 'public.signal',
  ): IncrementalSnapshot {
    const reader: IncrementalTableReader = {
      topic: 't',
      estimatedRows: async () => this.ids.length,
      maxKey: async () => {
        const max = this.ids.at(-1);
        return max === undefined ? null : [String(max)];
      },
      readChunk: async (after: ChunkKey | null, upTo: ChunkKey, limit: number) => {
        const from = after === null ? 0 : Number(after[0]);
        const chunk = this.ids.filter((id) => id > from && id <= Number(upTo[0])).slice(0, limit);
        if (chunk.length === 0) return null;
        return { records: chunk.map((id) => row('t', id)), lastKey: [String(chunk.at(-1))] };
      },
    };
    return new IncrementalSnapshot(
      {
        signalDataCollection,
        signalChannels: new Set(['source']),
        incrementalSnapshotChunkSize: chunkSize,
        snapshotNewTables,
      },
      {
        table: async (name) => (name === 'public.t' ? reader : 'it has no primary key'),
        writeWatermark: async (kind, id) => {
          this.watermarks.push({ kind, id });
        },
        offsetAt: ({ incremental, capturedTables }): SourceOffset => ({
          ...(incremental === null ? {} : { incremental }),
          captured: capturedTables,
        }),
      },
      // One record per batch: what the snapshot emits is in `emitted` at once.
      new EventDispatcher(
        {
          topicPrefix: 'it',
          skippedOperations: new Set(),
          tombstonesOnDelete: false,
          provideTransactionMetadata: false,
          heartbeatIntervalMs: 0,
          heartbeatTopicsPrefix: '__debezium-heartbeat',
          maxBatchSize: 1,
          notificationTopic: null,
          notificationsLogged: false,
        },
        { emit: async (records) => void this.emitted.push(...records) },
        { server: 'it' },
        { countEvents: () => undefined, batchEmitted: () => undefined },
      ),
      {
        logger: quietLogger,
        metrics: new TestMetrics(),
        connectorName: 'unit',
        reportProgress: (p) => void this.progress.push(p),
        signal: new AbortController().signal,
      },
      { ...start, context },
    );
  }

  /** Streams the watermarks written so far, in order, as the change stream would. */
  async stream(snapshot: IncrementalSnapshot, between?: () => void): Promise<void> {
    while (this.watermarks.length > 0) {
      const next = this.watermarks.shift()!;
      await snapshot.signalRow(next.id, next.kind, null);
      if (next.kind === 'snapshot-window-open') between?.();
    }
  }
}

const execute = (tables: string[]) => ({
  id: 's1',
  type: 'execute-snapshot',
  data: { type: 'incremental', 'data-collections': tables },
  channel: 'rest',
});

describe('incremental snapshot: the signals', () => {
  it('reads every chunk, the last row of each carrying the context past it', async () => {
    const source = new FakeSource(10);
    const snapshot = source.snapshot(4);
    await snapshot.signal(execute(['public.t']));
    await source.stream(snapshot);
    assert.deepEqual(
      source.emitted.map((r) => (r.key as { id: number }).id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    const contextOf = (i: number) => decodeIncrementalContext(source.emitted[i]!.sourceOffset['incremental']);
    assert.equal(contextOf(2)?.lastKey, null, 'rows before the chunk end resume at the chunk start');
    assert.deepEqual(contextOf(3)?.lastKey, ['4']);
    assert.deepEqual(contextOf(9)?.lastKey, ['10'], 'a restart after the last row only finds the table done');
    assert.equal(snapshot.contextText, null);
    assert.equal(source.progress.at(-1)?.['phase'], 'streaming');
  });

  it('a streamed change of a key in the open window drops the buffered row', async () => {
    const source = new FakeSource(3);
    const snapshot = source.snapshot(10);
    await snapshot.signal(execute(['public.t']));
    await source.stream(snapshot, () => snapshot.streamed(row('t', 2, 9)));
    assert.deepEqual(
      source.emitted.map((r) => (r.key as { id: number }).id),
      [1, 3],
    );
  });

  it('pause holds the next chunk, resume reads it, stop drops the chunk in flight', async () => {
    const source = new FakeSource(10);
    const snapshot = source.snapshot(2);
    await snapshot.signal(execute(['public.t']));
    await snapshot.signal({ id: 'p', type: 'pause-snapshot', data: null, channel: 'rest' });
    await source.stream(snapshot);
    assert.equal(source.emitted.length, 2, 'the chunk in flight completes');
    assert.equal(source.watermarks.length, 0, 'no chunk read while paused');
    await snapshot.signal({ id: 'r', type: 'resume-snapshot', data: null, channel: 'rest' });
    assert.equal(source.watermarks.length, 2);
    await snapshot.signal({ id: 'x', type: 'stop-snapshot', data: null, channel: 'rest' });
    await source.stream(snapshot);
    assert.equal(source.emitted.length, 2);
    assert.equal(snapshot.contextText, null);
  });

  it('resumes from a stored context after its last key', async () => {
    const source = new FakeSource(6);
    const stored = encodeIncrementalContext({
      tables: ['public.t'],
      filters: {},
      surrogateKeys: {},
      lastKey: ['4'],
      maxKey: ['6'],
      paused: false,
      rowsDone: 4,
    });
    const snapshot = source.snapshot(10, stored);
    await snapshot.resume();
    await source.stream(snapshot);
    assert.deepEqual(
      source.emitted.map((r) => (r.key as { id: number }).id),
      [5, 6],
    );
  });

  it('skips a table it cannot read', async () => {
    const source = new FakeSource(2);
    const snapshot = source.snapshot(10);
    await snapshot.signal(execute(['public.nokey', 'public.t']));
    await source.stream(snapshot);
    assert.equal(source.emitted.length, 2);
  });

  it('a blocking snapshot reads the tables at once, without watermarks, with the snapshot markers', async () => {
    const source = new FakeSource(5);
    const snapshot = source.snapshot(2);
    await snapshot.signal({
      id: 'b',
      type: 'execute-snapshot',
      data: {
        type: 'blocking',
        'data-collections': ['public.t'],
        'additional-conditions': [{ 'data-collection': 'public.t', filter: 'id > 0' }],
      },
      channel: 'rest',
    });
    assert.equal(source.watermarks.length, 0);
    const markers = source.emitted.map((r) => (r.value as { source: { snapshot: string } }).source.snapshot);
    assert.equal(source.emitted.length, 5);
    assert.deepEqual(markers, ['first', 'true', 'true', 'true', 'last']);
    assert.equal(source.progress.at(-1)?.['phase'], 'streaming');
  });

  const blocking = (id: string) => ({
    id,
    type: 'execute-snapshot',
    data: { type: 'blocking', 'data-collections': ['public.t'] },
    channel: 'source',
  });

  it('a blocking snapshot keeps its place in the offsets: the rows of a chunk its start, its last row past it', async () => {
    const source = new FakeSource(5);
    const snapshot = source.snapshot(2);
    await snapshot.signal(blocking('b1'));
    const contextOf = (i: number) => decodeBlockingSnapshotOf(source.emitted[i]!.sourceOffset['incremental']);
    assert.equal(contextOf(0)?.lastKey, null);
    assert.deepEqual(contextOf(1)?.lastKey, ['2']);
    assert.deepEqual(contextOf(2)?.lastKey, ['2']);
    assert.deepEqual(contextOf(3)?.lastKey, ['4']);
    assert.equal(contextOf(4), null, 'after the last row there is nothing to resume');
    assert.equal(snapshot.contextText, null);
  });

  it('a restarted task resumes a blocking snapshot after its last key, and does not take its signal again', async () => {
    const source = new FakeSource(6);
    const stored = encodeIncrementalContext(null, {
      ...newBlockingContext('b1', [{ table: 'public.t', filter: null, surrogateKey: null }]),
      lastKey: ['4'],
      maxKey: ['6'],
      rowsDone: 4,
    });
    const snapshot = source.snapshot(10, stored);
    assert.equal(snapshot.contextText, stored, 'offsets built before it goes on keep it');
    await snapshot.resume();
    const ids = () => source.emitted.map((r) => (r.key as { id: number }).id);
    assert.deepEqual(ids(), [5, 6]);
    const markers = source.emitted.map((r) => (r.value as { source: { snapshot: string } }).source.snapshot);
    assert.deepEqual(markers, ['true', 'last']);
    // The stream, restarted where it was when the signal came, passes the signal again.
    await snapshot.signal(blocking('b1'));
    assert.deepEqual(ids(), [5, 6]);
    await snapshot.signal(blocking('b2'));
    assert.equal(source.emitted.length, 8, 'a new signal is taken');
  });
});

describe('incremental snapshot: tables new to the filters (snapshot.new.tables)', () => {
  const before = encodeCapturedTables(['public.a']);

  it('the captured tables are kept sorted, once each; an absent or foreign field reads as none', () => {
    assert.equal(encodeCapturedTables(['public.b', 'public.a', 'public.b']), '["public.a","public.b"]');
    assert.deepEqual(decodeCapturedTables('["public.a"]'), ['public.a']);
    assert.equal(decodeCapturedTables(undefined), null);
    assert.equal(decodeCapturedTables('{}'), null);
  });

  it('incremental: a table the stored offset did not capture is snapshotted, its offsets carry the new set', async () => {
    const source = new FakeSource(5);
    const snapshot = source.snapshot(
      2,
      null,
      { capturedTables: before, capturing: ['public.a', 'public.t'] },
      'incremental',
    );
    assert.deepEqual(snapshot.newTables, ['public.t']);
    assert.deepEqual(
      decodeIncrementalContext(snapshot.contextText)?.tables,
      ['public.t'],
      'queued before any offset is built',
    );
    assert.deepEqual(decodeCapturedTables(snapshot.offsetFields.capturedTables), ['public.a', 'public.t']);
    await snapshot.resume();
    await source.stream(snapshot);
    assert.deepEqual(
      source.emitted.map((r) => (r.key as { id: number }).id),
      [1, 2, 3, 4, 5],
    );
    for (const record of source.emitted) {
      assert.equal(record.sourceOffset['captured'], '["public.a","public.t"]');
    }
    assert.equal(snapshot.contextText, null);
  });

  it('queues after the tables of a snapshot restored from the offset', () => {
    const source = new FakeSource(5);
    const stored = encodeIncrementalContext({
      tables: ['public.c'],
      filters: {},
      surrogateKeys: {},
      lastKey: ['2'],
      maxKey: ['9'],
      paused: false,
      rowsDone: 2,
    });
    const snapshot = source.snapshot(
      2,
      stored,
      { capturedTables: before, capturing: ['public.a', 'public.t'] },
      'incremental',
    );
    const context = decodeIncrementalContext(snapshot.contextText);
    assert.deepEqual(context?.tables, ['public.c', 'public.t']);
    assert.deepEqual(context?.lastKey, ['2']);
  });

  it('no stored set (a first start, after a snapshot), off, or a removed table: nothing is queued', () => {
    const source = new FakeSource(5);
    const first = source.snapshot(
      2,
      null,
      { capturedTables: undefined, capturing: ['public.t'] },
      'incremental',
    );
    assert.deepEqual(first.newTables, []);
    assert.equal(first.contextText, null);
    const off = source.snapshot(
      2,
      null,
      { capturedTables: before, capturing: ['public.a', 'public.t'] },
      'off',
    );
    assert.deepEqual(off.newTables, ['public.t']);
    assert.equal(off.contextText, null);
    const removed = source.snapshot(2, null, { capturedTables: before, capturing: [] }, 'incremental');
    assert.equal(removed.contextText, null);
    assert.equal(removed.offsetFields.capturedTables, '[]');
  });

  it('a table the stream met that the start did not list joins the captured tables without a snapshot', () => {
    const source = new FakeSource(5);
    const snapshot = source.snapshot(
      2,
      null,
      { capturedTables: before, capturing: ['public.a'] },
      'incremental',
    );
    snapshot.tableCreated('public.created');
    snapshot.tableCreated('public.a');
    assert.deepEqual(decodeCapturedTables(snapshot.offsetFields.capturedTables), [
      'public.a',
      'public.created',
    ]);
    assert.equal(snapshot.contextText, null);
  });

  it('the config: off by default; incremental without signal.data.collection is refused on the key', () => {
    const parse = (raw: Record<string, string>) =>
      parseConfig(cdcConfigKeys, { 'topic.prefix': 'it', ...raw });
    assert.equal(parse({}).values['snapshot.new.tables'], 'off');
    assert.deepEqual(parse({ 'snapshot.new.tables': 'incremental' }).errors.get('snapshot.new.tables'), [
      'snapshot.new.tables=incremental reads new tables with an incremental snapshot, which writes its watermarks into the signal table: set signal.data.collection, or set snapshot.new.tables=off',
    ]);
    const valid = parse({ 'snapshot.new.tables': 'INCREMENTAL', 'signal.data.collection': 'public.signal' });
    assert.equal(valid.errors.size, 0);
    assert.equal(valid.values['snapshot.new.tables'], 'incremental');
    assert.ok(parse({ 'snapshot.new.tables': 'parallel' }).errors.has('snapshot.new.tables'));
  });

  it('incremental without a signal table fails naming the key and the fix', () => {
    const source = new FakeSource(5);
    assert.throws(
      () =>
        source.snapshot(
          2,
          null,
          { capturedTables: before, capturing: ['public.a', 'public.t'] },
          'incremental',
          null,
        ),
      (error: unknown) =>
        error instanceof ConfigError &&
        /set signal\.data\.collection, or set snapshot\.new\.tables=off/.test(error.message),
    );
  });
});
