// snapshot.max.threads for the MySQL source, against the real MariaDB and Kafka (schema
// history): tables and key ranges read by several connections on one consistent snapshot,
// emitted one table after the other; an interrupted parallel snapshot resumes after the last key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SourceRecord } from '../../runtime/record/index.js';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

const db = new TestDatabase();
const historyTopics: string[] = [];
/** A user without RELOAD: FLUSH TABLES WITH READ LOCK is refused, the snapshot locks the tables instead. */
const lockUser = `${db.name}_plock`.slice(-60);
const tables = { accounts: 3000, keyless: 1500, pairs: 2000, zones: 100 };

before(async () => {
  await db.create();
  await db.query(`CREATE USER '${lockUser}'@'%' IDENTIFIED BY 'lock-secret'`);
  await db.query(`GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${lockUser}'@'%'`);
  await db.query(`CREATE TABLE ${db.name}.accounts (id INT PRIMARY KEY, version INT NOT NULL)`);
  await db.query(`INSERT INTO ${db.name}.accounts VALUES ?`, [
    Array.from({ length: tables.accounts }, (_, i) => [i + 1, 0]),
  ]);
  await db.query(`CREATE TABLE ${db.name}.keyless (n INT NOT NULL, pad VARCHAR(20))`);
  await db.query(`INSERT INTO ${db.name}.keyless VALUES ?`, [
    Array.from({ length: tables.keyless }, (_, i) => [i + 1, 'k']),
  ]);
  // A composite key, text in its second column: ranges bounded on both columns.
  await db.query(`CREATE TABLE ${db.name}.pairs (a INT, b VARCHAR(8), PRIMARY KEY (a, b))`);
  await db.query(`INSERT INTO ${db.name}.pairs VALUES ?`, [
    Array.from({ length: tables.pairs }, (_, i) => [i % 7, `p${i}`]),
  ]);
  await db.query(`CREATE TABLE ${db.name}.zones (code VARCHAR(10) PRIMARY KEY, version INT NOT NULL)`);
  await db.query(`INSERT INTO ${db.name}.zones VALUES ?`, [
    Array.from({ length: tables.zones }, (_, i) => [`z${i + 1}`, 0]),
  ]);
});

after(async () => {
  await db.query(`DROP USER IF EXISTS '${lockUser}'@'%'`);
  await db.drop(historyTopics);
});

function config(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  const prefix = `${db.name}_${name}`;
  historyTopics.push(`${prefix}.history`);
  return connectorConfig(db.name, {
    'snapshot.fetch.size': '100',
    'snapshot.max.threads': '3',
    'tombstones.on.delete': 'false',
    'topic.prefix': prefix,
    'schema.history.internal.kafka.topic': `${prefix}.history`,
    ...overrides,
  });
}

const reads = (records: readonly SourceRecord[]): SourceRecord[] =>
  records.filter((r) => r.value !== null && envelope(r).op === 'r');
const rowId = (r: SourceRecord): string => {
  const row = envelope(r).after!;
  return String(row.id ?? row.n ?? row.code ?? `${String(row.a)}/${String(row.b)}`);
};

const lockings: Record<string, Record<string, string>> = {
  minimal: { 'snapshot.locking.mode': 'minimal' },
  'minimal-lock-tables': {
    'snapshot.locking.mode': 'minimal',
    'database.user': lockUser,
    'database.password': 'lock-secret',
  },
  none: { 'snapshot.locking.mode': 'none' },
};

for (const [locking, lockingConfig] of Object.entries(lockings)) {
  test(`${locking}: readers on one consistent snapshot under writes, every row once, tables one after the other`, async () => {
    const name = locking.replaceAll('-', '_');
    const topicOf = (table: string) => `${db.name}_${name}.${db.name}.${table}`;
    // Writers run from before the snapshot to its end, on the first table and on the last
    // (read by another connection): a reader outside the snapshot would read a version the
    // binlog then repeats.
    let writing = true;
    const writes = (async () => {
      for (let n = 0; writing && n < 2000; n++) {
        await db.query(`UPDATE ${db.name}.accounts SET version = version + 1 WHERE id = ?`, [
          1 + ((n * 7) % 3000),
        ]);
        await db.query(`UPDATE ${db.name}.zones SET version = version + 1 WHERE code = ?`, [
          `z${1 + (n % 100)}`,
        ]);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const task = startTask(config(name, lockingConfig));
    try {
      const snapshot = await task.collect(
        (all) => all.some((r) => r.sourceOffset.snapshot === 'last'),
        60_000,
      );
      writing = false;
      await writes;
      await db.query(`UPDATE ${db.name}.accounts SET version = version + 1 WHERE id = 3000`);
      const records = await task.collect((all) =>
        all.some(
          (r) => r.topic === topicOf('accounts') && envelope(r).op === 'u' && envelope(r).after!.id === 3000,
        ),
      );
      const rows = reads(snapshot);
      const order = ['accounts', 'keyless', 'pairs', 'zones'] as const;
      assert.deepEqual(
        rows.map((r) => r.topic),
        order.flatMap((t) => Array<string>(tables[t]).fill(topicOf(t))),
        'every row once per table, one table after the other',
      );
      for (const t of order) {
        const ids = rows.filter((r) => r.topic === topicOf(t)).map(rowId);
        assert.equal(new Set(ids).size, tables[t], `${t}: no row twice`);
      }
      const markers = rows.map((r) => envelope(r).source.snapshot);
      assert.equal(markers[0], 'first');
      assert.equal(markers[tables.accounts - 1], 'last_in_data_collection');
      assert.equal(markers[tables.accounts], 'first_in_data_collection');
      assert.equal(markers.at(-1), 'last');
      // Per key, each streamed update follows the version its snapshot read: the readers saw
      // the state at the snapshot's binlog position.
      for (const t of ['accounts', 'zones']) {
        const version = new Map<string, number>();
        for (const record of changeRecords(records, topicOf(t))) {
          const { op, after: row } = envelope(record);
          const id = String(row!.id ?? row!.code);
          if (op === 'u')
            assert.equal(row!.version, (version.get(id) ?? Number.NaN) + 1, `${t}: update of ${id} in order`);
          version.set(id, Number(row!.version));
        }
      }
      const [pairs] = (await db.query(`SELECT a, b FROM ${db.name}.pairs ORDER BY a, b`)) as [
        { a: number; b: string }[],
      ];
      assert.deepEqual(
        rows
          .filter((r) => r.topic === topicOf('pairs'))
          .map((r) => `${envelope(r).after!.a}/${envelope(r).after!.b}`),
        pairs.map((p) => `${p.a}/${p.b}`),
        'composite key ranges in key order',
      );
      assert.deepEqual(
        rows.filter((r) => r.topic === topicOf('accounts')).map((r) => Number(rowId(r))),
        Array.from({ length: tables.accounts }, (_, i) => i + 1),
        'key ranges in key order',
      );
      const readers = Math.max(...task.context.progressReports.map((p) => Number(p.readers ?? 1)));
      if (locking !== 'none') assert.equal(readers, 3, 'three connections read the snapshot');
      else assert.ok(readers >= 1 && readers <= 3);
      if (readers > 1) {
        const ranges = 1 + Math.max(...task.context.progressReports.map((p) => Number(p.chunks_done ?? -1)));
        // Ranges of 1000 rows: accounts 4 (the last one open and empty), pairs 3, keyless and zones whole.
        assert.equal(ranges, 9, 'accounts and pairs were cut into key ranges');
      }
    } finally {
      writing = false;
      await writes;
      await task.stop();
    }
    assert.equal(await task.done, null);
  });
}

test("without a lock and with nothing committed meanwhile, every reader shares the first one's snapshot", async () => {
  // The binlog is the server's: another test committing between the readers' starts makes
  // them differ (and rightly left out), so a few attempts.
  let readers = 0;
  for (let attempt = 0; attempt < 3 && readers !== 3; attempt++) {
    const task = startTask(config(`none_quiet${attempt}`, { 'snapshot.locking.mode': 'none' }));
    try {
      const rows = reads(
        await task.collect((all) => all.some((r) => r.sourceOffset.snapshot === 'last'), 60_000),
      );
      const total = Object.values(tables).reduce((a, b) => a + b, 0);
      assert.equal(new Set(rows.map((r) => `${r.topic}/${rowId(r)}`)).size, total, 'every row once');
      assert.equal(rows.length, total);
      readers = Math.max(...task.context.progressReports.map((p) => Number(p.readers ?? 1)));
    } finally {
      await task.stop();
    }
  }
  assert.equal(readers, 3, "MariaDB's binlog_snapshot position shows the readers saw the same commits");
});

test('an interrupted parallel snapshot resumes after the last key emitted', async () => {
  const resumeConfig = config('resume');
  const first = startTask(resumeConfig);
  const partial = reads(await first.collect((records) => reads(records).length >= 1200));
  const committedAt = partial[1199]!;
  first.context.commit(committedAt);
  await first.stop();
  const second = startTask(resumeConfig, first.context.committed);
  try {
    const rest = reads(
      await second.collect((records) => records.some((r) => r.sourceOffset.snapshot === 'last'), 60_000),
    );
    const accounts = [...partial.slice(0, 1200), ...rest]
      .filter((r) => r.topic.endsWith('.accounts'))
      .map((r) => Number(rowId(r)));
    assert.deepEqual(
      accounts,
      Array.from({ length: tables.accounts }, (_, i) => i + 1),
      'every row exactly once, in key order, across the restart',
    );
    assert.equal(rest.filter((r) => r.topic.endsWith('.keyless')).length, tables.keyless);
    assert.equal(rest.filter((r) => r.topic.endsWith('.pairs')).length, tables.pairs);
    assert.equal(rest.filter((r) => r.topic.endsWith('.zones')).length, tables.zones);
  } finally {
    await second.stop();
  }
});
