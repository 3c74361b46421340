import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  deleteTopics,
  eventually,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';

/**
 * The worker's defaults end to end: the embedded schema registry and the Avro converters.
 * The counter source writes Confluent wire-format records; a sink on the same worker
 * decodes them back into the record model.
 */
const names = uniqueNames('rt-avro');
const dataTopic = `${names.group}-data`;
const dir = mkdtempSync(join(tmpdir(), 'siphon-avro-'));
let worker: WorkerProcess | undefined;

describe('Avro with the embedded schema registry', { timeout: 60000 }, () => {
  after(async () => {
    worker?.kill('SIGTERM');
    await worker?.waitForExit();
    rmSync(dir, { recursive: true, force: true });
    await deleteTopics(names.group);
  });

  it('produces Confluent wire format and reads it back in a sink', async () => {
    worker = await WorkerProcess.start(names, {
      SIPHON_KEY_CONVERTER: 'avro',
      SIPHON_VALUE_CONVERTER: 'avro',
      SIPHON_SCHEMA_REGISTRY_EMBEDDED: 'true',
      SIPHON_SCHEMA_REGISTRY_PORT: '0',
      SIPHON_SCHEMA_REGISTRY_TOPIC: `${names.group}-schemas`,
    });
    const source = await worker.api('POST', '/connectors', {
      name: 'avro-counter',
      config: { 'connector.class': 'counter', topic: dataTopic, limit: '50' },
    });
    assert.equal(source.status, 201, source.text);
    const messages = await readTopic(dataTopic, (m) => m.length >= 50);
    for (const m of messages.slice(0, 5)) {
      assert.equal(m.value?.[0], 0, 'magic byte');
      assert.ok((m.value?.readInt32BE(1) ?? 0) > 0, 'schema id');
    }
    const output = join(dir, 'out.jsonl');
    const sink = await worker.api('POST', '/connectors', {
      name: 'avro-sink',
      config: { 'connector.class': 'file-sink', topics: dataTopic, 'output.file': output },
    });
    assert.equal(sink.status, 201, sink.text);
    const lines = await eventually('sink decoded every record', async () => {
      const text = await readFile(output, 'utf8').catch(() => '');
      const parsed = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { key: string; value: { task: number; count: string } });
      return parsed.length >= 50 && parsed;
    });
    assert.deepEqual(
      lines.map((l) => Number(l.value.count)),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(lines[0]?.key, '0');
  });
});
