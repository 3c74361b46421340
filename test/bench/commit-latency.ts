import type { Admin, Consumer, Kafka } from 'kafkajs';
import { sleep } from './bench-worker.js';
import { writePaced, type PacedTransaction } from './workload.js';

/**
 * Commit → Kafka latency: for each source transaction, from the moment PostgreSQL
 * acknowledged its COMMIT to the writing client until the last of its records was
 * delivered to a Kafka consumer in the same process (same clock, performance.now()).
 * It covers decoding, the worker's queue, conversion, the produce round trip and one
 * fetch, which is what a downstream consumer sees.
 */
export interface LatencyFigures {
  readonly transactions: number;
  readonly rowsPerTransaction: number;
  readonly achievedEventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /**
   * The same from the server's side: from the record's timestamp, which source-postgres
   * sets to PostgreSQL's commit timestamp (milliseconds), to delivery. It shows what the
   * commit's round trip to the writing client hides.
   */
  readonly fromServerCommitP50Ms: number;
  readonly fromServerCommitP99Ms: number;
  /** Transactions whose records had not all arrived when the wait ended. */
  readonly missing: number;
}

export interface LatencyRun {
  readonly kafka: Kafka;
  /** Holds the consumer while it is open, for the run's cleanup. */
  readonly consumers: Set<Consumer>;
  readonly admin: Admin;
  readonly topic: string;
  readonly groupId: string;
  readonly database: string;
  readonly firstId: number;
  readonly eventsPerSecond: number;
  readonly seconds: number;
  readonly rowsPerTransaction: number;
  /** The record key's primary key, from the converter's bytes. */
  readonly keyId: (key: Buffer) => Promise<number>;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export async function measureCommitLatency(run: LatencyRun): Promise<LatencyFigures> {
  const arrivals = new Map<number, { at: number; serverCommittedAt: number }>();
  const consumer = run.kafka.consumer({ groupId: run.groupId, maxWaitTimeInMs: 100 });
  run.consumers.add(consumer);
  await consumer.connect();
  try {
    const ends = await run.admin.fetchTopicOffsets(run.topic);
    await consumer.subscribe({ topic: run.topic });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        for (const message of batch.messages) {
          const serverCommittedAt = Number(message.timestamp) - performance.timeOrigin;
          if (message.key) arrivals.set(await run.keyId(message.key), { at, serverCommittedAt });
        }
      },
    });
    // Start at today's end explicitly: "latest" would be resolved at some moment after the join.
    for (const { partition, high } of ends) consumer.seek({ topic: run.topic, partition, offset: high });
    while (!joined) await sleep(50);
    await sleep(500);

    const transactions: PacedTransaction[] = [];
    const seconds = await writePaced(
      run.database,
      run.firstId,
      run.eventsPerSecond,
      run.seconds,
      run.rowsPerTransaction,
      (t) => transactions.push(t),
    );
    const rows = transactions.length * run.rowsPerTransaction;
    const lastId = run.firstId + rows - 1;
    const deadline = performance.now() + 30_000;
    while (!arrivals.has(lastId) && performance.now() < deadline) await sleep(50);
    await sleep(200);

    const latencies: number[] = [];
    const fromServerCommit: number[] = [];
    let missing = 0;
    for (const t of transactions) {
      let last: { at: number; serverCommittedAt: number } | undefined;
      let complete = true;
      for (let id = t.firstId; id < t.firstId + t.rows; id++) {
        const arrival = arrivals.get(id);
        if (!arrival) complete = false;
        else if (!last || arrival.at > last.at) last = arrival;
      }
      if (!complete || !last) {
        missing++;
        continue;
      }
      latencies.push(last.at - t.committedAt);
      fromServerCommit.push(last.at - last.serverCommittedAt);
    }
    latencies.sort((a, b) => a - b);
    fromServerCommit.sort((a, b) => a - b);
    const round = (ms: number) => Number(ms.toFixed(1));
    return {
      transactions: transactions.length,
      rowsPerTransaction: run.rowsPerTransaction,
      achievedEventsPerSecond: Math.round(rows / seconds),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies.at(-1) ?? 0),
      fromServerCommitP50Ms: round(percentile(fromServerCommit, 50)),
      fromServerCommitP99Ms: round(percentile(fromServerCommit, 99)),
      missing,
    };
  } finally {
    await consumer.disconnect();
    run.consumers.delete(consumer);
  }
}
