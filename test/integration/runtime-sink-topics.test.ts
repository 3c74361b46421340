// Sinks created before their topics exist: an explicit topic is waited for, and a
// topics.regex sink picks up matching topics created later, as Kafka's consumer does.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkerProcess, deleteTopics, eventually, kafka, uniqueNames } from '../fixtures/worker-harness.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';

describe('sink topics that appear later', () => {
  const names = uniqueNames('sink-topics');
  let worker: WorkerProcess;
  let outputDir: string;

  before(async () => {
    outputDir = await mkdtemp(join(tmpdir(), 'siphon-sink-topics-'));
    worker = await WorkerProcess.start(names);
  });

  after(async () => {
    worker.kill('SIGTERM');
    await worker.waitForExit();
    await deleteTopics(names.group);
    await rm(outputDir, { recursive: true, force: true });
  });

  async function produce(topic: string, count: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    await createTopicAndWait(admin, { topic, numPartitions: 1 });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }) })),
    });
    await producer.disconnect();
  }

  async function linesOf(file: string): Promise<{ topic: string }[]> {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { topic: string });
  }

  async function createSink(name: string, config: Record<string, string>): Promise<string> {
    const output = join(outputDir, `${name}.jsonl`);
    const created = await worker.api('POST', '/connectors', {
      name,
      config: {
        'connector.class': 'file-sink',
        'output.file': output,
        'value.converter': 'json',
        'value.converter.schemas.enable': 'false',
        ...config,
      },
    });
    assert.equal(created.status, 201, created.text);
    await eventually('the sink task runs', async () => {
      const status = await worker.api('GET', `/connectors/${name}/status`);
      return (status.json as { tasks?: { state: string }[] }).tasks?.[0]?.state === 'RUNNING';
    });
    return output;
  }

  it('an explicit topic that does not exist yet is consumed once it does', async () => {
    const topic = `${names.group}-later`;
    const output = await createSink(`${names.group}-explicit`, { topics: topic });
    await produce(topic, 5);
    await eventually(
      'the records of the new topic',
      async () => (await linesOf(output)).length === 5,
      30_000,
    );
  });

  it('a topics.regex sink consumes matching topics created after it started', async () => {
    const prefix = `${names.group}-rx`;
    const output = await createSink(`${names.group}-regex`, { 'topics.regex': `${prefix}\\..*` });
    await produce(`${prefix}.a`, 3);
    await eventually('records of the first topic', async () => (await linesOf(output)).length === 3, 30_000);
    await produce(`${prefix}.b`, 4);
    await eventually(
      'records of both topics, each once',
      async () => {
        const lines = await linesOf(output);
        return lines.length === 7 && lines.filter((l) => l.topic === `${prefix}.b`).length === 4;
      },
      30_000,
    );
  });
});
