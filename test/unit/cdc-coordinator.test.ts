import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CdcCoordinator, Snapshotter } from '../../runtime/cdc/index.js';
import { DataError, RetriableError, SiphonError } from '../../runtime/plugin/index.js';
import { FakeCdcContext, FakeCdcSource, type FakeSession } from '../support/fake-cdc-source.js';

/** Delays short enough for a unit test; the policy's shape is the same. */
const fastDelays = { initialDelayMs: 1, maxDelayMs: 4 };

function connectionReset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

/** Runs a coordinator over scripted sessions; the task is stopped once they are used up. */
async function streamSessions(
  sessions: readonly FakeSession[],
  config: Record<string, number> = {},
): Promise<{ fake: FakeCdcContext; source: FakeCdcSource; run: Promise<void> }> {
  const fake = new FakeCdcContext({ pos: 10, inProgress: false }, config);
  const source = new FakeCdcSource(fake.controller, { sessions });
  const run = new CdcCoordinator(fake.context, new Snapshotter('initial'), source, fastDelays).run();
  return { fake, source, run };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new SiphonError('condition not reached in 5 s', false);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('CdcCoordinator', () => {
  it('snapshots, then streams from where the snapshot ended until the task stops', async () => {
    const fake = new FakeCdcContext(null);
    const source = new FakeCdcSource(fake.controller);
    const run = new CdcCoordinator(fake.context, new Snapshotter('initial'), source, fastDelays).run();
    await until(() => source.calls.includes('stream 100'));
    fake.controller.abort();
    await run;
    assert.deepEqual(source.calls, ['snapshot rows', 'prepare 100 from snapshot', 'stream 100']);
  });

  it('resumes after a lost connection from the last emitted position', async () => {
    const { fake, source, run } = await streamSessions([
      { emitTo: 15, fail: connectionReset() },
      { emitTo: 20 },
    ]);
    await until(() => source.calls.length === 4);
    fake.controller.abort();
    await run;
    assert.deepEqual(source.calls, ['lost? 10', 'prepare 10 from stored offset', 'stream 10', 'stream 15']);
    assert.deepEqual(
      fake.retrying.map((r) => r.attempt),
      [1],
    );
    assert.deepEqual(fake.warnings, ['connection lost; reconnecting from the last emitted position']);
  });

  it('counts failures in a row; a session that emitted starts the count again', async () => {
    const { fake, source, run } = await streamSessions([
      { fail: connectionReset() },
      { fail: connectionReset() },
      { emitTo: 11, fail: connectionReset() },
      { fail: new RetriableError('slot in use; retrying') },
    ]);
    await until(() => source.calls.filter((call) => call.startsWith('stream')).length === 5);
    fake.controller.abort();
    await run;
    assert.deepEqual(
      fake.retrying.map((r) => r.attempt),
      [1, 2, 1, 2],
    );
    assert.deepEqual(source.calls.slice(2), [
      'stream 10',
      'stream 10',
      'stream 10',
      'stream 11',
      'stream 11',
    ]);
  });

  it('gives up once errors.max.retries reconnects in a row failed', async () => {
    const sessions = Array.from({ length: 5 }, () => ({ fail: connectionReset() }));
    const { fake, run } = await streamSessions(sessions, { 'errors.max.retries': 2 });
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof SiphonError);
      assert.equal(error.retriable, false);
      assert.equal(error.message, 'gave up after 3 attempts (errors.max.retries=2): read ECONNRESET');
      return true;
    });
    assert.deepEqual(
      fake.retrying.map((r) => r.attempt),
      [1, 2],
    );
  });

  it('errors.max.retries=0 fails at the first lost connection', async () => {
    const { fake, run } = await streamSessions([{ fail: connectionReset() }], { 'errors.max.retries': 0 });
    await assert.rejects(run, /gave up after 1 attempts \(errors\.max\.retries=0\)/);
    assert.equal(fake.retrying.length, 0);
  });

  it('returns at once when the task stops during a backoff', async () => {
    const fake = new FakeCdcContext({ pos: 10, inProgress: false });
    const source = new FakeCdcSource(fake.controller, { sessions: [{ fail: connectionReset() }] });
    const run = new CdcCoordinator(fake.context, new Snapshotter('initial'), source, {
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
    }).run();
    await until(() => fake.retrying.length === 1);
    const stoppedAt = Date.now();
    fake.controller.abort();
    await run;
    assert.ok(Date.now() - stoppedAt < 1000, 'the 60 s wait was cut short');
    assert.deepEqual(source.calls.slice(2), ['stream 10']);
  });

  it('fails at once on an error that is not retriable', async () => {
    const bad = new DataError('a value that cannot be captured');
    const { fake, source, run } = await streamSessions([{ emitTo: 12, fail: bad }]);
    await assert.rejects(run, (error: unknown) => error === bad);
    assert.equal(fake.retrying.length, 0);
    assert.deepEqual(source.calls.slice(2), ['stream 10']);
  });

  it('fails with the check before reconnecting when what a new session relies on is gone too', async () => {
    const catalogLost = new RetriableError('lost the connection to PostgreSQL: catalog');
    const fake = new FakeCdcContext({ pos: 10, inProgress: false });
    const source = new FakeCdcSource(fake.controller, {
      sessions: [{ fail: connectionReset() }],
      checkBeforeReconnect: async () => {
        throw catalogLost;
      },
    });
    const run = new CdcCoordinator(fake.context, new Snapshotter('initial'), source, fastDelays).run();
    await assert.rejects(run, (error: unknown) => error === catalogLost);
    assert.equal(fake.retrying.length, 0);
  });

  it('reconnects when a session ends without an error while the task runs', async () => {
    const { fake, source, run } = await streamSessions([{ ends: true }]);
    await until(() => source.calls.length === 4);
    fake.controller.abort();
    await run;
    assert.deepEqual(source.calls.slice(2), ['stream 10', 'stream 10']);
    assert.ok(fake.retrying[0]?.error instanceof RetriableError);
  });
});
