// What a source task does when its database goes wrong, as the REST status shows it: a
// revoked login is not transient (FAILED with the reason), a database that cannot be
// reached is retried in the background (RUNNING, the error and attempt in the trace)
// and, with errors.max.retries, given up after that many attempts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { localStack } from '../support/local-stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { connectTo, createTestDatabase, pgAdmin } from './source-postgres-harness.js';

const names = uniqueNames('task-retries');
const prefix = names.group.replaceAll('-', '_');

interface TaskStatus {
  state: string;
  trace?: string;
}

describe('source task retries in the status', { timeout: 5 * 60_000 }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let worker: WorkerProcess;
  const role = `${prefix}_login`;
  const proxy = new TcpProxy(localStack.postgres.port);

  before(async () => {
    db = await createTestDatabase();
    await db.client.query('CREATE TABLE items (id integer PRIMARY KEY, v integer)');
    await db.client.query(`CREATE ROLE ${role} LOGIN SUPERUSER`);
    await proxy.start();
    worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json' });
  });

  after(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.kill('SIGTERM');
      await worker.waitForExit();
    }
    await proxy.stop();
    await db?.drop();
    const admin = await connectTo(pgAdmin.database);
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
    await deleteTopics(names.group);
  });

  function sourceConfig(name: string, overrides: Record<string, string>): Record<string, string> {
    return {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'database.hostname': '127.0.0.1',
      'database.port': String(localStack.postgres.port),
      'database.user': 'postgres',
      'database.dbname': db.name,
      'topic.prefix': `${prefix}_${name}`,
      'slot.name': `${prefix}_${name}`,
      'publication.name': `${prefix}_${name}`,
      'table.include.list': 'public.items',
      'snapshot.mode': 'no_data',
      'errors.retry.delay.max.ms': '1000',
      ...overrides,
    };
  }

  async function create(name: string, config: Record<string, string>): Promise<void> {
    const created = await worker.api('POST', '/connectors', { name: `${names.group}-${name}`, config });
    assert.equal(created.status, 201, created.text);
    await eventually(`${name} streaming`, async () => (await status(name))?.state === 'RUNNING', 60_000);
    // RUNNING is written when the task starts; the slot is read once the task streams.
    await eventually(
      `${name} reading its slot`,
      async () => {
        const admin = await connectTo(pgAdmin.database);
        try {
          const slot = await admin.query(
            'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active',
            [config['slot.name']],
          );
          return slot.rowCount === 1;
        } finally {
          await admin.end();
        }
      },
      60_000,
    );
  }

  async function status(name: string): Promise<TaskStatus | undefined> {
    const response = await worker.api('GET', `/connectors/${names.group}-${name}/status`);
    return (response.json as { tasks?: TaskStatus[] }).tasks?.[0];
  }

  async function terminate(user: string): Promise<void> {
    const admin = await connectTo(pgAdmin.database);
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [user]);
    } finally {
      await admin.end();
    }
  }

  it('fails a task whose login was revoked, with the reason, instead of retrying it', async () => {
    await create('revoked', sourceConfig('revoked', { 'database.user': role }));
    await db.client.query(`ALTER ROLE ${role} NOLOGIN`);
    await terminate(role);
    const failed = await eventually(
      'the task FAILED',
      async () => {
        const s = await status('revoked');
        return s?.state === 'FAILED' && s;
      },
      60_000,
    );
    assert.match(failed.trace ?? '', /not permitted to log in/);
  });

  it('shows a lost database as a retry in the trace, and gives up after errors.max.retries', async () => {
    await create(
      'unreachable',
      sourceConfig('unreachable', { 'database.port': String(proxy.port), 'errors.max.retries': '3' }),
    );
    await proxy.stop();
    const retrying = await eventually(
      'the retry in the status',
      async () => {
        const s = await status('unreachable');
        return (
          s?.state === 'RUNNING' && /attempt \d+ failed; retrying in the background/.test(s.trace ?? '') && s
        );
      },
      60_000,
    );
    assert.match(retrying.trace ?? '', /ECONNREFUSED|connect/);
    const failed = await eventually(
      'the task FAILED after errors.max.retries',
      async () => {
        const s = await status('unreachable');
        return s?.state === 'FAILED' && s;
      },
      90_000,
    );
    assert.match(failed.trace ?? '', /gave up after 4 attempts \(errors\.max\.retries=3\)/);
  });
});
