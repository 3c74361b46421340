// The blocking-snapshot crash scenario both sources run (source-*-blocking-snapshot-crash):
// a blocking snapshot is signalled on a streaming source, the worker is killed with SIGKILL
// half-way, and the new worker must resume at the first uncommitted chunk, deliver every row
// and stream on, having read far fewer than a second copy twice.
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import {
  eventually,
  killAndRestart,
  readTopic,
  topicRecordCount,
  WorkerProcess,
  type uniqueNames,
} from '../fixtures/worker-harness.js';

export interface BlockingSnapshotCrash {
  readonly names: ReturnType<typeof uniqueNames>;
  readonly connector: string;
  readonly topic: string;
  /** Rows in the table, ids 1..rows. */
  readonly rows: number;
  /** The worker running the connector; replaced by the one started after the kill. */
  worker: WorkerProcess;
  /** Inserts the execute-snapshot signal (type blocking) for the table into the signal table. */
  readonly signal: () => Promise<unknown>;
  /** Sets column v of row `id` in the source table. */
  readonly update: (id: number, v: number) => Promise<unknown>;
  /** The source's name in the report line. */
  readonly source: string;
}

function envelopeOf(message: KafkaMessage): { op: string; after: { id: number } } {
  return (JSON.parse(message.value!.toString()) as { payload: { op: string; after: { id: number } } })
    .payload;
}

async function taskStatus(
  run: BlockingSnapshotCrash,
): Promise<{ state: string; trace?: string; progress?: { phase?: string } }> {
  const status = (await run.worker.api('GET', `/connectors/${run.connector}/status`)).json as {
    tasks: { state: string; trace?: string; progress?: { phase?: string } }[];
  };
  return status.tasks[0] ?? { state: 'UNASSIGNED' };
}

/** From a connector streaming with nothing in its topic yet (bar changes made to see it stream). */
export async function blockingSnapshotCrash(run: BlockingSnapshotCrash): Promise<void> {
  const { connector, topic, rows, names } = run;
  await run.signal();
  // Half-way: a committed offset that holds the blocking snapshot's place, and about half the rows.
  await eventually(
    'half the rows in the topic',
    async () => {
      const status = await taskStatus(run);
      assert.notEqual(status.state, 'FAILED', status.trace);
      return (await topicRecordCount(topic)) >= rows / 2;
    },
    120_000,
  );
  await eventually('a committed offset in the middle of the blocking snapshot', async () => {
    const offsets = (await run.worker.api('GET', `/connectors/${connector}/offsets`)).json as {
      offsets: { offset: Record<string, unknown> }[];
    };
    return offsets.offsets.some((o) => String(o.offset['incremental_snapshot']).includes('"blocking"'));
  });
  const before = await topicRecordCount(topic);
  assert.ok(before < rows, `the snapshot finished before the kill (${before} rows)`);
  run.worker = await killAndRestart(run.worker, () => WorkerProcess.start(names), [connector]);
  // Each message parsed once: a condition re-reading all of them would be quadratic.
  const ids = new Set<number>();
  let parsed = 0;
  await readTopic(
    topic,
    (m) => {
      for (; parsed < m.length; parsed++) ids.add(envelopeOf(m[parsed]!).after.id);
      return ids.size >= rows;
    },
    180_000,
  );
  assert.equal(ids.size, rows, 'every row reached the topic');
  await eventually(
    'streaming after the snapshot',
    async () => (await taskStatus(run)).progress?.phase === 'streaming',
  );
  // The stream goes on after the snapshot: a change made now follows its rows.
  await run.update(1, -1);
  let reads = 0;
  let updated = false;
  parsed = 0;
  await readTopic(
    topic,
    (m) => {
      for (; parsed < m.length; parsed++) {
        const event = envelopeOf(m[parsed]!);
        if (event.op === 'r') reads++;
        else if (event.op === 'u' && event.after.id === 1) updated = true;
      }
      return updated;
    },
    60_000,
  );
  // Resumed, not started over (nor run again for the signal streamed anew): what was read
  // twice is far less than a second copy.
  const readTwice = reads - rows;
  process.stderr.write(
    `blocking snapshot crash (${run.source}): ${before} rows before the kill, ${readTwice} read twice\n`,
  );
  assert.ok(readTwice < before, `${readTwice} rows read twice after ${before} before the kill`);
}
