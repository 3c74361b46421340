// A worker starts every time on brand-new store topics (and a brand-new _schemas topic
// for its embedded registry): 30 starts in a row, in-process through the same start path
// as `siphon worker`. Before topic creation tolerated a KRaft broker's passing
// "This server does not host this topic-partition", about one start in ten exited.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startWorkerProcess } from '../../runtime/worker/worker-process.js';
import { bootstrap, deleteTopics, uniqueNames } from '../fixtures/worker-harness.js';

const starts = 30;
const prefix = uniqueNames('worker-start').group;

describe('worker start on fresh topics', { timeout: 10 * 60_000 }, () => {
  after(async () => {
    await deleteTopics(prefix);
  });

  it(`starts ${starts} times in a row`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < starts; i++) {
      const group = `${prefix}-${i}`;
      try {
        const worker = await startWorkerProcess({
          overrides: {
            'bootstrap.servers': bootstrap,
            'group.id': group,
            'config.storage.topic': `${group}-configs`,
            'offset.storage.topic': `${group}-offsets`,
            'status.storage.topic': `${group}-status`,
            'rest.port': '0',
            'schema.registry.embedded': 'true',
            'schema.registry.port': '0',
            'schema.registry.topic': `${group}-schemas`,
            'log.level': 'error',
          },
        });
        await worker.stop();
      } catch (error) {
        failures.push(`start ${i}: ${(error as Error).stack ?? String(error)}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
