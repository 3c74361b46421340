import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { produceRequests } from '../../runtime/worker/produce-requests.js';

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
    const requests = produceRequests([{ topic: 'a', messages: values.map(message) }], 1000);
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
      20,
    );
    assert.deepEqual(
      requests.map((r) => r.flatMap((t) => t.messages.map((m) => (m.value as Buffer).length))),
      [[1], [50], [1]],
    );
  });
});
