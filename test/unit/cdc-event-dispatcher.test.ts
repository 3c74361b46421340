import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EventDispatcher,
  TransactionTracker,
  type ChangeEventMetrics,
  type DispatcherOptions,
  type Op,
} from '../../runtime/cdc/index.js';
import type { SourceRecord, Struct } from '../../runtime/record/index.js';

/** The runtime's queue, reduced to what the dispatcher uses: the batches it was given. */
class FakeQueue {
  readonly batches: SourceRecord[][] = [];
  emit(records: readonly SourceRecord[]): Promise<void> {
    this.batches.push([...records]);
    return Promise.resolve();
  }
  get records(): SourceRecord[] {
    return this.batches.flat();
  }
}

class FakeMetrics implements ChangeEventMetrics {
  readonly counts = new Map<Op, number>();
  lastSourceTsMs: number | undefined;
  batches = 0;
  countEvents(op: Op, count: number): void {
    this.counts.set(op, (this.counts.get(op) ?? 0) + count);
  }
  batchEmitted(_nowMs: number, sourceTsMs: number | undefined): void {
    this.batches++;
    this.lastSourceTsMs = sourceTsMs;
  }
}

const defaults: DispatcherOptions = {
  topicPrefix: 'shop',
  skippedOperations: new Set(),
  tombstonesOnDelete: true,
  provideTransactionMetadata: false,
  heartbeatIntervalMs: 0,
  heartbeatTopicsPrefix: '__debezium-heartbeat',
  maxBatchSize: 100,
  notificationTopic: null,
  notificationsLogged: false,
};

function setup(options: Partial<DispatcherOptions> = {}) {
  const queue = new FakeQueue();
  const metrics = new FakeMetrics();
  const dispatcher = new EventDispatcher({ ...defaults, ...options }, queue, { server: 'shop' }, metrics);
  return { queue, metrics, dispatcher };
}

/** A change event record of `op` with the position `n` in its offset. */
function change(op: Op, n: number, snapshot = 'false'): SourceRecord {
  const source: Struct = { snapshot };
  return {
    topic: 'shop.public.items',
    keySchema: null,
    key: { id: n },
    valueSchema: null,
    value: { op, before: null, after: { id: n }, source },
    timestamp: 1000 + n,
    sourcePartition: { server: 'shop' },
    sourceOffset: { n },
  };
}

function markers(records: readonly SourceRecord[]): unknown[] {
  return records.map((record) => ((record.value as Struct).source as Struct).snapshot);
}

describe('EventDispatcher', () => {
  it('skips the operations skipped.operations names, never reads or messages', () => {
    const { dispatcher } = setup({ skippedOperations: new Set(['u', 't']) });
    assert.deepEqual(
      (['c', 'u', 'd', 't', 'r', 'm'] as const).map((op) => dispatcher.skips(op)),
      [false, true, false, true, false, false],
    );
  });

  it('follows a delete with its tombstone when tombstones.on.delete is on', async () => {
    const { dispatcher, queue, metrics } = setup();
    const deleted = change('d', 1);
    await dispatcher.changeEvent(deleted, 'd', 500);
    await dispatcher.flush();
    const [record, tombstone] = queue.records;
    assert.equal(record, deleted);
    assert.deepEqual(tombstone, { ...deleted, valueSchema: null, value: null });
    assert.equal(queue.records.length, 2);
    assert.equal(metrics.counts.get('d'), 1, 'the tombstone is not a change event');
    assert.equal(metrics.lastSourceTsMs, 500);
  });

  it('keeps max.batch.size between a delete and its tombstone', async () => {
    const { dispatcher, queue } = setup({ maxBatchSize: 2 });
    await dispatcher.changeEvent(change('c', 1), 'c');
    await dispatcher.changeEvent(change('d', 2), 'd');
    await dispatcher.flush();
    assert.deepEqual(
      queue.batches.map((batch) => batch.map((r) => (r.value === null ? 'tombstone' : r.key))),
      [[{ id: 1 }, { id: 2 }], ['tombstone']],
    );
  });

  it('emits no tombstone when tombstones.on.delete is off', async () => {
    const { dispatcher, queue } = setup({ tombstonesOnDelete: false });
    await dispatcher.changeEvent(change('d', 1), 'd');
    await dispatcher.flush();
    assert.equal(queue.records.length, 1);
  });

  it('writes BEGIN before the first event and END with the counts after the last', async () => {
    const { dispatcher, queue } = setup({ provideTransactionMetadata: true });
    const tx = new TransactionTracker('42:1000');
    const blocks = [];
    for (const [n, table] of ['public.a', 'public.b', 'public.a'].entries()) {
      if (!tx.begun) await dispatcher.beginTransaction(tx, { before: n }, 7000);
      const block = tx.next(table);
      blocks.push(block);
      await dispatcher.changeEvent(change('c', n), 'c');
    }
    await dispatcher.commitTransaction(tx, { end: true }, 7000);
    await dispatcher.flush();
    const records = queue.records;
    assert.deepEqual(
      records.map((r) => r.topic),
      ['shop.transaction', 'shop.public.items', 'shop.public.items', 'shop.public.items', 'shop.transaction'],
    );
    assert.deepEqual(records[0]!.value, {
      status: 'BEGIN',
      id: '42:1000',
      event_count: null,
      data_collections: null,
      ts_ms: 7000n,
    });
    assert.deepEqual(records[0]!.sourceOffset, { before: 0 });
    assert.deepEqual(records[4]!.value, {
      status: 'END',
      id: '42:1000',
      event_count: 3n,
      data_collections: [
        { data_collection: 'public.a', event_count: 2n },
        { data_collection: 'public.b', event_count: 1n },
      ],
      ts_ms: 7000n,
    });
    assert.deepEqual(
      blocks.map((b) => [b.total_order, b.data_collection_order]),
      [
        [1n, 1n],
        [2n, 1n],
        [3n, 2n],
      ],
    );
  });

  it('writes no END for a transaction whose BEGIN never went out', async () => {
    const { dispatcher, queue } = setup({ provideTransactionMetadata: true });
    await dispatcher.commitTransaction(new TransactionTracker('1'), {}, 1);
    await dispatcher.commitTransaction(null, {}, 1);
    await dispatcher.flush();
    assert.equal(queue.records.length, 0);
  });

  it('sends a heartbeat once heartbeat.interval.ms passed, carrying the given offset', async () => {
    const { dispatcher, queue } = setup({ heartbeatIntervalMs: 10_000 });
    const now = Date.now();
    assert.equal(dispatcher.heartbeatDue(now), false);
    assert.ok(dispatcher.msUntilHeartbeat(now) <= 10_000);
    assert.equal(dispatcher.heartbeatDue(now + 10_000), true);
    await dispatcher.heartbeat({ lsn: 9 }, now + 10_000);
    assert.equal(queue.batches.length, 1, 'a heartbeat goes out at once');
    const [heartbeat] = queue.records;
    assert.equal(heartbeat!.topic, '__debezium-heartbeat.shop');
    assert.deepEqual(heartbeat!.key, { serverName: 'shop' });
    assert.deepEqual(heartbeat!.sourceOffset, { lsn: 9 });
    assert.equal(dispatcher.heartbeatDue(now + 15_000), false, 'the interval restarts');
    assert.equal(dispatcher.heartbeatDue(now + 20_000), true);
  });

  it('never sends heartbeats when heartbeat.interval.ms is 0', () => {
    const { dispatcher } = setup({ heartbeatIntervalMs: 0 });
    assert.equal(dispatcher.heartbeatDue(Date.now() + 1e9), false);
    assert.equal(dispatcher.msUntilHeartbeat(Date.now()), 1000);
  });

  it('marks the snapshot first, at table edges, and last, with the final offset', async () => {
    const { dispatcher, queue, metrics } = setup();
    dispatcher.startSnapshotTable({ firstTable: true, lastTable: false, firstInTable: true });
    for (const n of [1, 2, 3]) await dispatcher.snapshotRecord(change('r', n, 'true'));
    dispatcher.startSnapshotTable({ firstTable: false, lastTable: false, firstInTable: true });
    dispatcher.startSnapshotTable({ firstTable: false, lastTable: true, firstInTable: true });
    for (const n of [4, 5]) await dispatcher.snapshotRecord(change('r', n, 'true'));
    await dispatcher.endSnapshot({ done: true });
    const records = queue.records;
    assert.deepEqual(markers(records), [
      'first',
      'true',
      'last_in_data_collection',
      'first_in_data_collection',
      'last',
    ]);
    assert.deepEqual(records[4]!.sourceOffset, { done: true });
    assert.deepEqual(records[3]!.sourceOffset, { n: 4 });
    assert.equal(metrics.counts.get('r'), 5);
  });

  it('gives a snapshot resumed inside a table no first marker there', async () => {
    const { dispatcher, queue } = setup();
    dispatcher.startSnapshotTable({ firstTable: false, lastTable: false, firstInTable: false });
    for (const n of [1, 2]) await dispatcher.snapshotRecord(change('r', n, 'true'));
    dispatcher.startSnapshotTable({ firstTable: false, lastTable: true, firstInTable: true });
    await dispatcher.endSnapshot({ done: true });
    assert.deepEqual(markers(queue.records), ['true', 'last']);
  });

  it('batches by max.batch.size and keeps the last record in the dispatcher until flushed', async () => {
    const { dispatcher, queue, metrics } = setup({ maxBatchSize: 3, tombstonesOnDelete: false });
    for (let n = 0; n < 7; n++) await dispatcher.changeEvent(change('c', n), 'c', 100 + n);
    assert.deepEqual(
      queue.batches.map((b) => b.length),
      [3, 3],
    );
    assert.equal(dispatcher.size, 1);
    assert.equal(metrics.counts.get('c'), 6, 'metrics follow what went out');
    await dispatcher.flush();
    assert.deepEqual(
      queue.batches.map((b) => b.length),
      [3, 3, 1],
    );
    assert.equal(metrics.counts.get('c'), 7);
    assert.equal(metrics.lastSourceTsMs, 106);
    await dispatcher.flush();
    assert.equal(queue.batches.length, 3, 'an empty flush emits nothing');
  });

  it('tells the offset of the last record it was given, as JSON', async () => {
    const { dispatcher } = setup();
    assert.equal(dispatcher.lastOffset, null);
    await dispatcher.changeEvent(change('c', 1), 'c');
    await dispatcher.add(change('c', 2));
    assert.equal(dispatcher.lastOffset, JSON.stringify({ n: 2 }));
  });

  it('waits for the queue: a full runtime queue holds the source back', async () => {
    let release: () => void = () => undefined;
    const queue = {
      emit: () => new Promise<void>((resolve) => (release = resolve)),
    };
    const dispatcher = new EventDispatcher({ ...defaults, maxBatchSize: 1 }, queue, {}, new FakeMetrics());
    let added = false;
    const adding = dispatcher.changeEvent(change('c', 1), 'c').then(() => (added = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(added, false);
    release();
    await adding;
    assert.equal(added, true);
  });
});
