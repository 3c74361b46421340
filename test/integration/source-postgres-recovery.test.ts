import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { connectorConfig, createTestDatabase, pgAdmin, TaskRun } from './source-postgres-harness.js';
import { uniqueName } from '../support/plugin-test-kit.js';
import pg from 'pg';
import { asPlainObjects } from '../support/plain-objects.js';
import { eventually } from '../fixtures/worker-harness.js';

const op = (r: SourceRecord): string | undefined => (r.value as { op?: string } | null)?.op;
const rowId = (r: SourceRecord): number => (r.value as { after: { id: number } }).after.id;

describe('PostgreSQL source: recovery, heartbeats and preflight', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE big (id int PRIMARY KEY, v text)');
    await db.client.query("INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 30000) g");
    await db.client.query('CREATE TABLE captured (id int PRIMARY KEY)');
    await db.client.query('CREATE TABLE noise (id serial PRIMARY KEY, pad text)');
    await db.client.query('CREATE TABLE beats (at timestamptz DEFAULT now())');
  });
  after(async () => {
    await db?.drop();
  });

  it('resumes an interrupted snapshot after the last committed row, then streams', async () => {
    const offsets = new Map<string, SourceOffset>();
    const config = connectorConfig(db.name, {
      'table.include.list': 'public\\.big',
      'snapshot.fetch.size': '1000',
      'publication.autocreate.mode': 'filtered',
    });
    const first = new TaskRun(config, offsets, 1000);
    let committedUpTo: number;
    try {
      const taken = await first.drain((all) => all.length >= 5000);
      committedUpTo = rowId(taken[taken.length - 1]!);
      assert.ok(taken.every((r) => op(r) === 'r'));
    } finally {
      await first.stop();
    }
    const second = new TaskRun(config, offsets, 1000);
    try {
      const ids: number[] = [];
      await second.drain((all) => {
        for (const r of all.splice(0)) if (op(r) === 'r') ids.push(rowId(r));
        return ids.length > 0 && ids[ids.length - 1] === 30000;
      });
      assert.equal(
        ids[0],
        committedUpTo + 1,
        'the snapshot resumes after the last committed row, not from zero',
      );
      assert.equal(ids.length, 30000 - committedUpTo);
      await db.client.query("INSERT INTO big VALUES (30001, 'streamed')");
      const streamed = await second.drain((all) => all.some((r) => op(r) === 'c'));
      assert.equal(rowId(streamed.find((r) => op(r) === 'c')!), 30001);
    } finally {
      await second.stop();
    }
  });

  it('keeps the slot lag bounded on a quiet captured table through heartbeats', async () => {
    const config = connectorConfig(db.name, {
      'table.include.list': 'public\\.captured',
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'no_data',
      'heartbeat.interval.ms': '300',
      'heartbeat.action.query': 'INSERT INTO beats DEFAULT VALUES',
    });
    const run = new TaskRun(config, new Map(), 1000);
    try {
      // WAL traffic only in a table the connector does not capture: ~20 MB.
      for (let i = 0; i < 10; i++) {
        await db.client.query(
          "INSERT INTO noise (pad) SELECT repeat('x', 1000) FROM generate_series(1, 2000)",
        );
      }
      // Measured against where the noise ends, not the server's current WAL: tests running
      // alongside write WAL of their own that no heartbeat here can confirm.
      const noiseEnd = (await db.client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))
        .rows[0]!.lsn;
      let confirmedPastNoise = false;
      const watch = eventually(
        `the slot confirms past the uncaptured WAL (ending at ${noiseEnd})`,
        async () => {
          const r = await db.client.query<{ past: boolean }>(
            'SELECT confirmed_flush_lsn >= $1::pg_lsn AS past FROM pg_replication_slots WHERE slot_name = $2',
            [noiseEnd, config['slot.name']],
          );
          return r.rows[0]?.past === true;
        },
      ).then(() => (confirmedPastNoise = true));
      // Awaited below; the drain times out at the same moment if the slot never gets there.
      watch.catch(() => undefined);
      const heartbeats = await run.drain(
        (all) => confirmedPastNoise && all.filter((r) => r.topic === '__debezium-heartbeat.it').length >= 8,
        { timeoutMs: 30_000 },
      );
      await watch;
      const hb = heartbeats.find((r) => r.topic === '__debezium-heartbeat.it')!;
      assert.deepEqual(asPlainObjects(hb.key), { serverName: 'it' });
      assert.ok(
        confirmedPastNoise,
        `the slot confirmed past the 20 MB of uncaptured WAL (ending at ${noiseEnd})`,
      );
      const beats = await db.client.query<{ n: string }>('SELECT count(*) AS n FROM beats');
      assert.ok(Number(beats.rows[0]!.n) >= 5, 'heartbeat.action.query ran');
    } finally {
      await run.stop();
    }
  });

  it('turns a lost server into a retriable failure; a restart resumes from the committed offsets', async () => {
    const offsets = new Map<string, SourceOffset>();
    const config = connectorConfig(db.name, {
      'table.include.list': 'public\\.captured',
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'no_data',
    });
    const ids = (records: readonly SourceRecord[]): number[] =>
      records.filter((r) => r.topic === 'it.public.captured' && op(r) === 'c').map(rowId);
    const first = new TaskRun(config, offsets);
    const seen: number[] = [];
    try {
      // no_data: only changes after the slot exists are captured.
      const deadline = Date.now() + 15_000;
      while (first.progress['phase'] !== 'streaming' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await db.client.query('INSERT INTO captured SELECT g FROM generate_series(1, 100) g');
      await first.drain((all) => {
        seen.push(...ids(all.splice(0)));
        return seen.length >= 100;
      });
      // What a server restart does to the connector: every one of its backends ends.
      await db.client.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'siphon-%'",
        [db.name],
      );
      // A deadline, not a sleep: the race ends as soon as the task fails (slow on a busy machine).
      await Promise.race([first.done, new Promise((r) => setTimeout(r, 60_000))]);
      assert.equal(first.failure?.name, 'RetriableError', String(first.failure));
    } finally {
      await first.stop();
    }
    await db.client.query('INSERT INTO captured SELECT g FROM generate_series(101, 200) g');
    const second = new TaskRun(config, offsets);
    try {
      await second.drain((all) => {
        seen.push(...ids(all.splice(0)));
        return seen.length >= 200;
      });
      await second.drainFor(500).then((rest) => seen.push(...ids(rest)));
      assert.deepEqual(
        seen,
        Array.from({ length: 200 }, (_, i) => i + 1),
        'every row once, in order',
      );
    } finally {
      await second.stop();
    }
  });

  it('with publication.autocreate.mode=disabled, a missing publication fails with the fix', async () => {
    const run = new TaskRun(
      connectorConfig(db.name, { 'publication.autocreate.mode': 'disabled' }),
      new Map(),
    );
    await run.done;
    assert.match(
      run.failure?.message ?? '',
      /publication "pub_slot_.*" does not exist and publication.autocreate.mode=disabled: create it/,
    );
  });

  it('fails with the missing privileges named, before creating anything', async () => {
    const role = uniqueName('siphon_weak');
    const admin = new pg.Client(pgAdmin);
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      const config = connectorConfig(db.name, {
        'database.user': role,
        'publication.autocreate.mode': 'all_tables',
      });
      const run = new TaskRun(config, new Map());
      await run.done;
      assert.ok(run.failure, 'the task fails');
      assert.match(run.failure.message, new RegExp(`user "${role}" lacks the REPLICATION privilege`));
      assert.match(run.failure.message, /ALTER ROLE .* REPLICATION/);
      assert.match(run.failure.message, /lacks SELECT on public\.beats, public\.big/);
      assert.match(run.failure.message, /needs superuser/);
      const slots = await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
        config['slot.name'],
      ]);
      assert.equal(slots.rowCount, 0);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
