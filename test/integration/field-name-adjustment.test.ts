import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AvroConverter } from '../../runtime/converters/avro-converter.js';
import type { RunningSchemaRegistry } from '../../runtime/registry/index.js';
import { sourceColumnNameParameter, type SinkRecord, type SourceRecord } from '../../runtime/record/index.js';
import { registryFixture } from './registry-support.js';
import { createDatabase, startTask, TARGETS, type TestDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, createTestDatabase, TaskRun } from './source-postgres-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';

/**
 * field.name.adjustment.mode and the original column name: column names Avro cannot hold
 * reach the target unchanged, through the Avro converter and the embedded registry, into
 * tables sink-jdbc creates in PostgreSQL and MariaDB; collisions name the table and both
 * columns.
 */
const hostileColumns = ['col"quote', '名前'];

describe('field names and source column names', { timeout: 180_000 }, () => {
  const fixture = registryFixture('field_names');
  let registry: RunningSchemaRegistry;
  let source: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    [registry, source] = await Promise.all([fixture.start(), createTestDatabase()]);
    await source.client.query('CREATE TABLE names (id int PRIMARY KEY, "col""quote" text, "名前" text)');
    await source.client.query(`INSERT INTO names VALUES (1, 'quoted', 'namae')`);
    await source.client.query('CREATE TABLE clash (id int PRIMARY KEY, "a-b" int, "a_b" int)');
  });
  after(async () => {
    await fixture.cleanup();
    await source?.drop();
  });

  async function capture(mode: string): Promise<{ record: SourceRecord; progress: Record<string, unknown> }> {
    const run = new TaskRun(
      connectorConfig(source.name, {
        'field.name.adjustment.mode': mode,
        'table.include.list': 'public.names,public.clash',
      }),
      new Map(),
    );
    try {
      const records = await run.drain((all) => all.some((r) => r.topic === 'it.public.names'));
      return { record: records.find((r) => r.topic === 'it.public.names')!, progress: run.progress };
    } finally {
      await run.stop();
    }
  }

  function rowFields(record: SourceRecord): { name: string; column: string | undefined }[] {
    const row = record.valueSchema!.fields!.find((f) => f.name === 'after')!.schema;
    return row.fields!.map((f) => ({
      name: f.name,
      column: f.schema.parameters?.[sourceColumnNameParameter],
    }));
  }

  it('adjusts as Debezium does and keeps the column name; a collision names table and columns', async () => {
    const avro = await capture('avro');
    assert.deepEqual(rowFields(avro.record), [
      { name: 'id', column: undefined },
      { name: 'col_quote', column: 'col"quote' },
      { name: '__', column: '名前' },
    ]);
    assert.deepEqual(asPlainObjects((avro.record.value as { after: unknown }).after), {
      id: 1,
      col_quote: 'quoted',
      __: 'namae',
    });
    assert.match(
      String(avro.progress['tables_not_captured']),
      /public\.clash: columns "a-b" and "a_b" of public\.clash both become field "a_b"/,
    );
    const unicode = await capture('avro_unicode');
    assert.deepEqual(
      rowFields(unicode.record).map((f) => f.name),
      ['id', 'col_u0022quote', '_u540d_u524d'],
    );
    const none = await capture('none');
    assert.deepEqual(
      rowFields(none.record).map((f) => f.name),
      ['id', ...hostileColumns],
    );
    assert.equal(none.progress['tables_not_captured'], undefined, 'no collision without adjustment');
  });

  for (const target of TARGETS) {
    it(`sink-jdbc creates and writes the exact source column names in ${target}, through Avro`, async () => {
      const { record } = await capture('none');
      const keys = new AvroConverter();
      const values = new AvroConverter();
      await keys.configure({ 'schema.registry.url': registry.url }, true);
      await values.configure({ 'schema.registry.url': registry.url }, false);
      const topic = `it.public.names_${target}`;
      const key = await keys.toConnectData(
        topic,
        await keys.fromConnectData(topic, record.keySchema, record.key),
      );
      const value = await values.toConnectData(
        topic,
        await values.fromConnectData(topic, record.valueSchema, record.value),
      );
      const decodedRow = value.schema!.fields!.find((f) => f.name === 'after')!.schema;
      assert.deepEqual(
        decodedRow.fields!.map((f) => f.name),
        ['id', 'col_quote', '__'],
        'Avro holds adjusted names',
      );
      let db: TestDatabase | undefined;
      const started: Awaited<ReturnType<typeof startTask>>[] = [];
      try {
        db = await createDatabase(target);
        const sink = await startTask({
          'connection.url': db.url,
          'auto.create': 'true',
          'insert.mode': 'upsert',
          'primary.key.mode': 'record_key',
          'table.name.format': 'names',
        });
        started.push(sink);
        const sinkRecord: SinkRecord = {
          topic,
          kafkaPartition: 0,
          kafkaOffset: 0n,
          keySchema: key.schema,
          key: key.value,
          valueSchema: value.schema,
          value: value.value,
        };
        await sink.task.put([sinkRecord]);
        const rows =
          target === 'postgresql'
            ? await db.query('SELECT id, "col""quote" AS q, "名前" AS n FROM names')
            : await db.query('SELECT id, `col"quote` AS q, `名前` AS n FROM names');
        assert.deepEqual(
          rows.map((r) => ({ id: Number(r['id']), q: r['q'], n: r['n'] })),
          [{ id: 1, q: 'quoted', n: 'namae' }],
        );
      } finally {
        for (const s of started) {
          s.context.stop();
          await s.task.stop();
        }
        await db?.drop();
      }
    });
  }
});
