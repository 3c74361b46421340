import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { bigintLongHook } from '../../runtime/converters/avro-long.js';
import { sleep, type BenchWorker } from './bench-worker.js';
import {
  figures,
  keyDecoder,
  phaseTimeoutMs,
  slotActive,
  sourceConfig,
  startWorker,
  stopWorker,
  type BenchContext,
  type Format,
  type FormatNames,
  type PhaseFigures,
} from './phases.js';
import { ProcessSampler, rssMib } from './process-sampler.js';
import { topicRecords, waitUntil } from './topic-probe.js';
import { query, writeItemsPaced, type ItemsTransaction } from './workload.js';

/**
 * Issue 17's incremental snapshot: a streaming-only connector on `items` (snapshot.mode
 * no_data, a signal table for the watermarks) snapshots the table through
 * `POST /connectors/{name}/snapshots` while a writer commits updates, inserts and deletes
 * to it at a steady rate. One consumer reads the connector's topic from its start: the
 * snapshot's reads (op r) give the rate, the streamed changes (tagged by rank = -transaction)
 * their commit → Kafka lag during the snapshot, and applying every event in order by key
 * must give the table as it is at the end.
 */
export interface IncrementalSnapshotResult {
  /** events: distinct keys read by the snapshot; seconds: from the POST to the last read delivered. */
  readonly snapshot: PhaseFigures & {
    /** The task's last rows_done while the snapshot ran (its status progress). */
    readonly rowsDoneReported: number;
    readonly readRecords: number;
  };
  readonly changes: {
    readonly targetPerSecond: number;
    readonly achievedPerSecond: number;
    readonly changesPerTransaction: number;
    readonly transactions: number;
    readonly changes: number;
    readonly writeSeconds: number;
    /** Changes committed between the POST and the snapshot's end, and their rate. */
    readonly duringSnapshot: number;
    readonly duringSnapshotPerSecond: number;
    readonly deletedDuringSnapshot: number;
  };
  /** Commit → Kafka (delivered to the consumer) of the transactions committed during the snapshot. */
  readonly lag: LagFigures;
  /** The same for the transactions of the 2 s of streaming before the POST: the baseline. */
  readonly lagBefore: LagFigures;
  /** The worker's RSS just before the POST, to read the snapshot's peak and steady RSS against. */
  readonly rssBeforeMib: number;
  readonly check: {
    readonly tableRows: number;
    readonly keysRead: number;
    /** Keys in the table at the end that no read covered: each one must have a streamed change. */
    readonly notRead: number;
    readonly notReadWithoutChange: number;
    /** Keys whose state from applying the topic's events (r, c, u: after; d: gone) differs from the table. */
    readonly mismatched: number;
    readonly ok: boolean;
  };
}

export interface LagFigures {
  readonly transactions: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly missing: number;
}

interface Envelope {
  readonly op: string;
  readonly after: { readonly rank: number } | null;
}

async function valueDecoder(
  format: Format,
  worker: BenchWorker,
): Promise<(value: Buffer) => Promise<Envelope>> {
  if (format === 'json')
    return (value) => Promise.resolve((JSON.parse(value.toString('utf8')) as { payload: Envelope }).payload);
  // The envelope's longs (ts_ns, …) go past 2^53: decoded as bigint, as the converter's own tests do.
  const registry = new SchemaRegistry(
    { host: worker.registry },
    { [SchemaType.AVRO]: { typeHook: bigintLongHook as never } },
  );
  return async (value) => (await registry.decode(value)) as Envelope;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const CHANGES_PER_TRANSACTION = 10;
const SIGNAL_TABLE = 'siphon_signal';

interface TaskStatus {
  tasks: { progress?: Record<string, string | number> }[];
}

async function taskProgress(
  worker: BenchWorker,
  connector: string,
): Promise<Record<string, string | number>> {
  const response = await fetch(`${worker.rest}/connectors/${encodeURIComponent(connector)}/status`);
  if (!response.ok) return {};
  return ((await response.json()) as TaskStatus).tasks[0]?.progress ?? {};
}

/** The phase's own topic prefix, so its topic holds only its connector's events. */
export function incrementalSnapshotTopic(names: FormatNames): string {
  return `${names.prefix}_inc.public.items`;
}

export async function runIncrementalSnapshot(
  context: BenchContext,
  format: Format,
  names: FormatNames,
  changesPerSecond: number,
): Promise<IncrementalSnapshotResult> {
  const { admin, rows } = context;
  const prefix = `${names.prefix}_inc`;
  const topic = incrementalSnapshotTopic(names);
  const slot = `${names.source}_inc`;
  await query(
    names.source,
    `CREATE TABLE ${SIGNAL_TABLE} (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)`,
  );
  const worker = await startWorker(context, names.group('incremental'));
  const consumer = context.kafka.consumer({
    groupId: names.group('incremental-consumer'),
    maxWaitTimeInMs: 100,
  });
  let writing = true;
  let writer: Promise<{ seconds: number; transactions: number; changes: number }> | undefined;
  try {
    const connector = names.group('incremental-source');
    await worker.createConnector(connector, {
      ...sourceConfig(format, names, 'items', slot, 'no_data', prefix),
      'signal.data.collection': `public.${SIGNAL_TABLE}`,
    });
    const failed = () => worker.assertNotFailed(connector);
    await waitUntil('incremental slot active', () => slotActive(names.source, slot), 1, 120_000, failed);
    // The runtime creates the topic with its first record; rank ≥ 0 is not a writer's.
    await query(names.source, 'UPDATE items SET rank = rank WHERE id = 1');
    await waitUntil('warm-up record', () => topicRecords(admin, topic), 1, 120_000, failed);

    const decodeKey = await keyDecoder(format, worker);
    const decodeValue = await valueDecoder(format, worker);
    /** Applying every event in order by key: id → rank. */
    const state = new Map<number, number>();
    const read = new Set<number>();
    const changed = new Set<number>();
    let readRecords = 0;
    let lastReadAt = 0;
    const deletes = new Map<number, number>();
    const arrivals = new Map<number, { count: number; last: number }>();
    const consumed = new Map<number, number>();
    let consumerError: Error | undefined;
    context.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        if (consumerError) return;
        for (const message of batch.messages) {
          consumed.set(batch.partition, Number(message.offset) + 1);
          if (!message.key || !message.value) continue; // tombstones
          let id: number;
          let event: Envelope;
          try {
            id = await decodeKey(message.key);
            event = await decodeValue(message.value);
          } catch (error) {
            // Thrown here, kafkajs would retry the batch for ever; the wait below reports it.
            consumerError = error as Error;
            return;
          }
          let seq: number | undefined;
          if (event.op === 'd') {
            state.delete(id);
            seq = deletes.get(id);
          } else {
            const rank = Number(event.after!.rank);
            state.set(id, rank);
            if (event.op === 'r') {
              read.add(id);
              readRecords++;
              lastReadAt = at;
            } else if (rank < 0) seq = -rank;
          }
          if (event.op !== 'r') changed.add(id);
          if (seq !== undefined) {
            const arrival = arrivals.get(seq) ?? { count: 0, last: 0 };
            arrival.count++;
            arrival.last = at;
            arrivals.set(seq, arrival);
          }
        }
      },
    });
    const caughtUp = async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const deadline = performance.now() + 60_000;
      while (ends.some((p) => (consumed.get(p.partition) ?? 0) < Number(p.high))) {
        if (consumerError) throw new Error(`${topic}: ${consumerError.message}`);
        if (performance.now() > deadline) throw new Error(`${topic}: the consumer did not catch up`);
        await sleep(100);
      }
    };
    await caughtUp();

    const transactions: ItemsTransaction[] = [];
    writer = writeItemsPaced(names.source, {
      rows,
      changesPerSecond,
      perTransaction: CHANGES_PER_TRANSACTION,
      stop: () => !writing,
      onDelete: (id, seq) => deletes.set(id, seq),
      onCommit: (t) => transactions.push(t),
    });
    // Streaming at the rate first, so that the snapshot starts under load.
    await sleep(2000);

    const rssBeforeMib = Math.round(rssMib(worker.pid));
    const sampler = new ProcessSampler(worker.pid);
    const startedAt = performance.now();
    const response = await fetch(`${worker.rest}/connectors/${encodeURIComponent(connector)}/snapshots`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'incremental', 'data-collections': ['public.items'] }),
    });
    if (response.status !== 202) throw new Error(`POST snapshots: ${await response.text()}`);
    // The task reports the phase "incremental snapshot" before its first chunk and "streaming" once done.
    let seen = false;
    let rowsDoneReported = 0;
    const deadline = performance.now() + phaseTimeoutMs(rows);
    let lastCheck = performance.now();
    for (;;) {
      const progress = await taskProgress(worker, connector);
      if (progress['phase'] === 'incremental snapshot') {
        seen = true;
        rowsDoneReported = Number(progress['rows_done'] ?? rowsDoneReported);
      } else if (progress['phase'] === 'streaming' && (seen || read.size > 0)) break;
      if (consumerError) throw new Error(`${topic}: ${consumerError.message}`);
      if (performance.now() > deadline) throw new Error(`incremental snapshot: ${JSON.stringify(progress)}`);
      if (performance.now() - lastCheck > 1000) {
        await failed();
        lastCheck = performance.now();
      }
      await sleep(200);
    }
    const doneAt = performance.now();
    const usage = sampler.stop();
    await sleep(1000);
    await caughtUp();

    writing = false;
    const written = await writer;
    writer = undefined;
    // Every transaction's events delivered (or 30 s).
    const complete = (t: ItemsTransaction) =>
      (arrivals.get(t.seq)?.count ?? 0) >= t.updated.length + t.inserted.length + t.deleted.length;
    const lastDeadline = performance.now() + 30_000;
    while (!transactions.every(complete) && performance.now() < lastDeadline) await sleep(100);
    await caughtUp();

    const during = transactions.filter((t) => t.committedAt >= startedAt && t.committedAt <= doneAt);
    const round = (ms: number) => Number(ms.toFixed(1));
    const lagOf = (picked: readonly ItemsTransaction[]): LagFigures => {
      const lags = picked
        .filter(complete)
        .map((t) => arrivals.get(t.seq)!.last - t.committedAt)
        .sort((a, b) => a - b);
      return {
        transactions: picked.length,
        p50Ms: round(percentile(lags, 50)),
        p99Ms: round(percentile(lags, 99)),
        maxMs: round(lags.at(-1) ?? 0),
        missing: picked.length - lags.length,
      };
    };
    const changeCount = (picked: readonly ItemsTransaction[]) =>
      picked.reduce((n, t) => n + t.updated.length + t.inserted.length + t.deleted.length, 0);

    const table = await query(names.source, 'SELECT id, rank FROM items');
    let mismatched = 0;
    let notRead = 0;
    let notReadWithoutChange = 0;
    const tableIds = new Set<number>();
    for (const row of table.rows as { id: string; rank: number }[]) {
      const id = Number(row.id);
      tableIds.add(id);
      if (state.get(id) !== row.rank) mismatched++;
      if (!read.has(id)) {
        notRead++;
        if (!changed.has(id)) notReadWithoutChange++;
      }
    }
    for (const id of state.keys()) if (!tableIds.has(id)) mismatched++;

    const snapshotFigures = figures(read.size, startedAt, Math.max(lastReadAt, startedAt + 1), usage);
    return {
      snapshot: { ...snapshotFigures, rowsDoneReported, readRecords },
      changes: {
        targetPerSecond: changesPerSecond,
        achievedPerSecond: Math.round(written.changes / written.seconds),
        changesPerTransaction: CHANGES_PER_TRANSACTION,
        transactions: written.transactions,
        changes: written.changes,
        writeSeconds: Number(written.seconds.toFixed(2)),
        duringSnapshot: changeCount(during),
        duringSnapshotPerSecond: Math.round((changeCount(during) * 1000) / (doneAt - startedAt)),
        deletedDuringSnapshot: during.reduce((n, t) => n + t.deleted.length, 0),
      },
      lag: lagOf(during),
      lagBefore: lagOf(transactions.filter((t) => t.committedAt < startedAt)),
      rssBeforeMib,
      check: {
        tableRows: tableIds.size,
        keysRead: read.size,
        notRead,
        notReadWithoutChange,
        mismatched,
        ok: mismatched === 0 && notReadWithoutChange === 0,
      },
    };
  } finally {
    writing = false;
    await writer?.catch(() => undefined);
    await consumer.disconnect();
    context.consumers.delete(consumer);
    await stopWorker(context, worker);
  }
}
