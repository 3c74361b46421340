import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plugin } from '../../connectors/source-postgres/index.js';
import { readPostgresOptions } from '../../connectors/source-postgres/config.js';
import { parseConfig } from '../../runtime/config/config-parser.js';

const base = {
  'database.hostname': 'db',
  'database.user': 'u',
  'database.dbname': 'inventory',
  'topic.prefix': 'dbserver1',
};

describe('PostgreSQL source config', () => {
  it('says on delete what stays behind: the slot unless slot.drop.on.stop, and the publication', () => {
    const kept = plugin.leftBehindOnDelete!(
      parseConfig(plugin.configDef, { ...base, 'slot.name': 's1' }).values,
    );
    assert.equal(kept.length, 2);
    assert.match(kept[0]!, /replication slot s1 is kept .*pg_drop_replication_slot\('s1'\)/);
    assert.match(kept[1]!, /publication dbz_publication is kept/);
    const dropped = plugin.leftBehindOnDelete!(
      parseConfig(plugin.configDef, { ...base, 'slot.drop.on.stop': 'true' }).values,
    );
    assert.deepEqual(dropped, [
      'publication dbz_publication is kept (DROP PUBLICATION dbz_publication when no connector uses it)',
    ]);
  });

  it("takes Debezium's names and defaults", () => {
    const parsed = parseConfig(plugin.configDef, base);
    assert.equal(parsed.errors.size, 0);
    const o = readPostgresOptions(parsed.values);
    assert.equal(o.port, 5432);
    assert.equal(o.slotName, 'debezium');
    assert.equal(o.publicationName, 'dbz_publication');
    assert.equal(o.snapshotMode, 'initial');
    assert.equal(o.snapshotFetchSize, 10240);
    assert.equal(o.snapshotMaxThreads, 1, 'one reader unless snapshot.max.threads says more');
    assert.equal(o.tombstonesOnDelete, true);
    assert.equal(o.decimalMode, 'precise');
    assert.equal(o.timePrecisionMode, 'adaptive');
    assert.deepEqual([...o.skippedOperations], ['t']);
    assert.equal(o.maxBatchSize, 2048);
    assert.equal(o.maxQueueSize, 8192);
    assert.equal(o.heartbeatTopicsPrefix, '__debezium-heartbeat');
  });
  it('rejects other decoding plugins with the fix', () => {
    const parsed = parseConfig(plugin.configDef, { ...base, 'plugin.name': 'decoderbufs' });
    assert.match(parsed.errors.get('plugin.name')?.[0] ?? '', /only pgoutput.*set plugin.name=pgoutput/);
  });
  it('names bad values and conflicting lists', () => {
    const parsed = parseConfig(plugin.configDef, {
      ...base,
      'snapshot.mode': 'sometimes',
      'table.include.list': 'public.a',
      'table.exclude.list': 'public.b',
      'slot.name': 'Bad-Slot',
      'max.queue.size': '10',
      'max.batch.size': '20',
      'skipped.operations': 'c,x',
      'schema.include.list': 'inv(',
    });
    assert.match(
      parsed.errors.get('schema.include.list')?.[0] ?? '',
      /"inv\(" is not a valid regular expression/,
    );
    assert.match(parsed.errors.get('snapshot.mode')?.[0] ?? '', /sometimes/);
    assert.match(parsed.errors.get('table.include.list')?.[0] ?? '', /cannot be used together/);
    assert.match(parsed.errors.get('slot.name')?.[0] ?? '', /Bad-Slot.*lower-case/);
    assert.match(parsed.errors.get('max.queue.size')?.[0] ?? '', /must be larger than max.batch.size/);
    assert.match(parsed.errors.get('skipped.operations')?.[0] ?? '', /"x" is not an operation/);
  });
  it('declares each key once, documented', () => {
    const names = plugin.configDef.map((k) => k.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(plugin.configDef.every((k) => k.documentation.length > 10));
    assert.ok(plugin.aliases.includes('io.debezium.connector.postgresql.PostgresConnector'));
  });
});
