import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { batchRetriesMetric } from '../../connectors/sink-jdbc/metrics.js';
import { RetriableError, type SinkTask } from '../../runtime/plugin/index.js';
import { int32, string, struct } from '../../runtime/record/index.js';
import { localStack } from '../support/local-stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { type FakeSinkTaskContext, uniqueName } from '../support/plugin-test-kit.js';
import {
  EventFactory,
  TARGETS,
  createDatabase,
  startTask,
  type Target,
  type TestDatabase,
} from './sink-jdbc-harness.js';

const keySchema = struct('srv.public.items.Key', [['id', int32()]]);
const rowSchema = struct('srv.public.items.Value', [
  ['id', int32()],
  ['name', string()],
]);

async function retriesSoFar(context: FakeSinkTaskContext): Promise<number> {
  return (await context.metrics.value(batchRetriesMetric.name, { connector: context.connectorName })) ?? 0;
}

function targetPort(target: Target): number {
  return target === 'postgresql' ? localStack.postgres.port : localStack.mariadb.port;
}

for (const target of TARGETS) {
  describe(`JDBC sink faults against ${target}`, { concurrency: false }, () => {
    let db: TestDatabase;
    const started: { task: SinkTask; context: FakeSinkTaskContext }[] = [];
    const children: ChildProcess[] = [];

    before(async () => {
      db = await createDatabase(target);
    });
    after(async () => {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const { task, context } of started) {
        context.stop();
        await task.stop();
      }
      await db.drop();
    });

    it('target outage: retries with backoff, commits nothing while down, applies everything once back', async () => {
      const proxy = new TcpProxy(targetPort(target));
      await proxy.start();
      try {
        const url = db.url.replace(/:\d+\//, `:${proxy.port}/`);
        const name = uniqueName('outage');
        const run = await startTask(
          {
            'connection.url': url,
            'auto.create': 'true',
            'table.name.format': 'items',
            'retry.backoff.ms': '100',
            'max.retries': '50',
          },
          { name },
        );
        started.push(run);
        const events = new EventFactory(uniqueName('items'), keySchema, rowSchema, 'items');
        await run.task.put([events.event('c', { id: 1 }, null, { id: 1, name: 'before' })]);

        await proxy.stop();
        const retriesBefore = await retriesSoFar(run.context);
        let settled = false;
        const pending = run.task.put([
          events.event('c', { id: 2 }, null, { id: 2, name: 'during' }),
          events.event('u', { id: 1 }, null, { id: 1, name: 'updated during' }),
        ]);
        void pending.finally(() => (settled = true)).catch(() => undefined);
        await delay(1500);
        assert.equal(settled, false, 'put waits while the target is down');
        assert.ok((await retriesSoFar(run.context)) - retriesBefore >= 2, 'retried with backoff');
        assert.deepEqual(
          run.context.retries.slice(0, 2).map((r) => r.attempt),
          [1, 2],
          'each retry reported for the task status, counted',
        );
        assert.deepEqual(
          (await db.query('SELECT id, name FROM items ORDER BY id')).map((r) => [Number(r.id), r.name]),
          [[1, 'before']],
          'nothing committed while down',
        );

        await proxy.start();
        await pending;
        assert.deepEqual(
          (await db.query('SELECT id, name FROM items ORDER BY id')).map((r) => [Number(r.id), r.name]),
          [
            [1, 'updated during'],
            [2, 'during'],
          ],
        );

        // Retries exhausted: a RetriableError for the runtime, still nothing committed.
        const limited = await startTask(
          {
            'connection.url': url,
            'table.name.format': 'items',
            'retry.backoff.ms': '50',
            'max.retries': '2',
          },
          { name: uniqueName('limited') },
        );
        started.push(limited);
        await proxy.stop();
        await assert.rejects(
          limited.task.put([events.event('c', { id: 3 }, null, { id: 3, name: 'lost?' })]),
          (error: Error) => {
            assert.ok(error instanceof RetriableError);
            assert.match(error.message, /still unavailable after 3 attempts/);
            return true;
          },
        );
        await proxy.start();
        assert.equal((await db.query('SELECT id FROM items WHERE id = 3')).length, 0);
      } finally {
        await proxy.stop();
      }
    });

    it('a terminated target connection is re-established and the batch retried', async () => {
      const run = await startTask({
        'connection.url': db.url,
        'auto.create': 'true',
        'table.name.format': 'kills',
        'retry.backoff.ms': '50',
      });
      started.push(run);
      const events = new EventFactory(uniqueName('kills'), keySchema, rowSchema, 'kills');
      await run.task.put([events.event('c', { id: 1 }, null, { id: 1, name: 'a' })]);
      if (target === 'postgresql') {
        const killed = await db.query(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'siphon-sink-jdbc'",
        );
        assert.ok(killed.length >= 1);
      } else {
        const ids = await db.query(
          'SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()',
        );
        assert.ok(ids.length >= 1);
        for (const { id } of ids) await db.query(`KILL CONNECTION ${Number(id)}`);
      }
      await run.task.put([events.event('c', { id: 2 }, null, { id: 2, name: 'b' })]);
      assert.deepEqual(
        (await db.query('SELECT id FROM kills ORDER BY id')).map((r) => Number(r.id)),
        [1, 2],
      );
    });

    it('exactly.once survives kill -9 mid-batch: target equals source, no duplicate side effects', async () => {
      const total = 2400;
      const batch = 200;
      // A per-row delay in the target keeps each batch's transaction open long enough to be killed inside it.
      if (target === 'postgresql') {
        await db.query(
          'CREATE TABLE ledger (entry integer NOT NULL, amount bigint NOT NULL, src_offset bigint NOT NULL)',
        );
        await db.query(
          'CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$',
        );
        await db.query(
          'CREATE TRIGGER slow BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION slow_row()',
        );
      } else {
        await db.query(
          'CREATE TABLE ledger (entry int NOT NULL, amount bigint NOT NULL, src_offset bigint NOT NULL) ENGINE=InnoDB',
        );
        await db.query(
          'CREATE TRIGGER slow BEFORE INSERT ON ledger FOR EACH ROW SET @siphon_slow = SLEEP(0.002)',
        );
      }
      const env = {
        ...process.env,
        SINK_URL: db.url,
        SINK_TOPIC: uniqueName('ledger'),
        SINK_NAME: uniqueName('eos'),
        SINK_TOTAL: String(total),
        SINK_BATCH: String(batch),
      };
      const runChild = () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', new URL('./sink-jdbc-crash-child.ts', import.meta.url).pathname],
          { env, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        children.push(child);
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        return { child, exited };
      };
      const openTransaction = async (): Promise<boolean> => {
        const rows =
          target === 'postgresql'
            ? await db.query(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'siphon-sink-jdbc' AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')",
              )
            : await db.query(
                // The child runs DML only between BEGIN and COMMIT, so a statement executing is one inside a batch.
                "SELECT 1 FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command = 'Execute'",
              );
        return rows.length > 0;
      };
      const committed = async (): Promise<number> => {
        const tables = await db.query(
          target === 'postgresql'
            ? "SELECT 1 FROM information_schema.tables WHERE table_name = 'siphon_sink_offsets' AND table_catalog = current_database()"
            : "SELECT 1 FROM information_schema.tables WHERE table_name = 'siphon_sink_offsets' AND table_schema = DATABASE()",
        );
        if (tables.length === 0) return 0;
        const rows = await db.query('SELECT next_offset FROM siphon_sink_offsets');
        return rows.length === 0 ? 0 : Number(rows[0]?.next_offset);
      };

      let kills = 0;
      for (const killAfter of [batch, batch * 5]) {
        const { child, exited } = runChild();
        const deadline = Date.now() + 40_000;
        while (Date.now() < deadline && !((await committed()) >= killAfter && (await openTransaction()))) {
          await delay(20);
        }
        assert.ok(await openTransaction(), 'the child is inside a batch transaction');
        child.kill('SIGKILL');
        await exited;
        kills++;
        const rows = Number((await db.query('SELECT COUNT(*) AS n FROM ledger'))[0]?.n);
        const next = await committed();
        assert.equal(rows, next, 'rows and stored offsets moved together; the killed batch left nothing');
        assert.ok(rows < total);
      }
      const { exited } = runChild();
      assert.equal(await exited, 0);
      const summary = await db.query(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT src_offset) AS d, SUM(amount) AS s, MIN(entry) AS lo, MAX(entry) AS hi FROM ledger',
      );
      assert.deepEqual(
        [summary[0]?.n, summary[0]?.d, summary[0]?.s, summary[0]?.lo, summary[0]?.hi].map(Number),
        [total, total, (3 * total * (total - 1)) / 2, 0, total - 1],
      );
      assert.equal(kills, 2);
      assert.equal(await committed(), total);
    });
  });
}
