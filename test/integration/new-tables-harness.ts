// What the snapshot.new.tables tests of both sources share: a real worker's view of its
// source connector (committed offset, task progress) and the change events in a topic.
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { readTopic, topicRecordCount, type WorkerProcess } from '../fixtures/worker-harness.js';

export interface Envelope {
  readonly op: string;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly source: { readonly snapshot: string };
}

/** The envelope of a JSON-converted change event; null for a tombstone. */
export function envelopeOf(message: KafkaMessage): Envelope | null {
  if (message.value === null) return null;
  return (JSON.parse(message.value.toString()) as { payload: Envelope }).payload;
}

/** Every event in a topic now (tombstones left out). */
export async function eventsIn(topic: string): Promise<Envelope[]> {
  const size = await topicRecordCount(topic);
  const messages = await readTopic(topic, (m) => m.length >= size, 60_000);
  return messages.map(envelopeOf).filter((e): e is Envelope => e !== null);
}

/** The connector's committed source offset (one partition), or null before the first commit. */
export async function committedOffset(
  worker: WorkerProcess,
  connector: string,
): Promise<Record<string, unknown> | null> {
  const response = await worker.api('GET', `/connectors/${connector}/offsets`);
  const offsets = (response.json as { offsets?: { offset: Record<string, unknown> }[] }).offsets ?? [];
  return offsets[0]?.offset ?? null;
}

/** The rows done of the incremental snapshot a committed offset carries, or null when none runs. */
export function incrementalRowsDone(offset: Record<string, unknown> | null): number | null {
  const context = offset?.['incremental_snapshot'];
  if (typeof context !== 'string') return null;
  return (JSON.parse(context) as { rowsDone: number }).rowsDone;
}

/** The first task's progress in the status, failing the test when the task failed. */
export async function taskProgress(
  worker: WorkerProcess,
  connector: string,
): Promise<Readonly<Record<string, string | number>>> {
  const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
    tasks?: { state: string; trace?: string; progress?: Record<string, string | number> }[];
  };
  const task = status.tasks?.[0];
  assert.notEqual(task?.state, 'FAILED', task?.trace);
  return task?.progress ?? {};
}
