// The "a table added while running" story on PostgreSQL, with a real worker: the
// source streams table a under writes; table b, with rows, is added to table.include.list
// with snapshot.new.tables=incremental through PUT /connectors/{name}/config; the filtered
// publication gains b; progress climbs in the status; the worker is killed with SIGKILL
// half-way through b's snapshot, a new one resumes it; a JDBC sink ends with b equal to the
// source row for row (updated and deleted under the snapshot), and a never stopped streaming.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import {
  eventually,
  killAndRestart,
  stopAndRemove,
  uniqueNames,
  WorkerProcess,
  topicRecordCount,
} from '../fixtures/worker-harness.js';
import { committedOffset, eventsIn, incrementalRowsDone, taskProgress } from './new-tables-harness.js';
import { connectorConfig, connectTo, createTestDatabase } from './source-postgres-harness.js';

const names = uniqueNames('pg-new-tables');
const prefix = names.group.replaceAll('-', '_');
const source = `${names.group}-source`;
const sink = `${names.group}-sink`;
const topicA = `${prefix}.public.a`;
const topicB = `${prefix}.public.b`;
const rowsB = 20_000;
const env = { SIPHON_KEY_CONVERTER: 'json', SIPHON_OFFSET_FLUSH_INTERVAL_MS: '200' };
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: WorkerProcess | undefined;

/** Runs `write` on a connection of its own until stopped; `count` says how many writes were made. */
class Writer {
  count = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(write: (client: pg.Client, n: number) => Promise<void>) {
    this.loop = (async () => {
      const client = await connectTo(db.name);
      try {
        while (this.running) {
          await write(client, ++this.count);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        await client.end();
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function rowsOf(client: pg.Client): Promise<string> {
  const result = await client.query<{ id: number; v: number; note: string }>(
    'SELECT id, v, note FROM b ORDER BY id',
  );
  return JSON.stringify(result.rows.map((r) => [r.id, r.v, r.note]));
}

before(async () => {
  db = await createTestDatabase();
  target = await createTestDatabase();
  await db.client.query('CREATE TABLE a (id int PRIMARY KEY, v int NOT NULL)');
  await db.client.query('INSERT INTO a SELECT g, 0 FROM generate_series(1, 10) g');
  await db.client.query('CREATE TABLE b (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)');
  await db.client.query(`INSERT INTO b SELECT g, 0, repeat('x', 100) FROM generate_series(1, ${rowsB}) g`);
  await db.client.query('ANALYZE b');
  await db.client.query(
    'CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)',
  );
  await target.client.query('CREATE TABLE b (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)');
  worker = await WorkerProcess.start(names, env);
});

after(async () => {
  await worker?.api('DELETE', `/connectors/${sink}`).catch(() => undefined);
  await stopAndRemove(worker, source, [names.group, prefix]);
  await db?.drop();
  await target?.drop();
});

test('b added with snapshot.new.tables=incremental: snapshotted across a kill -9, equal in the target; a streams throughout', async () => {
  const config: Record<string, string> = {
    'connector.class': 'postgres',
    ...connectorConfig(db.name, {
      'topic.prefix': prefix,
      'table.include.list': 'public.a',
      'publication.autocreate.mode': 'filtered',
      'signal.data.collection': 'public.debezium_signal',
      'snapshot.new.tables': 'incremental',
      'incremental.snapshot.chunk.size': '50',
    }),
  };
  const created = await worker!.api('POST', '/connectors', { name: source, config });
  assert.equal(created.status, 201, created.text);
  const writesA = new Writer(async (client, n) => {
    await client.query('INSERT INTO a VALUES ($1, $1)', [100 + n]);
  });
  let writesB: Writer | undefined;
  try {
    await eventually('a streaming', async () => (await topicRecordCount(topicA)) > 20, 60_000);

    const updated = await worker!.api('PUT', `/connectors/${source}/config`, {
      ...config,
      'table.include.list': 'public.a,public.b',
    });
    assert.ok(updated.status === 200 || updated.status === 201, updated.text);
    // Updates, deletes and inserts of b while it is snapshotted.
    writesB = new Writer(async (client, n) => {
      const id = 1 + ((n * 7919) % rowsB);
      if (n % 5 === 0) await client.query('DELETE FROM b WHERE id = $1', [id]);
      else if (n % 7 === 0) await client.query("INSERT INTO b VALUES ($1, $2, 'new')", [rowsB + n, n]);
      else await client.query('UPDATE b SET v = v + 1 WHERE id = $1', [id]);
    });
    await eventually(
      'the filtered publication has b',
      async () =>
        (
          await db.client.query(
            "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND tablename = 'b'",
            [config['publication.name']],
          )
        ).rowCount === 1,
    );

    // Half-way: a committed offset inside b's snapshot; the percentage climbed on the way.
    const percents: number[] = [];
    let etaSeen = false;
    const rowsDoneAtKill = await eventually(
      'a third of b snapshotted and committed',
      async () => {
        const progress = await taskProgress(worker!, source);
        if (progress['snapshot'] === 'incremental' && typeof progress['percent'] === 'number') {
          percents.push(progress['percent']);
          etaSeen ||= typeof progress['eta_seconds'] === 'number';
        }
        const done = incrementalRowsDone(await committedOffset(worker!, source));
        return done !== null && done >= rowsB / 3 ? done : undefined;
      },
      120_000,
    );
    assert.ok(rowsDoneAtKill < rowsB, 'the snapshot finished before the kill');
    assert.ok(percents.length >= 2 && percents.at(-1)! > percents[0]!, `percent ${percents.join(', ')}`);
    assert.ok(etaSeen, 'the progress has an ETA');
    // a streams while b is snapshotted: its topic grows before the snapshot is through.
    const sizeA = await topicRecordCount(topicA);
    await eventually('a streaming during the snapshot', async () => (await topicRecordCount(topicA)) > sizeA);
    assert.notEqual(incrementalRowsDone(await committedOffset(worker!, source)), null);

    const createdSink = await worker!.api('POST', '/connectors', {
      name: sink,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: topicB,
        'connection.url': `jdbc:postgresql://127.0.0.1:5432/${target.name}?user=postgres`,
        'insert.mode': 'upsert',
        'delete.enabled': 'true',
        'primary.key.mode': 'record_key',
        mappings: JSON.stringify([{ match: { topic: topicB }, table: 'b' }]),
      },
    });
    assert.equal(createdSink.status, 201, createdSink.text);

    worker = await killAndRestart(worker!, () => WorkerProcess.start(names, env), [source, sink]);
    await eventually(
      "b's snapshot completed after the restart",
      async () => {
        await taskProgress(worker!, source);
        const offset = await committedOffset(worker!, source);
        return (
          offset !== null &&
          incrementalRowsDone(offset) === null &&
          String(offset['captured_tables']).includes('public.b')
        );
      },
      120_000,
    );
    await writesB.stop();
    const lastA = writesA.count;
    await writesA.stop();
    await eventually(
      'b equal in the target',
      async () => (await rowsOf(db.client)) === (await rowsOf(target.client)),
      90_000,
    );

    const eventsB = await eventsIn(topicB);
    const reads = eventsB.filter((e) => e.op === 'r');
    assert.ok(reads.length > 0 && reads.every((e) => e.source.snapshot === 'incremental'));
    assert.ok(eventsB.some((e) => e.op === 'u') && eventsB.some((e) => e.op === 'd'), 'b streamed too');
    // Resumed after the last committed chunk, not started over.
    const readTwice = reads.length - new Set(reads.map((e) => e.after!['id'])).size;
    process.stderr.write(
      `new tables: ${rowsDoneAtKill} rows of b committed before the kill, ${readTwice} read twice\n`,
    );
    assert.ok(readTwice < rowsDoneAtKill, `${readTwice} rows read twice`);
    await eventually('every write to a streamed', async () => {
      const ids = new Set((await eventsIn(topicA)).map((e) => e.after?.['id']));
      for (let n = 1; n <= lastA; n++) if (!ids.has(100 + n)) return false;
      return true;
    });
  } finally {
    await writesB?.stop().catch(() => undefined);
    await writesA.stop().catch(() => undefined);
  }
});
