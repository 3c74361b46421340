import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isRetriable } from '../../runtime/plugin/index.js';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { connectorConfig, connectTo, createTestDatabase, TaskRun } from './source-postgres-harness.js';

/**
 * snapshot.max.threads: the snapshot read by 4 connections on one exported snapshot, over
 * a table split into primary-key ranges (`big`), a table without a primary key split into
 * page ranges (`keyless`) and a small one (`small`); then interrupted and resumed.
 */

interface Row {
  readonly topic: string;
  readonly id: string;
  readonly marker: string;
  readonly v: number;
  readonly offset: SourceOffset;
}

const topics = ['it.public.big', 'it.public.keyless', 'it.public.small'];

/** The snapshot reads (`r`) among `records`, with their identity, marker and offset. */
function reads(records: readonly SourceRecord[]): Row[] {
  const rows: Row[] = [];
  for (const record of records) {
    const value = record.value as {
      op?: string;
      after: Record<string, unknown>;
      source: { snapshot: string };
    } | null;
    if (value?.op !== 'r') continue;
    const a = value.after;
    rows.push({
      topic: record.topic,
      id: String(a['id'] ?? a['n'] ?? a['code']),
      marker: value.source.snapshot,
      v: Number(a['v'] ?? 0),
      offset: record.sourceOffset,
    });
  }
  return rows;
}

const endsSnapshot = (all: readonly SourceRecord[]): boolean =>
  reads(all.slice(-50)).some((r) => r.marker === 'last');

/** The markers a complete snapshot of `counts` rows per table (in order) has, as with one reader. */
function expectedMarkers(counts: readonly number[]): string[] {
  const markers: string[] = [];
  counts.forEach((count, table) => {
    for (let i = 0; i < count; i++) {
      const firstTable = table === 0;
      const lastTable = table === counts.length - 1;
      if (i === count - 1) markers.push(lastTable ? 'last' : 'last_in_data_collection');
      else if (i === 0) markers.push(firstTable ? 'first' : 'first_in_data_collection');
      else markers.push('true');
    }
  });
  return markers;
}

describe('PostgreSQL source: parallel snapshot (snapshot.max.threads)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const bigRows = 12_000;
  const keylessRows = 6_000;
  const smallRows = 50;

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, note text)');
    await db.client.query(`INSERT INTO big SELECT g, 0, 'row ' || g FROM generate_series(1, ${bigRows}) g`);
    await db.client.query('CREATE TABLE keyless (n int NOT NULL, pad text)');
    await db.client.query(
      `INSERT INTO keyless SELECT g, repeat('k', 40) FROM generate_series(1, ${keylessRows}) g`,
    );
    await db.client.query('CREATE TABLE small (code text PRIMARY KEY, v int)');
    await db.client.query(`INSERT INTO small SELECT 'c' || g, g FROM generate_series(1, ${smallRows}) g`);
    await db.client.query('ANALYZE big, keyless, small');
  });
  after(async () => {
    await db?.drop();
  });

  /** fetch 200 rows: chunks of 2000, so `big` is cut into 6 key ranges and `keyless` into page ranges. */
  const parallel = (overrides: Record<string, string> = {}): Record<string, string> =>
    connectorConfig(db.name, {
      'snapshot.fetch.size': '200',
      'snapshot.max.threads': '4',
      'max.batch.size': '500',
      'slot.drop.on.stop': 'true',
      ...overrides,
    });

  it('reads every row exactly once, one table after the other, with the markers of a one-reader snapshot', async () => {
    const run = new TaskRun(parallel(), new Map(), 1000);
    let readers: Promise<number> | null = null;
    let rows: Row[];
    try {
      const records = await run.drain((all) => {
        // The small queue holds the snapshot back: its readers are connected meanwhile.
        if (readers === null && all.length > 0) readers = countSnapshotReaders();
        return endsSnapshot(all);
      });
      assert.equal(await readers, 4, 'four connections read the snapshot');
      rows = reads(records);
      await db.client.query("INSERT INTO small VALUES ('streamed', 1)");
      const streamed = await run.drain((all) =>
        all.some((r) => (r.value as { op?: string } | null)?.op === 'c'),
      );
      assert.equal(streamed.filter((r) => r.value !== null).length, 1, 'streaming follows the snapshot');
      await db.client.query("DELETE FROM small WHERE code = 'streamed'");
    } finally {
      await run.stop();
    }
    const counts = topics.map((topic) => rows.filter((r) => r.topic === topic).length);
    assert.deepEqual(counts, [bigRows, keylessRows, smallRows]);
    const chunks = 1 + Math.max(...run.context.progressReports.map((p) => Number(p['chunks_done'] ?? -1)));
    // big: 6 boundaries, 7 key ranges; keyless: at least 2 page ranges; small: 1.
    assert.ok(chunks >= 10, `the plan has ${chunks} chunks: big and keyless are split`);
    for (const topic of topics) {
      const ids = rows.filter((r) => r.topic === topic).map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, `${topic}: every row once`);
    }
    assert.deepEqual(
      rows.map((r) => r.topic),
      topics.flatMap((topic, i) => Array<string>(counts[i]!).fill(topic)),
      'tables one after the other',
    );
    assert.deepEqual(
      rows.filter((r) => r.topic === 'it.public.big').map((r) => Number(r.id)),
      Array.from({ length: bigRows }, (_, i) => i + 1),
      'key ranges in key order',
    );
    assert.deepEqual(
      rows.map((r) => r.marker),
      expectedMarkers(counts),
    );
  });

  it('reads one consistent snapshot with all its readers while rows change', async () => {
    const run = new TaskRun(parallel(), new Map(), 500);
    const writer = await connectTo(db.name);
    const state = new Map<number, number>();
    try {
      // Each round bumps v of every 97th row of big: a reader on another snapshot than the
      // slot's would emit a v the stream then repeats or skips.
      let round = 0;
      const writing = (async () => {
        for (; round < 40; round++)
          await writer.query('UPDATE big SET v = v + 1 WHERE id % 97 = $1', [round % 97]);
      })();
      const snapshot = await run.drain(endsSnapshot);
      await writing;
      for (const row of reads(snapshot)) if (row.topic === 'it.public.big') state.set(Number(row.id), row.v);
      assert.equal(state.size, bigRows);
      const expected = await writer.query<{ id: number; v: number }>('SELECT id, v FROM big');
      await run.drain((all) => {
        for (const record of all.splice(0)) {
          const value = record.value as { op?: string; after: { id: number; v: number } } | null;
          if (record.topic !== 'it.public.big' || value?.op !== 'u') continue;
          const previous = state.get(value.after.id);
          assert.equal(
            value.after.v,
            (previous ?? Number.NaN) + 1,
            `row ${value.after.id}: v after ${previous}`,
          );
          state.set(value.after.id, value.after.v);
        }
        return expected.rows.every((r) => state.get(Number(r.id)) === Number(r.v));
      });
    } finally {
      await run.stop();
      await writer.end();
    }
  });

  it('resumes an interrupted snapshot at its unfinished chunks: no row missing, finished ones not read again', async () => {
    const offsets = new Map<string, SourceOffset>();
    // The slot stays between the runs (a restart, not a new connector).
    const config = parallel({ 'slot.drop.on.stop': 'false' });
    const committed: Row[] = [];
    const first = new TaskRun(config, offsets, 500);
    try {
      committed.push(...reads(await first.drain((all) => all.length >= 3000)));
    } finally {
      await first.stop();
    }
    const stoppedInBig = committed.at(-1)!;
    assert.equal(stoppedInBig.topic, 'it.public.big');

    const second = new TaskRun(config, offsets, 500);
    let secondRows: Row[];
    try {
      secondRows = reads(
        await second.drain((all) => reads(all).filter((r) => r.topic === 'it.public.keyless').length >= 2500),
      );
    } finally {
      await second.stop();
    }
    const bigAgain = secondRows.filter((r) => r.topic === 'it.public.big').map((r) => Number(r.id));
    assert.equal(bigAgain[0], Number(stoppedInBig.id) + 1, 'big resumes after its last committed key');
    assert.equal(bigAgain.length, bigRows - Number(stoppedInBig.id));
    assert.notEqual(secondRows[0]!.marker, 'first', 'a resumed snapshot has no first row');
    const stoppedInKeyless = secondRows.at(-1)!;
    assert.equal(stoppedInKeyless.topic, 'it.public.keyless');
    const page = stoppedInKeyless.offset['snapshot_page'];
    assert.equal(typeof page, 'number', 'the offset names the pages emitted completely');
    assert.ok((page as number) > 0, 'the interruption came after the first page range');
    committed.push(...secondRows);

    const third = new TaskRun(config, offsets, 500);
    let thirdRows: Row[];
    try {
      thirdRows = reads(await third.drain(endsSnapshot));
    } finally {
      await third.stop();
    }
    assert.equal(
      thirdRows.filter((r) => r.topic === 'it.public.big').length,
      0,
      'a finished table is not read again',
    );
    const keylessAgain = thirdRows.filter((r) => r.topic === 'it.public.keyless').map((r) => Number(r.id));
    const fromPage = await db.client.query<{ n: number }>(
      `SELECT n FROM keyless WHERE ctid >= '(${String(page)},0)'::tid ORDER BY n`,
    );
    assert.deepEqual(
      [...keylessAgain].sort((a, b) => a - b),
      fromPage.rows.map((r) => Number(r.n)),
      'keyless resumes at the first page range not emitted completely',
    );
    assert.ok(keylessAgain.length < keylessRows);
    assert.equal(thirdRows.at(-1)!.marker, 'last');
    const all = [...committed, ...thirdRows];
    for (const [topic, count] of [
      ['it.public.big', bigRows],
      ['it.public.keyless', keylessRows],
      ['it.public.small', smallRows],
    ] as const) {
      assert.equal(
        new Set(all.filter((r) => r.topic === topic).map((r) => r.id)).size,
        count,
        `${topic}: no row missing`,
      );
    }
    const end = thirdRows.at(-1)!.offset;
    assert.equal(end['snapshot_completed'], true);
    await db.client
      .query('SELECT pg_drop_replication_slot($1)', [config['slot.name']])
      .catch(() => undefined);
  });

  it("fails retriably when a reader's connection is killed mid-snapshot, and the restart completes it", async () => {
    const offsets = new Map<string, SourceOffset>();
    const config = parallel({ 'slot.drop.on.stop': 'false' });
    const first = new TaskRun(config, offsets, 500);
    const committed: Row[] = [];
    try {
      committed.push(...reads(await first.drain((all) => all.length >= 2000)));
      const killed = await db.client.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'siphon-pg-it-snapshot-2'`,
        [db.name],
      );
      assert.equal(killed.rows[0]?.killed, true, 'a reader was killed');
      await assert.rejects(
        first.drain((all) => {
          committed.push(...reads(all.splice(0)));
          return false;
        }),
        (error: Error) => {
          assert.ok(isRetriable(error), `retriable: ${error.message}`);
          return true;
        },
      );
    } finally {
      await first.stop();
    }
    const second = new TaskRun(config, offsets, 500);
    try {
      const rest = reads(await second.drain(endsSnapshot));
      const all = [...committed, ...rest];
      for (const [topic, count] of [
        ['it.public.big', bigRows],
        ['it.public.keyless', keylessRows],
        ['it.public.small', smallRows],
      ] as const) {
        const ids = new Set(all.filter((r) => r.topic === topic).map((r) => r.id));
        assert.equal(ids.size, count, `${topic}: no row missing`);
      }
      assert.ok(rest.length < bigRows + keylessRows + smallRows, 'the restart resumed, not started over');
    } finally {
      await second.stop();
      await db.client
        .query('SELECT pg_drop_replication_slot($1)', [config['slot.name']])
        .catch(() => undefined);
    }
  });

  it('reads keyless tables with hostile names, and passes over a table it cannot capture', async () => {
    const other = await createTestDatabase();
    try {
      const hostile = 'we"ird;tab le';
      await other.client.query(`CREATE TABLE "we""ird;tab le" (n int, v text)`);
      await other.client.query(`INSERT INTO "we""ird;tab le" SELECT g, 'w' FROM generate_series(1, 900) g`);
      await other.client.query('CREATE TABLE broken (id int PRIMARY KEY)');
      await other.client.query('INSERT INTO broken VALUES (1)');
      await other.client.query('CREATE TABLE plain (id int PRIMARY KEY)');
      await other.client.query('INSERT INTO plain SELECT generate_series(1, 900)');
      // A composite key led by text: ranges bounded by row comparisons in the text's collation.
      await other.client.query('CREATE TABLE pairs (region text, n int, PRIMARY KEY (region, n))');
      await other.client.query("INSERT INTO pairs SELECT 'r' || (g % 5), g FROM generate_series(1, 900) g");
      // plain and pairs are left never analyzed (reltuples -1): the key walk still cuts them.
      await other.client.query(`ANALYZE "we""ird;tab le"`);
      const run = new TaskRun(
        connectorConfig(other.name, {
          'snapshot.fetch.size': '20',
          'snapshot.max.threads': '3',
          'message.key.columns': 'public.broken:nope',
          'slot.drop.on.stop': 'true',
        }),
        new Map(),
      );
      let rows: Row[];
      try {
        rows = reads(await run.drain(endsSnapshot));
        assert.match(String(run.progress['tables_not_captured']), /public\.broken/);
      } finally {
        await run.stop();
      }
      assert.equal(rows.filter((r) => r.topic === 'it.public.broken').length, 0);
      const weird = rows.filter((r) => r.topic === 'it.public.we_ird_tab_le').map((r) => r.id);
      assert.equal(new Set(weird).size, 900, `${hostile}: every row once`);
      assert.equal(rows.filter((r) => r.topic === 'it.public.plain').length, 900);
      const pairs = await other.client.query<{ n: number }>('SELECT n FROM pairs ORDER BY region, n');
      assert.deepEqual(
        rows.filter((r) => r.topic === 'it.public.pairs').map((r) => Number(r.id)),
        pairs.rows.map((r) => Number(r.n)),
        'composite key ranges in key order, every row once',
      );
      const chunks = 1 + Math.max(...run.context.progressReports.map((p) => Number(p['chunks_done'] ?? -1)));
      assert.ok(
        chunks >= 12,
        `the plan has ${chunks} chunks: 5 key ranges each of plain and pairs, the keyless table's page ranges`,
      );
      assert.equal(rows.at(-1)!.marker, 'last');
    } finally {
      await other.drop();
    }
  });

  async function countSnapshotReaders(): Promise<number> {
    const result = await db.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'siphon-pg-it-snapshot-%'`,
      [db.name],
    );
    return Number(result.rows[0]!.n);
  }
});
