import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompactedTopic } from '../../runtime/stores/compacted-topic.js';
import { StatusStore, type Status } from '../../runtime/stores/status-store.js';

type Handler = (key: string, value: Buffer | null) => void;

/** The store topic as the status store uses it: records followed, writes recorded. */
function fakeTopic() {
  let handler: Handler = () => undefined;
  const written: { key: string; value: string | null }[] = [];
  const topic = {
    follow: async (onRecord: Handler) => {
      handler = onRecord;
    },
    write: async (records: { key: string; value: string | null }[]) => {
      written.push(...records);
    },
  };
  const deliver = (key: string, status: Status | null) =>
    handler(key, status === null ? null : Buffer.from(JSON.stringify(status)));
  return { topic: topic as unknown as CompactedTopic, written, deliver };
}

const status = (worker: string, generation: number, state: Status['state'] = 'RUNNING'): Status => ({
  state,
  worker_id: worker,
  generation,
});

describe('status store', () => {
  it('keeps the newest generation of a task status, whether read or written here', async () => {
    const { topic, written, deliver } = fakeTopic();
    const store = new StatusStore(topic);
    await store.load();
    assert.equal(await store.putTask('c', 1, status('w1', 5)), true);
    // A replay (a reconnecting worker reads the topic again) and a cut-off worker's late write.
    deliver('status-task-c-1', status('w2', 4));
    deliver('status-task-c-1', status('w3', 3));
    assert.equal(store.task('c', 1)?.worker_id, 'w1');
    // A write of an older generation is stale: not written, and said so.
    assert.equal(store.supersedes('c', 1, status('w2', 4)), false);
    assert.equal(await store.putTask('c', 1, status('w2', 4)), false);
    assert.deepEqual(
      written.map((r) => r.key),
      ['status-task-c-1'],
    );
    // Within a generation the later wins; a newer generation always does.
    deliver('status-task-c-1', status('w1', 5, 'FAILED'));
    assert.equal(store.task('c', 1)?.state, 'FAILED');
    deliver('status-task-c-1', status('w2', 6));
    assert.equal(store.task('c', 1)?.worker_id, 'w2');
    assert.equal(store.highestGeneration(), 6);
    // A tombstone removes it, whatever the generation; anything is newer than nothing.
    deliver('status-task-c-1', null);
    assert.equal(store.task('c', 1), undefined);
    assert.equal(await store.putTask('c', 1, status('w3', 1)), true);
  });

  it('applies the same rule to connector statuses', async () => {
    const { topic, deliver } = fakeTopic();
    const store = new StatusStore(topic);
    await store.load();
    deliver('status-connector-c', status('w1', 9));
    deliver('status-connector-c', status('w2', 8, 'UNASSIGNED'));
    assert.equal(store.connector('c')?.worker_id, 'w1');
    assert.equal(await store.putConnector('c', status('w2', 8)), false);
    assert.equal(await store.putConnector('c', status('w2', 10)), true);
    assert.equal(store.connector('c')?.worker_id, 'w2');
    assert.equal(store.highestGeneration(), 10);
  });
});
