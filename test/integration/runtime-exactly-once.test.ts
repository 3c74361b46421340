import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import {
  deleteTopics,
  eventually,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';

/**
 * Exactly-once source (exactly.once.source.support=enabled, exactly.once.support=required):
 * records and offsets go to Kafka in one transaction, so after kill -9 and a restart a
 * read_committed consumer (kafkajs' default) sees every count exactly once.
 */
const names = uniqueNames('rt-eos');
const dataTopic = `${names.group}-data`;
const env = { SIPHON_EXACTLY_ONCE_SOURCE_SUPPORT: 'enabled' };
const started: WorkerProcess[] = [];

function counts(messages: KafkaMessage[]): number[] {
  return messages.map((m) =>
    Number((JSON.parse(m.value?.toString() ?? '{}') as { payload: { count: number } }).payload.count),
  );
}

describe('exactly-once source', { timeout: 120000 }, () => {
  after(async () => {
    for (const w of started) if (w.child.exitCode === null) w.kill('SIGKILL');
    await deleteTopics(names.group);
  });

  it('produces every count exactly once across kill -9', async () => {
    const first = await WorkerProcess.start(names, env);
    started.push(first);
    const created = await first.api('POST', '/connectors', {
      name: 'eos',
      config: { 'connector.class': 'counter', topic: dataTopic, 'exactly.once.support': 'required' },
    });
    assert.equal(created.status, 201);
    await readTopic(dataTopic, (m) => m.length >= 300);
    first.kill('SIGKILL');
    await first.waitForExit();

    const second = await WorkerProcess.start(names, env);
    started.push(second);
    await eventually('running again', async () => {
      const s = await second.api('GET', '/connectors/eos/tasks/0/status');
      return (s.json as { state: string }).state === 'RUNNING';
    });
    const seen = await readTopic(dataTopic, (m) => m.length >= 1 && Math.max(...counts(m)) >= 700, 60000);
    const all = counts(seen);
    const max = Math.max(...all);
    const distinct = new Set(all);
    for (let i = 1; i <= max; i++) assert.ok(distinct.has(i), `count ${i} missing`);
    assert.equal(all.length, distinct.size, 'a count was committed twice');
    second.kill('SIGTERM');
    assert.equal(await second.waitForExit(), 0);
  });
});
