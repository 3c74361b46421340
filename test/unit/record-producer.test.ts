import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaError, timestampRuns, untilDelivered } from '../../runtime/worker/record-producer.js';
import { isConnectionLost, isRetriable } from '../../runtime/plugin/errors.js';
import { isRecordTooLarge } from '../../runtime/worker/unproducible-record.js';
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka';

describe('record producer', () => {
  const limit = 2n ** 31n - 1n;
  const at = (...ts: bigint[]) => ts.map((timestamp, i) => ({ i, timestamp }));
  const indexes = (runs: { i: number }[][]) => runs.map((r) => r.map((m) => m.i));

  it('keeps a request whose timestamps span less than 2^31 ms as one run', () => {
    assert.deepEqual(indexes(timestampRuns(at(1000n, 5n, 1000n + limit - 995n, 7n))), [[0, 1, 2, 3]]);
    assert.deepEqual(timestampRuns([]), []);
  });

  it('cuts consecutive runs, in order, where the span would reach 2^31 ms either way', () => {
    const now = 1_796_000_000_000n;
    const old = now - 40n * 86_400_000n;
    assert.deepEqual(indexes(timestampRuns(at(now, now + 1n, old, old + 2n, now))), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(indexes(timestampRuns(at(0n, limit, limit + 1n))), [[0, 1], [2]]);
    for (const run of timestampRuns(at(now, old, now, old, now - limit, now))) {
      const ts = run.map((m) => m.timestamp);
      const span = ts.reduce((a, b) => (a > b ? a : b)) - ts.reduce((a, b) => (a < b ? a : b));
      assert.ok(span <= limit);
    }
  });

  it("classifies the client's errors as the runtime does kafkajs's", () => {
    const tooLarge = kafkaError(
      new MultipleErrors('Producing messages failed.', [new ProtocolError('MESSAGE_TOO_LARGE')]),
    );
    assert.ok(isRecordTooLarge(tooLarge));
    assert.equal(isRetriable(tooLarge), false);
    const leader = kafkaError(
      new MultipleErrors('Producing messages failed.', [new ProtocolError('NOT_LEADER_OR_FOLLOWER')]),
    );
    assert.equal(isRetriable(leader), true);
    assert.equal(isConnectionLost(leader), false);
    const lost = kafkaError(
      new MultipleErrors('Producing messages failed.', [new NetworkError('Connection closed')]),
    );
    assert.ok(isConnectionLost(lost));
    assert.ok(isRetriable(lost));
  });

  it('resends while the broker says retry, until the delivery timeout; not a lost connection', async () => {
    const failed = (cause: Error) => new MultipleErrors('Producing messages failed.', [cause]);
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    let attempts = 0;
    await untilDelivered(
      async () => {
        if (++attempts < 6) throw failed(new ProtocolError('NOT_LEADER_OR_FOLLOWER'));
      },
      { deliveryTimeoutMs: 60_000, sleep },
    );
    assert.equal(attempts, 6);
    assert.deepEqual(slept, [100, 200, 400, 800, 1000]);

    attempts = 0;
    const lost = failed(new NetworkError('Connection closed'));
    const fails = (error: Error) => async () => {
      attempts++;
      throw error;
    };
    await assert.rejects(
      untilDelivered(fails(lost), { deliveryTimeoutMs: 60_000, sleep }),
      (e) => e === lost,
    );
    assert.equal(attempts, 1);

    const tooLarge = failed(new ProtocolError('MESSAGE_TOO_LARGE'));
    await assert.rejects(
      untilDelivered(fails(tooLarge), { deliveryTimeoutMs: 60_000, sleep }),
      (e) => e === tooLarge,
    );
    assert.equal(attempts, 2);

    // A stopped task's send is not resent: the worker's other tasks wait behind it.
    const stopped = AbortSignal.abort();
    const leaderless = failed(new ProtocolError('NOT_LEADER_OR_FOLLOWER'));
    await assert.rejects(
      untilDelivered(fails(leaderless), { deliveryTimeoutMs: 60_000, sleep, stop: stopped }),
      (e) => e === leaderless,
    );
    assert.equal(attempts, 3);

    // The deadline is real time: with none left, the broker's "retry" is the answer.
    const noLeader = failed(new ProtocolError('NOT_LEADER_OR_FOLLOWER'));
    await assert.rejects(
      untilDelivered(fails(noLeader), { deliveryTimeoutMs: 0, sleep }),
      (e) => e === noLeader,
    );
    assert.equal(attempts, 4);
  });
});
