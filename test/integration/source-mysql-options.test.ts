// Connector options against the real MariaDB: the LOCK TABLES snapshot without RELOAD,
// column filters, message.key.columns, skipped operations, heartbeats, GTID source
// filters and the metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';
import { asPlainObjects } from '../support/plain-objects.js';

const db = new TestDatabase();
const topics: string[] = [];
const user = `${db.name}_lock`.slice(-60);

before(async () => {
  await db.create();
  await db.query(
    `CREATE TABLE ${db.name}.opts (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL, secret VARCHAR(20), n INT)`,
  );
  await db.query(`INSERT INTO ${db.name}.opts VALUES (1, 'A', 's1', 0), (2, 'B', 's2', 0)`);
  await db.query(`CREATE TABLE ${db.name}.beat (beats INT NOT NULL)`);
  await db.query(`INSERT INTO ${db.name}.beat VALUES (0)`);
  // No RELOAD: FLUSH TABLES WITH READ LOCK is refused, the snapshot locks the tables instead.
  await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'lock-secret'`);
  await db.query(`GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${user}'@'%'`);
  await db.query(`GRANT UPDATE ON ${db.name}.* TO '${user}'@'%'`);
});

after(async () => {
  await db.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await db.drop(topics);
});

function config(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  const raw = connectorConfig(db.name, {
    'topic.prefix': `${db.name}_${name}`,
    'schema.history.internal.kafka.topic': `${db.name}_${name}.history`,
    ...overrides,
  });
  topics.push(raw['schema.history.internal.kafka.topic']!, `__debezium-heartbeat.${raw['topic.prefix']}`);
  return raw;
}

test('filters, custom keys, skipped operations and heartbeats, with a LOCK TABLES snapshot', async () => {
  const raw = config('opts', {
    'database.user': user,
    'database.password': 'lock-secret',
    'column.exclude.list': `${db.name}\\.opts\\.secret`,
    'table.include.list': `${db.name}\\.opts`,
    'message.key.columns': `${db.name}\\.opts:code`,
    'skipped.operations': 'u',
    'heartbeat.interval.ms': '300',
    'heartbeat.action.query': `UPDATE ${db.name}.beat SET beats = beats + 1`,
  });
  const prefix = raw['topic.prefix']!;
  const topic = `${prefix}.${db.name}.opts`;
  const task = startTask(raw);
  try {
    await task.collect((all) => changeRecords(all, topic).length >= 2);
    await db.query(`UPDATE ${db.name}.opts SET n = 1 WHERE id = 1`);
    await db.query(`INSERT INTO ${db.name}.opts VALUES (3, 'C', 's3', 0)`);
    const records = await task.collect(
      (all) =>
        changeRecords(all, topic).length >= 3 &&
        all.some((r) => r.topic === `__debezium-heartbeat.${prefix}`),
    );
    const changes = changeRecords(records, topic);
    assert.deepEqual(
      changes.map((r) => envelope(r).op),
      ['r', 'r', 'c'],
      'the update is skipped',
    );
    assert.deepEqual(
      envelope(changes[2]!).after,
      { id: 3, code: 'C', n: 0 },
      'the excluded column is left out',
    );
    assert.deepEqual(
      asPlainObjects(changes[2]!.key),
      { code: 'C' },
      'message.key.columns replaces the primary key',
    );
    const heartbeat = records.find((r) => r.topic === `__debezium-heartbeat.${prefix}`)!;
    assert.equal(heartbeat.sourceOffset.file, changes[0]!.sourceOffset.file);
    assert.equal(typeof heartbeat.sourceOffset.pos, 'number');
    // The action query runs right after each heartbeat.
    let beats = 0;
    for (let i = 0; i < 50 && beats === 0; i++) {
      const [rows] = (await db.query(`SELECT beats FROM ${db.name}.beat`)) as [{ beats: number }[]];
      beats = rows[0]!.beats;
      if (beats === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(beats > 0, 'heartbeat.action.query ran');
    const metrics = await task.context.metrics.registry.metrics();
    assert.match(
      metrics,
      new RegExp(`siphon_source_change_events_total\\{connector="${prefix}",op="r"\\} 2`),
    );
    assert.match(
      metrics,
      new RegExp(`siphon_source_change_events_total\\{connector="${prefix}",op="c"\\} 1`),
    );
    assert.match(
      metrics,
      new RegExp(`siphon_source_mysql_snapshot_tables\\{connector="${prefix}",state="completed"\\} 1`),
    );
    assert.match(
      metrics,
      new RegExp(`siphon_source_mysql_binlog_position_bytes\\{connector="${prefix}"\\} [1-9]`),
    );
  } finally {
    await task.stop();
  }
});

test('gtid.source.excludes skips the transactions of an excluded GTID source', async () => {
  const [rows] = (await db.query('SELECT @@server_id AS id, @@gtid_domain_id AS domain')) as [
    { id: number; domain: number }[],
  ];
  const source = `${rows[0]!.domain}-${rows[0]!.id}`;
  const raw = config('gtid', {
    'snapshot.mode': 'no_data',
    'gtid.source.excludes': source,
    'heartbeat.interval.ms': '200',
  });
  const prefix = raw['topic.prefix']!;
  const task = startTask(raw);
  try {
    await task.collect((all) => all.some((r) => r.topic === `__debezium-heartbeat.${prefix}`));
    await db.query(`INSERT INTO ${db.name}.opts VALUES (10, 'X', null, 0)`);
    const [status] = (await db.query('SHOW MASTER STATUS')) as [{ Position: number }[]];
    // Heartbeats pass the insert's position: the reader read it, and emitted nothing for it.
    const records = await task.collect((all) =>
      all.some(
        (r) =>
          r.topic === `__debezium-heartbeat.${prefix}` && Number(r.sourceOffset.pos) >= status[0]!.Position,
      ),
    );
    assert.deepEqual(changeRecords(records, `${prefix}.${db.name}.opts`), []);
  } finally {
    await task.stop();
  }
});

test('TRUNCATE TABLE becomes a truncate event when skipped.operations lets it through', async () => {
  await db.query(`CREATE TABLE ${db.name}.trunc (id INT PRIMARY KEY)`);
  const raw = config('trunc', {
    'snapshot.mode': 'no_data',
    'skipped.operations': 'none',
    'table.include.list': `${db.name}\\.trunc`,
  });
  const topic = `${raw['topic.prefix']}.${db.name}.trunc`;
  const task = startTask(raw);
  try {
    await task.streaming();
    await db.query(`INSERT INTO ${db.name}.trunc VALUES (1), (2)`);
    await db.query(`TRUNCATE TABLE ${db.name}.trunc`);
    await db.query(`INSERT INTO ${db.name}.trunc VALUES (3)`);
    const records = changeRecords(await task.collect((all) => changeRecords(all, topic).length >= 4), topic);
    assert.deepEqual(
      records.map((r) => envelope(r).op),
      ['c', 'c', 't', 'c'],
    );
    const truncate = records[2]!;
    assert.equal(truncate.key, null);
    assert.equal(envelope(truncate).before, null);
    assert.equal(envelope(truncate).source.table, 'trunc');
  } finally {
    await task.stop();
  }
});

test('a 20,000-row transaction streams through a 100-row queue (the binlog connection pauses), every row once, in order', async () => {
  await db.query(`CREATE TABLE ${db.name}.big (id INT PRIMARY KEY, n INT NOT NULL)`);
  const rows = Array.from({ length: 20_000 }, (_, i) => [i + 1, 0]);
  await db.query(`INSERT INTO ${db.name}.big VALUES ?`, [rows]);
  const raw = config('big', {
    'snapshot.mode': 'no_data',
    'table.include.list': `${db.name}\\.big`,
    'max.queue.size': '100',
    'max.batch.size': '50',
  });
  const topic = `${raw['topic.prefix']}.${db.name}.big`;
  const task = startTask(raw);
  try {
    await task.streaming();
    await db.query(`UPDATE ${db.name}.big SET n = 1`);
    const records = changeRecords(
      await task.collect((all) => changeRecords(all, topic).length >= 20_000, 60_000),
      topic,
    );
    assert.equal(records.length, 20_000);
    assert.deepEqual(
      records.map((r) => Number(envelope(r).after!.id)),
      rows.map((row) => row[0]),
    );
  } finally {
    await task.stop();
  }
});
