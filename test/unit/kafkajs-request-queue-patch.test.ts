import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import '../../runtime/worker/kafkajs-request-queue-patch.js';

interface Queue {
  pending: { send(): void }[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  maxInFlightRequests: number | null;
  push(request: unknown): void;
  checkPendingRequests(): void;
  destroy(): void;
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  options: Record<string, unknown>,
) => Queue;

const silent = {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  info: () => undefined,
};

function queue(): Queue {
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'b:9092',
    logger: silent,
    isConnected: () => true,
  });
}

describe("kafkajs's request queue, as patched", () => {
  it('arms no timer when no request waits (kafkajs 2.2.4 re-armed one every millisecond)', () => {
    const q = queue();
    q.checkPendingRequests();
    assert.equal(q.throttleCheckTimeoutId, null);
    q.destroy();
  });

  it('sends a request that waited for a throttle once it ends, not before', async () => {
    const q = queue();
    q.throttledUntil = Date.now() + 60;
    let sentAt = 0;
    const started = Date.now();
    q.push({
      entry: { correlationId: 1 },
      expectResponse: true,
      sendRequest: () => (sentAt = Date.now()),
    });
    assert.equal(q.pending.length, 1);
    assert.notEqual(q.throttleCheckTimeoutId, null);
    while (sentAt === 0) await new Promise((r) => setTimeout(r, 5));
    assert.ok(sentAt - started >= 55, `sent after ${sentAt - started} ms`);
    assert.equal(q.pending.length, 0);
    // Nothing waits any more: no timer stays armed.
    assert.equal(q.throttleCheckTimeoutId, null);
    q.destroy();
  });
});
