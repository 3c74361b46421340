import { randomBytes } from 'node:crypto';
import type { ICustomPartitioner, PartitionMetadata } from 'kafkajs';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`) in 32-bit integer arithmetic.
 * kafkajs's own computes it with 64-bit Long objects, about a dozen allocations per
 * four bytes of key; `Math.imul` gives the same 32-bit products without any.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The last one to three bytes.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[end + 2]! << 16;
    if (tail >= 2) h ^= data[end + 1]! << 8;
    h ^= data[end]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition the Java client's (and kafkajs's default) partitioner picks: a message's own
 * partition if it names one; a key goes to `murmur2(key) & 0x7fffffff` modulo the topic's
 * partition count, so keys land where Kafka Connect's would; keyless messages go round-robin
 * over the partitions that have a leader, from a random start per topic.
 */
export const murmur2Partitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const { key } = message;
    if (key !== null && key !== undefined) {
      const bytes = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
      return (murmur2(bytes) & 0x7fffffff) % partitionMetadata.length;
    }
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    return roundRobin(partitionMetadata, counter & 0x7fffffff);
  };
};

function roundRobin(partitions: readonly PartitionMetadata[], counter: number): number {
  const available = partitions.filter((p) => p.leader >= 0);
  // None has a leader: one that has none still gets it (the produce fails and is retried).
  if (available.length === 0) return counter % partitions.length;
  return available[counter % available.length]!.partitionId;
}
