// The failover scenarios on a 3-worker cluster (real processes, the shared Kafka,
// PostgreSQL and MariaDB): an exactly-once PostgreSQL source and a JDBC sink into MariaDB,
// created through different workers, plus a 3-task counter connector as bystander.
//   - kill -9 of the worker running the source under write load: the task runs elsewhere
//     within session timeout + scheduled.rebalance.max.delay.ms, the target ends equal to
//     the source and no change event is in the (exactly-once) topic twice;
//   - a clean stop of a worker: its tasks move at once;
//   - that worker back: the assignment rebalances without stopping tasks that stay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { dropSlot } from '../../connectors/source-postgres/slot-and-publication.js';
import {
  clusterTimings,
  deleteTopics,
  eventually,
  lostWorkerMs,
  readTopic,
  uniqueNames,
  WorkerCluster,
  type StatusView,
  type WorkerProcess,
} from '../fixtures/worker-harness.js';
import { localStack } from '../support/local-stack.js';
import { SseStream } from '../support/sse-stream.js';

const names = uniqueNames('cluster-failover');
const prefix = names.group.replaceAll('-', '_');
const table = `${prefix}_items`;
const topic = `${prefix}.public.${table}`;
const source = `${names.group}-source`;
const sink = `${names.group}-sink`;
const bystander = `${names.group}-counter`;
const keyCount = 50;
/** A clean leave is reassigned at once: sooner than a lost worker's share could move. */
const cleanLeaveMs =
  Number(clusterTimings.SIPHON_SESSION_TIMEOUT_MS) +
  Number(clusterTimings.SIPHON_SCHEDULED_REBALANCE_MAX_DELAY_MS);

/** Upserts random rows through its own connection at a steady pace until stopped. */
class Load {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  writes = 0;

  start(): void {
    this.running = true;
    this.loop = (async () => {
      const client = new pg.Client({ ...localStack.postgres, database: 'postgres' });
      await client.connect();
      try {
        while (this.running) {
          const id = 1 + Math.floor(Math.random() * keyCount);
          await client.query(
            `INSERT INTO ${table} (id, v) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET v = ${table}.v + 1`,
            [id],
          );
          this.writes++;
          await new Promise((resolve) => setTimeout(resolve, 25)); // the load's pace
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

function ownerOf(status: StatusView, task = 0): string | undefined {
  const t = status.tasks.find((x) => x.id === task);
  return t?.state === 'RUNNING' ? t.worker_id : undefined;
}

describe('a 3-worker cluster loses and regains workers', { timeout: 8 * 60_000 }, () => {
  const cluster = new WorkerCluster(names, {
    SIPHON_KEY_CONVERTER: 'json',
    SIPHON_EXACTLY_ONCE_SOURCE_SUPPORT: 'enabled',
  });
  const load = new Load();
  let pgAdmin: pg.Client;
  let target: mysql.Connection;

  async function sourceRows(): Promise<string> {
    const result = await pgAdmin.query<{ id: number; v: number }>(`SELECT id, v FROM ${table} ORDER BY id`);
    return JSON.stringify(result.rows.map((r) => [r.id, r.v]));
  }

  async function targetRows(): Promise<string> {
    const [rows] = await target.query<mysql.RowDataPacket[]>(`SELECT id, v FROM ${prefix}.items ORDER BY id`);
    return JSON.stringify(rows.map((r) => [Number(r.id), Number(r.v)]));
  }

  async function anyLive(): Promise<WorkerProcess> {
    const [first] = cluster.live();
    if (!first) throw new Error('no live worker');
    return first;
  }

  async function waitRunning(connector: string, tasks: number, timeoutMs = 60_000): Promise<StatusView> {
    return eventually(
      `${connector}: ${tasks} task(s) RUNNING`,
      async () => {
        const s = await cluster.status(await anyLive(), connector);
        const failed = s.tasks.find((t) => t.state === 'FAILED');
        assert.equal(failed, undefined, `a task of ${connector} failed:\n${failed?.trace}`);
        const live = new Set(cluster.live().map(WorkerCluster.idOf));
        return s.tasks.length === tasks &&
          s.tasks.every((t) => t.state === 'RUNNING' && live.has(t.worker_id))
          ? s
          : undefined;
      },
      timeoutMs,
    );
  }

  before(async () => {
    pgAdmin = new pg.Client({ ...localStack.postgres, database: 'postgres' });
    await pgAdmin.connect();
    await pgAdmin.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, v integer NOT NULL)`);
    await pgAdmin.query(`INSERT INTO ${table} SELECT g, 1 FROM generate_series(1, $1::int) g`, [keyCount]);
    target = await mysql.createConnection({ ...localStack.mariadb });
    await target.query(`CREATE DATABASE ${prefix}`);
    await target.query(`CREATE TABLE ${prefix}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
    for (let i = 0; i < 3; i++) await cluster.add();
    await cluster.settled();
  });

  after(async () => {
    await load.stop().catch(() => undefined);
    await cluster.stopAll();
    for (const w of cluster.workers) if (w.child.exitCode === null) w.kill('SIGKILL');
    await dropSlot(pgAdmin, `${prefix}_slot`).catch(() => undefined);
    await pgAdmin.query(`DROP PUBLICATION IF EXISTS ${prefix}_pub`).catch(() => undefined);
    await pgAdmin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pgAdmin.end().catch(() => undefined);
    await target?.query(`DROP DATABASE IF EXISTS ${prefix}`).catch(() => undefined);
    await target?.end().catch(() => undefined);
    await deleteTopics(names.group);
    await deleteTopics(prefix);
  });

  it('creates source, sink and a bystander through different workers; the target gets the table', async () => {
    const [a, b, c] = cluster.live();
    const created = await Promise.all([
      a!.api('POST', '/connectors', {
        name: source,
        config: {
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          'database.hostname': localStack.postgres.host,
          'database.port': String(localStack.postgres.port),
          'database.user': localStack.postgres.user,
          'database.dbname': 'postgres',
          'topic.prefix': prefix,
          'slot.name': `${prefix}_slot`,
          'publication.name': `${prefix}_pub`,
          'table.include.list': `public.${table}`,
          'exactly.once.support': 'required',
          'errors.retry.delay.max.ms': '2000',
        },
      }),
      b!.api('POST', '/connectors', {
        name: sink,
        config: {
          'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
          topics: topic,
          'connection.url': `jdbc:mariadb://${localStack.mariadb.host}:${localStack.mariadb.port}/${prefix}?user=${localStack.mariadb.user}`,
          'insert.mode': 'upsert',
          'primary.key.mode': 'record_key',
          mappings: JSON.stringify([{ match: { topic }, table: 'items' }]),
          transforms: 'unwrap',
          'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
          'errors.retry.delay.max.ms': '2000',
        },
      }),
      c!.api('POST', '/connectors', {
        name: bystander,
        config: {
          'connector.class': 'counter',
          topic: `${names.group}-counts`,
          'interval.ms': '200',
          'tasks.max': '3',
        },
      }),
    ]);
    for (const r of created) assert.equal(r.status, 201, r.text);
    await waitRunning(source, 1);
    await waitRunning(sink, 1);
    await waitRunning(bystander, 3);
    await eventually(
      'the snapshot in the target',
      async () => (await sourceRows()) === (await targetRows()),
      90_000,
    );
  });

  it('kill -9 of the worker running the source under load: it runs elsewhere in time, nothing lost or doubled', async () => {
    load.start();
    await eventually('some load', async () => load.writes >= 40, 30_000);
    const before = await waitRunning(source, 1);
    const victimId = ownerOf(before)!;
    const victim = cluster.byId(victimId)!;
    victim.kill('SIGKILL');
    await victim.waitForExit();
    const killedAt = Date.now();
    const moved = await eventually(
      'the source running on another worker',
      async () => {
        const s = await cluster.status(await anyLive(), source);
        const owner = ownerOf(s);
        return owner !== undefined && owner !== victimId ? owner : undefined;
      },
      lostWorkerMs + 30_000,
    );
    const movedMs = Date.now() - killedAt;
    process.stderr.write(`source moved from ${victimId} to ${moved} in ${movedMs} ms\n`);
    assert.ok(movedMs <= lostWorkerMs, `the source moved after ${movedMs} ms (limit ${lostWorkerMs})`);
    await eventually('more load on the new owner', async () => load.writes >= 200, 60_000);
    await load.stop();
    await waitRunning(sink, 1, lostWorkerMs + 30_000);
    await eventually(
      'the target equal to the source',
      async () => (await sourceRows()) === (await targetRows()),
      120_000,
    );

    // Exactly-once: each change (operation, LSN, key) is in the topic once, for a
    // read_committed reader; every write of the load is there.
    const expectedChanges = keyCount + load.writes;
    const messages = await readTopic(topic, (m) => m.length >= expectedChanges, 60_000);
    const identities = messages
      .filter((m) => m.value !== null)
      .map((m) => {
        const value = JSON.parse(m.value!.toString()) as { payload?: Envelope } & Envelope;
        const event = value.payload ?? value;
        return `${event.op}:${String(event.source?.lsn)}:${m.key?.toString() ?? ''}`;
      });
    const duplicates = identities.filter((id, i) => identities.indexOf(id) !== i);
    assert.deepEqual(duplicates, [], 'change events in the topic twice');
    assert.equal(identities.length, expectedChanges);
  });

  it('a clean stop hands its tasks over at once', async () => {
    const before = await waitRunning(bystander, 3);
    const leaving = cluster.live()[0]!;
    const leavingId = WorkerCluster.idOf(leaving);
    const ran = before.tasks.filter((t) => t.worker_id === leavingId).length;
    const stoppedAt = Date.now();
    leaving.kill('SIGTERM');
    assert.equal(await leaving.waitForExit(), 0);
    await waitRunning(bystander, 3, 60_000);
    await waitRunning(source, 1, 60_000);
    await waitRunning(sink, 1, 60_000);
    const movedMs = Date.now() - stoppedAt;
    process.stderr.write(
      `clean stop of ${leavingId} (${ran} counter task(s)): all running again in ${movedMs} ms\n`,
    );
    assert.ok(movedMs < cleanLeaveMs, `after a clean stop the work moved in ${movedMs} ms`);
  });

  it('a worker that joins gets work without stopping the tasks that stay', async () => {
    const stayers = cluster.live();
    // Each worker publishes the states of the tasks it runs: watch them all through the join.
    const streams = await Promise.all(stayers.map((w) => SseStream.open(`${w.url}/events?types=task.state`)));
    try {
      const before = await waitRunning(bystander, 3);
      await cluster.add();
      await cluster.settled();
      const afterJoin = await eventually(
        'work on the new worker',
        async () => {
          const s = await waitRunning(bystander, 3);
          const ids = new Set(cluster.live().map(WorkerCluster.idOf));
          return new Set(s.tasks.map((t) => t.worker_id)).size === ids.size ? s : undefined;
        },
        60_000,
      );
      const stayed = afterJoin.tasks.filter(
        (t) => before.tasks.find((b) => b.id === t.id)?.worker_id === t.worker_id,
      );
      assert.ok(stayed.length > 0, 'some bystander task kept its worker');
      for (const t of stayed) {
        const stream = streams[stayers.findIndex((w) => WorkerCluster.idOf(w) === t.worker_id)]!;
        const interrupted = stream.events.filter(
          (e) =>
            e.data.connector === bystander && e.data.data?.task === t.id && e.data.data.state !== 'RUNNING',
        );
        assert.deepEqual(interrupted, [], `task ${t.id} stayed on ${t.worker_id} but was stopped`);
      }
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });
});

interface Envelope {
  readonly op?: string;
  readonly source?: { readonly lsn?: number | string };
}
