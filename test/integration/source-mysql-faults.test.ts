// Bad input and faults against the real MariaDB: missing privileges, a server id clash,
// a purged binlog position, and a missing schema history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { plugin } from '../../connectors/source-mysql/index.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

const db = new TestDatabase();
const topics: string[] = [];
const users: string[] = [];

before(async () => {
  await db.create();
  await db.query(`CREATE TABLE ${db.name}.items (id INT PRIMARY KEY, label VARCHAR(20))`);
  await db.query(`INSERT INTO ${db.name}.items VALUES (1, 'a'), (2, 'b')`);
});

after(async () => {
  for (const user of users) await db.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await db.drop(topics);
});

function config(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  const raw = connectorConfig(db.name, {
    'topic.prefix': `${db.name}_${name}`,
    'schema.history.internal.kafka.topic': `${db.name}_${name}.history`,
    ...overrides,
  });
  topics.push(raw['schema.history.internal.kafka.topic']!);
  return raw;
}

test('a user without REPLICATION SLAVE / REPLICATION CLIENT is named with the GRANT that fixes it', async () => {
  const user = `${db.name}_ro`.slice(-60);
  users.push(user);
  await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'ro-secret'`);
  await db.query(`GRANT SELECT ON *.* TO '${user}'@'%'`);
  const raw = config('ro', { 'database.user': user, 'database.password': 'ro-secret' });
  const task = startTask(raw);
  const error = await task.done;
  assert.match(String(error?.message), /lacks the REPLICATION SLAVE and REPLICATION CLIENT privileges/);
  assert.match(
    String(error?.message),
    new RegExp(`GRANT REPLICATION SLAVE, REPLICATION CLIENT ON \\*\\.\\* TO '${user}'`),
  );
  assert.doesNotMatch(String(error?.message), /ro-secret/, 'the password never appears');
  // The REST validate path reports the same, on the connection field.
  const issues = await plugin.validate!(parseConfig(plugin.configDef, raw).values);
  assert.ok(issues.some((issue) => /REPLICATION SLAVE/.test(issue.message)));
});

test('bad config values are named with the value and the fix', () => {
  const { errors } = parseConfig(
    plugin.configDef,
    config('bad', { 'snapshot.mode': 'sometimes', 'database.server.id': '0', 'topic.prefix': 'bad prefix!' }),
  );
  assert.match(String(errors.get('snapshot.mode')), /sometimes/);
  assert.match(String(errors.get('database.server.id')), /from 1 to 4294967295, got 0/);
  assert.match(String(errors.get('topic.prefix')), /"bad prefix!" is not a valid topic prefix/);
});

test("the source server's own server id is refused", async () => {
  const task = startTask(config('own', { 'database.server.id': '1' }));
  assert.match(
    String((await task.done)?.message),
    /database.server.id=1 is the source server's own server_id/,
  );
});

test('two connectors with one server id: the first is told why the server dropped it', async () => {
  const shared = config('dup_a', { 'snapshot.mode': 'no_data' });
  const first = startTask(shared);
  await first.streaming();
  const second = startTask(
    config('dup_b', { 'snapshot.mode': 'no_data', 'database.server.id': shared['database.server.id']! }),
  );
  try {
    const error = await Promise.race([
      first.done,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000).unref()),
    ]);
    assert.match(
      String((error as Error | string | null) instanceof Error ? (error as Error).message : error),
      /another binlog reader connected with database.server.id=\d+/,
    );
  } finally {
    await first.stop();
    await second.stop();
  }
});

test('a purged binlog position fails with the fix; snapshot.mode=when_needed takes a new snapshot instead', async () => {
  const raw = config('purged');
  const purged = new Map([
    [
      JSON.stringify({ server: raw['topic.prefix'] }),
      { file: 'mysql-bin.999999', pos: 4, event: 0, row: -1, gtids: null, ts_sec: 0 },
    ],
  ]);
  const failing = startTask(raw, purged);
  assert.match(
    String((await failing.done)?.message),
    /binlog file mysql-bin\.999999 .* is no longer on the server .* snapshot\.mode=when_needed/,
  );

  const recovering = startTask({ ...raw, 'snapshot.mode': 'when_needed' }, purged);
  try {
    const topic = `${raw['topic.prefix']}.${db.name}.items`;
    const records = changeRecords(
      await recovering.collect((all) => changeRecords(all, topic).length >= 2),
      topic,
    );
    assert.deepEqual(
      records.map((r) => envelope(r).op),
      ['r', 'r'],
    );
  } finally {
    await recovering.stop();
  }
});

test('offsets without a schema history fail with the fix', async () => {
  const raw = config('nohistory');
  const [status] = (await db.query('SHOW MASTER STATUS')) as [{ File: string; Position: number }[]];
  const offset = new Map([
    [
      JSON.stringify({ server: raw['topic.prefix'] }),
      { file: status[0]!.File, pos: status[0]!.Position, event: 0, row: -1, gtids: null, ts_sec: 0 },
    ],
  ]);
  const task = startTask(raw, offset);
  assert.match(String((await task.done)?.message), /schema history topic .* is empty or missing/);
});
