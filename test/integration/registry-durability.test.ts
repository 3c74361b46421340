import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { Partitioners } from 'kafkajs';
import { startSchemaRegistry } from '../../runtime/registry/index.js';
import { call, registryFixture } from './registry-support.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const fixture = registryFixture('registry_durable');
after(() => fixture.cleanup());

function schema(name: string, fields: number): string {
  return JSON.stringify({
    type: 'record',
    name,
    namespace: 'siphon.durable',
    fields: Array.from({ length: fields }, (_, i) => ({
      name: `f${i}`,
      type: ['null', 'long'],
      default: null,
    })),
  });
}

async function startProcess(topic: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/registry-process.ts', topic], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`registry process exited with ${code}`);
    }),
  ])) as [string];
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

/** Everything a client can read: subjects with their versions and every id's schema. */
async function snapshot(url: string, ids: number[]): Promise<unknown> {
  const subjects = (await call(url, 'GET', '/subjects?deleted=true')).body as string[];
  const versions: Record<string, unknown> = {};
  for (const subject of subjects) {
    versions[subject] = {
      live: (await call(url, 'GET', `/subjects/${subject}/versions`)).body,
      all: (await call(url, 'GET', `/subjects/${subject}/versions?deleted=true`)).body,
      config: (await call(url, 'GET', `/config/${subject}`)).body,
    };
  }
  const schemas: Record<number, unknown> = {};
  for (const id of ids) schemas[id] = (await call(url, 'GET', `/schemas/ids/${id}`)).body;
  return { subjects, versions, schemas, global: (await call(url, 'GET', '/config')).body };
}

describe('schema registry durability', () => {
  it('a registry killed with SIGKILL comes back with every id from _schemas', async () => {
    const first = await startProcess(fixture.topic);
    const ids: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const subject = `durable-${i % 3}-value`;
        const response = await call(first.url, 'POST', `/subjects/${subject}/versions`, {
          schema: schema('Row', 1 + Math.floor(i / 3)),
        });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        ids.push((response.body as { id: number }).id);
      }
      await call(first.url, 'POST', '/subjects/durable-other-value/versions', { schema: schema('Other', 1) });
      await call(first.url, 'DELETE', '/subjects/durable-2-value/versions/1');
      await call(first.url, 'PUT', '/config/durable-0-value', { compatibility: 'FULL' });
      await call(first.url, 'PUT', '/config', { compatibility: 'FORWARD' });
      const before = await snapshot(first.url, ids);
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');

      const second = await startProcess(fixture.topic);
      try {
        assert.deepEqual(await snapshot(second.url, ids), before);
        // Ids go on from the highest one, never reusing an earlier id.
        const next = await call(second.url, 'POST', '/subjects/durable-new-value/versions', {
          schema: schema('New', 1),
        });
        assert.ok((next.body as { id: number }).id > Math.max(...ids));
      } finally {
        second.child.kill('SIGTERM');
        await once(second.child, 'exit');
      }
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    }
  });

  it('a transaction left open by a dead registry neither blocks a new one nor shows up in it', async () => {
    const topic = `${fixture.topic}_open_txn`;
    const admin = fixture.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    // What a registry killed between send and commit leaves behind.
    const dead = fixture.kafka.producer({
      transactionalId: `siphon-schema-registry-${topic}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await dead.connect();
    const open = await dead.transaction();
    await open.send({
      topic,
      messages: [
        {
          key: JSON.stringify({ keytype: 'SCHEMA', subject: 'ghost', version: 1, magic: 1 }),
          value: JSON.stringify({ subject: 'ghost', version: 1, id: 1, schema: '"string"', deleted: false }),
        },
      ],
    });
    await dead.disconnect();
    const started = Date.now();
    const registry = await startSchemaRegistry({
      host: '127.0.0.1',
      port: 0,
      kafka: fixture.kafka,
      topic,
      logger: quiet,
    });
    try {
      assert.ok(Date.now() - started < 15_000, `start took ${Date.now() - started} ms`);
      assert.deepEqual((await call(registry.url, 'GET', '/subjects')).body, []);
      const first = await call(registry.url, 'POST', '/subjects/real/versions', {
        schema: schema('Real', 1),
      });
      assert.deepEqual(first.body, { id: 1 });
    } finally {
      await registry.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('two registries on one topic register concurrently without an id collision', async () => {
    const a = await fixture.start();
    const b = await fixture.start();
    const requests: Promise<{ registry: string; schema: string; id: number }>[] = [];
    for (let i = 0; i < 12; i++) {
      for (const [name, registry] of [
        ['a', a],
        ['b', b],
      ] as const) {
        // Distinct schemas per registry, plus schemas both register (they must share an id).
        const text = i % 4 === 0 ? schema(`Shared${i}`, 2) : schema(`Only_${name}_${i}`, 1 + (i % 3));
        requests.push(
          call(registry.url, 'POST', `/subjects/concurrent-${name}-${i}/versions`, { schema: text }).then(
            (r) => {
              assert.equal(r.status, 200, JSON.stringify(r.body));
              return { registry: name, schema: text, id: (r.body as { id: number }).id };
            },
          ),
        );
      }
    }
    const results = await Promise.all(requests);
    const schemaOfId = new Map<number, string>();
    const idOfSchema = new Map<string, number>();
    for (const { schema: text, id } of results) {
      assert.equal(schemaOfId.get(id) ?? text, text, `id ${id} was given to two different schemas`);
      assert.equal(idOfSchema.get(text) ?? id, id, `one schema got two ids`);
      schemaOfId.set(id, text);
      idOfSchema.set(text, id);
    }
    assert.equal(schemaOfId.size, new Set(results.map((r) => r.schema)).size);
    // Both registries answer every id with the same schema.
    for (const [id, text] of schemaOfId) {
      for (const registry of [a, b]) {
        const got = await call(registry.url, 'GET', `/schemas/ids/${id}`);
        assert.equal((got.body as { schema: string }).schema, text);
      }
    }
  });
});
