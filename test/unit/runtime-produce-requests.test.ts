import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import {
  produceRequests,
  type PartitionOf,
  type TopicMessages,
} from '../../runtime/worker/produce-requests.js';

const message = (value: string) => ({ key: 'k', value: Buffer.from(value) });

describe('produceRequests', () => {
  it('keeps a small batch in one request', () => {
    const requests = produceRequests([
      { topic: 'a', messages: [message('1'), message('2')] },
      { topic: 'b', messages: [message('3')] },
    ]);
    assert.equal(requests.length, 1);
    assert.deepEqual(
      requests[0]?.map((t) => [t.topic, t.messages.length]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
  });

  it('splits by bytes, keeping every message once and in order per topic', () => {
    const values = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, 'x'));
    const requests = produceRequests([{ topic: 'a', messages: values.map(message) }], undefined, {
      batchBytes: 1000,
      requestBytes: 1000,
    });
    assert.ok(requests.length > 1);
    for (const request of requests) {
      const bytes = request
        .flatMap((t) => t.messages)
        .reduce((n, m) => n + 1 + (m.value as Buffer).length, 0);
      assert.ok(bytes <= 1000, `request of ${bytes} bytes`);
    }
    const sent = requests.flatMap((r) =>
      r.flatMap((t) => t.messages.map((m) => (m.value as Buffer).toString())),
    );
    assert.deepEqual(sent, values);
  });

  it('sends a message larger than the limit alone, for the broker to judge', () => {
    const requests = produceRequests(
      [{ topic: 'a', messages: [message('s'), message('L'.repeat(50)), message('t')] }],
      undefined,
      { batchBytes: 20, requestBytes: 20 },
    );
    assert.deepEqual(
      requests.map((r) => r.flatMap((t) => t.messages.map((m) => (m.value as Buffer).length))),
      [[1], [50], [1]],
    );
  });

  const partitioned = (count: number) => (_topic: string, m: Message) =>
    Number((m.key as string).slice(1)) % count;
  const keyed = (i: number) => ({ key: `k${i}`, value: Buffer.alloc(100) });
  const payloadPerPartition = (request: TopicMessages[], partitionOf: PartitionOf) => {
    const bytes = new Map<number | undefined, number>();
    for (const { topic, messages } of request) {
      for (const m of messages) {
        const p = partitionOf(topic, m);
        bytes.set(p, (bytes.get(p) ?? 0) + (m.key as string).length + (m.value as Buffer).length);
      }
    }
    return bytes;
  };

  it("bounds each partition's batch, not the request: full batches of several partitions travel together", () => {
    const partitionOf = partitioned(4);
    const messages = Array.from({ length: 400 }, (_, i) => keyed(i));
    const limits = { batchBytes: 2000, requestBytes: 100_000 };
    const requests = produceRequests([{ topic: 'a', messages }], partitionOf, limits);
    // 4 partitions x 2000 bytes per request: 400 messages of ~103 bytes take 6 requests, not 21.
    assert.equal(requests.length, 6);
    for (const request of requests) {
      for (const bytes of payloadPerPartition(request, partitionOf).values()) assert.ok(bytes <= 2000);
    }
    assert.deepEqual(
      requests.flatMap((r) => r.flatMap((t) => t.messages)),
      messages,
      'every message once, in order',
    );
  });

  it('keeps the request under its own limit whatever the partitions', () => {
    const messages = Array.from({ length: 100 }, (_, i) => keyed(i));
    const requests = produceRequests([{ topic: 'a', messages }], partitioned(50), {
      batchBytes: 100_000,
      requestBytes: 1000,
    });
    for (const request of requests) {
      const bytes = [...payloadPerPartition(request, partitioned(50)).values()].reduce((a, b) => a + b);
      assert.ok(bytes <= 1000, `request of ${bytes} bytes`);
    }
  });

  it('counts a message of unknown partition against the fullest batch', () => {
    const messages = [keyed(0), keyed(1), { key: null, value: Buffer.alloc(500) }, keyed(2), keyed(3)];
    const partitionOf = (_topic: string, m: Message) =>
      m.key === null ? undefined : partitioned(3)(_topic, m);
    const requests = produceRequests([{ topic: 'a', messages }], partitionOf, {
      batchBytes: 650,
      requestBytes: 100_000,
    });
    // Any batch could take the keyless 500 bytes: with one keyed message per partition (102 bytes)
    // it fits; a second one in partition 0 would make 704 bytes there.
    assert.deepEqual(
      requests.map((r) => r.flatMap((t) => t.messages.length)),
      [[4], [1]],
    );
  });
});
