import type { Message } from 'kafkajs';

export interface TopicMessages {
  readonly topic: string;
  readonly messages: Message[];
}

/**
 * kafkajs sends everything of one `sendBatch` as one record batch per partition, and the
 * broker rejects a batch over `message.max.bytes` (1 MiB by default). Splitting a queue
 * batch into requests of at most this many payload bytes keeps each under that limit
 * with room for the record framing.
 */
export const PRODUCE_REQUEST_MAX_BYTES = 768 * 1024;

function messageBytes(message: Message): number {
  let bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += name.length + (Buffer.isBuffer(value) || typeof value === 'string' ? value.length : 0);
  }
  return bytes;
}

/** Splits topic messages into requests of at most `maxBytes`, keeping each topic's order. */
export function produceRequests(
  topicMessages: readonly TopicMessages[],
  maxBytes = PRODUCE_REQUEST_MAX_BYTES,
): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let currentBytes = 0;
  for (const { topic, messages } of topicMessages) {
    let slice: Message[] = [];
    for (const message of messages) {
      const bytes = messageBytes(message);
      if (currentBytes + bytes > maxBytes && currentBytes > 0) {
        if (slice.length > 0) current.push({ topic, messages: slice });
        requests.push(current);
        current = [];
        slice = [];
        currentBytes = 0;
      }
      slice.push(message);
      currentBytes += bytes;
    }
    if (slice.length > 0) current.push({ topic, messages: slice });
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
