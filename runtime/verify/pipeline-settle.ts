import { sleep } from '../plugin/backoff.js';
import type { SourcePosition, SourceVerification } from '../plugin/index.js';
import type { SourceOffset } from '../record/index.js';
import type { VerificationHost } from './verification-host.js';

const POLL_MS = 250;

/**
 * Waits until the sink has applied every change up to a source position: first the
 * source connector's stored offsets reach the position (its changes are in Kafka), then
 * the sink's committed consumer offsets reach the topics' end offsets as they are at that
 * moment. Resolves to false when the deadline passed first (an idle source without
 * heartbeats never reports a later position; the re-read then runs anyway and says so).
 */
export async function waitUntilApplied(
  host: VerificationHost,
  source: { name: string; verification: SourceVerification },
  sink: string,
  position: SourcePosition,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  // A sink that does not run applies nothing: waiting would only delay the re-read.
  if (host.connectorStatus(sink).connector.state !== 'RUNNING') return false;
  const deadline = Date.now() + timeoutMs;
  let sourceReached = false;
  while (!signal.aborted && Date.now() < deadline) {
    const offsets = await host.offsets(source.name);
    sourceReached = offsets.some(
      (entry) => entry.offset !== null && source.verification.reached(entry.offset as SourceOffset, position),
    );
    if (sourceReached) break;
    await sleep(POLL_MS, signal);
  }
  const ends = await endOffsets(host, host.activeTopics(sink));
  while (!signal.aborted && Date.now() < deadline + timeoutMs) {
    if (await caughtUp(host, sink, ends)) return sourceReached;
    await sleep(POLL_MS, signal);
  }
  return false;
}

async function endOffsets(host: VerificationHost, topics: readonly string[]): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  for (const topic of topics) {
    const partitions = await host.kafkaAdmin.fetchTopicOffsets(topic).catch(() => []);
    for (const p of partitions) {
      if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
    }
  }
  return ends;
}

async function caughtUp(
  host: VerificationHost,
  sink: string,
  ends: ReadonlyMap<string, bigint>,
): Promise<boolean> {
  const committed = new Map<string, bigint>();
  for (const entry of await host.offsets(sink)) {
    const offset = entry.offset?.kafka_offset;
    if (typeof offset === 'number')
      committed.set(
        `${String(entry.partition.kafka_topic)}:${String(entry.partition.kafka_partition)}`,
        BigInt(offset),
      );
  }
  for (const [partition, end] of ends) if ((committed.get(partition) ?? -1n) < end) return false;
  return true;
}
