import type { Message } from 'kafkajs';

export interface TopicMessages {
  readonly topic: string;
  readonly messages: Message[];
}

/** The partition a message will go to, where that is known before sending. */
export type PartitionOf = (topic: string, message: Message) => number | undefined;

export interface ProduceLimits {
  /** Most payload bytes of one partition's record batch. */
  readonly batchBytes: number;
  /** Most payload bytes of one request. */
  readonly requestBytes: number;
}

/**
 * kafkajs sends everything of one `sendBatch` as one record batch per partition, and the
 * broker rejects a batch over `message.max.bytes` (1 MiB by default): each partition's
 * batch stays under 768 KiB of payload, room for the record framing. A request carries
 * several partitions' full batches, up to 4 MiB, so each round trip moves a lot.
 */
export const PRODUCE_LIMITS: ProduceLimits = { batchBytes: 768 * 1024, requestBytes: 4 * 1024 * 1024 };

function messageBytes(message: Message): number {
  let bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  if (message.headers) {
    for (const [name, value] of Object.entries(message.headers)) {
      bytes += name.length + (Buffer.isBuffer(value) || typeof value === 'string' ? value.length : 0);
    }
  }
  return bytes;
}

/** One topic's share of the request being built: payload bytes per partition. */
class TopicBatches {
  private readonly partitions = new Map<number, number>();
  private fullest = 0;
  /** Messages whose partition is not known may join any batch, the fullest included. */
  private unplaced = 0;

  /** The payload of the fullest batch once `bytes` joined `partition`. */
  fullestWith(partition: number | undefined, bytes: number): number {
    if (partition === undefined) return this.fullest + this.unplaced + bytes;
    return Math.max(this.fullest, (this.partitions.get(partition) ?? 0) + bytes) + this.unplaced;
  }

  add(partition: number | undefined, bytes: number): void {
    if (partition === undefined) {
      this.unplaced += bytes;
      return;
    }
    const total = (this.partitions.get(partition) ?? 0) + bytes;
    this.partitions.set(partition, total);
    this.fullest = Math.max(this.fullest, total);
  }
}

/**
 * Splits topic messages into requests within `limits`, keeping each topic's order. A
 * message over the limits goes alone, for the broker to judge.
 */
export function produceRequests(
  topicMessages: readonly TopicMessages[],
  partitionOf: PartitionOf = () => undefined,
  limits: ProduceLimits = PRODUCE_LIMITS,
): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let currentBytes = 0;
  for (const { topic, messages } of topicMessages) {
    let slice: Message[] = [];
    let batches = new TopicBatches();
    for (const message of messages) {
      const bytes = messageBytes(message);
      const partition = partitionOf(topic, message);
      const overLimit =
        currentBytes + bytes > limits.requestBytes ||
        batches.fullestWith(partition, bytes) > limits.batchBytes;
      if (overLimit && currentBytes > 0) {
        if (slice.length > 0) current.push({ topic, messages: slice });
        requests.push(current);
        current = [];
        slice = [];
        currentBytes = 0;
        batches = new TopicBatches();
      }
      slice.push(message);
      batches.add(partition, bytes);
      currentBytes += bytes;
    }
    if (slice.length > 0) current.push({ topic, messages: slice });
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
