// A PostgreSQL restart under load, on a private cluster of the test's own: a `siphon
// worker` streams a table through the PostgreSQL source and writes it back with the JDBC
// sink into another database of the same cluster. The fast shutdown is not held up by
// the source's slot (idle WAL is confirmed as pg_recvlogical does), and both tasks heal
// by themselves: the target ends equal to the source, no task FAILED.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { PrivatePostgres } from '../support/private-postgres.js';

const names = uniqueNames('pg-restart');
const prefix = names.group.replaceAll('-', '_');
const topic = `${prefix}.public.items`;
const keyCount = 100;

interface Status {
  connector: { state: string };
  tasks: { state: string; trace?: string }[];
}

/** Upserts random rows in a loop through its own connection, reconnecting while the server is away. */
class Load {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  writes = 0;

  constructor(private readonly port: number) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      let client: pg.Client | null = null;
      while (this.running) {
        try {
          if (client === null) {
            client = new pg.Client({
              host: '127.0.0.1',
              port: this.port,
              user: 'postgres',
              database: 'postgres',
            });
            client.on('error', () => undefined);
            await client.connect();
          }
          const id = 1 + Math.floor(Math.random() * keyCount);
          await client.query(
            'INSERT INTO items (id, v) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET v = items.v + 1',
            [id],
          );
          this.writes++;
        } catch {
          await client?.end().catch(() => undefined);
          client = null;
        }
        await new Promise((resolve) => setTimeout(resolve, 20)); // the load's pace, not a wait for a condition
      }
      await client?.end().catch(() => undefined);
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

describe('PostgreSQL restart under load', { timeout: 8 * 60_000 }, () => {
  let cluster: PrivatePostgres;
  let admin: pg.Client;
  let worker: WorkerProcess | undefined;
  let load: Load;

  async function connectAdmin(): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'postgres',
      database: 'postgres',
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async function rows(database: string): Promise<string> {
    const client = new pg.Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const result = await client.query<{ id: number; v: number }>('SELECT id, v FROM items ORDER BY id');
      return JSON.stringify(result.rows);
    } finally {
      await client.end();
    }
  }

  async function statuses(): Promise<Status[]> {
    return Promise.all(
      ['source', 'sink'].map(
        async (n) => (await worker!.api('GET', `/connectors/${names.group}-${n}/status`)).json as Status,
      ),
    );
  }

  async function converged(what: string): Promise<void> {
    await eventually(
      what,
      async () => {
        const all = await statuses();
        for (const s of all) {
          const failed = s.tasks?.find((t) => t.state === 'FAILED');
          assert.equal(failed, undefined, `a task failed:\n${failed?.trace}`);
        }
        const healthy = all.every((s) => s.tasks?.[0]?.state === 'RUNNING' && s.tasks[0].trace === undefined);
        return healthy && (await rows('postgres')) === (await rows('target'));
      },
      180_000,
    );
  }

  before(async () => {
    cluster = await PrivatePostgres.create();
    admin = await connectAdmin();
    await admin.query('CREATE DATABASE target');
    await admin.query('CREATE TABLE items (id integer PRIMARY KEY, v integer NOT NULL)');
    await admin.query('INSERT INTO items SELECT g, 1 FROM generate_series(1, $1::int) g', [keyCount]);
    const target = new pg.Client({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'postgres',
      database: 'target',
    });
    await target.connect();
    await target.query('CREATE TABLE items (id integer PRIMARY KEY, v integer NOT NULL)');
    await target.end();
    load = new Load(cluster.port);
    worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json' });
  });

  after(async () => {
    await load?.stop();
    if (worker && worker.child.exitCode === null) {
      worker.kill('SIGTERM');
      await worker.waitForExit();
    }
    await admin?.end().catch(() => undefined);
    await cluster?.destroy();
    await deleteTopics(names.group);
  });

  it('streams the table into the target', async () => {
    const source = await worker!.api('POST', '/connectors', {
      name: `${names.group}-source`,
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'database.hostname': '127.0.0.1',
        'database.port': String(cluster.port),
        'database.user': 'postgres',
        'database.dbname': 'postgres',
        'topic.prefix': prefix,
        'slot.name': `${prefix}_slot`,
        'publication.name': `${prefix}_pub`,
        'table.include.list': 'public.items',
        'status.update.interval.ms': '1000',
        'errors.retry.delay.max.ms': '5000',
      },
    });
    assert.equal(source.status, 201, source.text);
    const sink = await worker!.api('POST', '/connectors', {
      name: `${names.group}-sink`,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: topic,
        'connection.url': `jdbc:postgresql://127.0.0.1:${cluster.port}/target?user=postgres`,
        'insert.mode': 'upsert',
        'delete.enabled': 'true',
        'primary.key.mode': 'record_key',
        mappings: JSON.stringify([{ match: { topic }, table: 'items' }]),
        transforms: 'unwrap',
        'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
        'max.retries': '1',
        'retry.backoff.ms': '200',
        'errors.retry.delay.max.ms': '5000',
      },
    });
    assert.equal(sink.status, 201, sink.text);
    await converged('the snapshot in the target');
  });

  it('shuts down fast while the source streams, and both tasks heal after the restart', async () => {
    load.start();
    await eventually('some load', async () => load.writes >= 50, 60_000);
    await admin.end();
    const stopping = Date.now();
    // pg_ctl fails if the server is not down by then: the slot must not hold the shutdown.
    await cluster.stop(30);
    const shutdownMs = Date.now() - stopping;
    assert.ok(shutdownMs < 20_000, `fast shutdown took ${shutdownMs} ms`);
    await cluster.start();
    admin = await connectAdmin();
    const before = load.writes;
    await eventually('load after the restart', async () => load.writes >= before + 50, 60_000);
    await load.stop();
    await converged('the target equal to the source after the restart');
  });
});
