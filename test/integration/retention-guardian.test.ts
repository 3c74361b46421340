import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { SseStream } from '../support/sse-stream.js';
import { connectorConfig, createTestDatabase, pgAdmin } from './source-postgres-harness.js';
import { dropSlot } from '../../connectors/source-postgres/slot-and-publication.js';

/**
 * The slot guardian against real PostgreSQL: while the connector is PAUSED, then FAILED,
 * then deleted with its slot kept, 50 MB of WAL is written each time, and the worker's
 * retained-WAL metric, its status field and its `retention` events follow PostgreSQL's own
 * pg_current_wal_lsn() - restart_lsn within 5%; past slot.max.retained.wal.bytes an alert
 * event fires. Rows of 1 MB stored uncompressed make the 50 MB quick to write.
 */
const names = uniqueNames('guardian');
const connector = `${names.group}-pg`;
const mb = 1024 * 1024;
const limitBytes = 40 * mb;
let worker: WorkerProcess;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let events: SseStream;
let slot: string;
const admin = new pg.Client(pgAdmin);

before(async () => {
  database = await createTestDatabase();
  await database.client.query('CREATE TABLE blob (id serial PRIMARY KEY, payload text)');
  await database.client.query('ALTER TABLE blob ALTER COLUMN payload SET STORAGE EXTERNAL');
  await admin.connect();
  worker = await WorkerProcess.start(names, { SIPHON_RETENTION_CHECK_INTERVAL_MS: '300' });
  events = await SseStream.open(
    `${worker.url}/events?connector=${encodeURIComponent(connector)}&types=retention,alert`,
  );
});

after(async () => {
  await events?.close();
  if (worker) {
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await admin.end().catch(() => undefined);
  await database?.drop();
  await deleteTopics(names.group);
});

/** 50 rows of 1 MB, stored without compression: about 50 MB of WAL. */
async function write50MB(): Promise<void> {
  await database.client.query(
    `INSERT INTO blob (payload) SELECT repeat(chr(65 + g % 26), ${mb}) FROM generate_series(1, 50) AS g`,
  );
}

async function postgresNumbers(): Promise<{ retained: number; behind: number }> {
  const row = (
    await admin.query<{ retained: string; behind: string }>(
      `SELECT (pg_current_wal_lsn() - restart_lsn)::bigint::text AS retained,
              (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint::text AS behind
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    )
  ).rows[0];
  assert.ok(row, `slot ${slot} exists`);
  return { retained: Number(row.retained), behind: Number(row.behind) };
}

async function metric(name: string): Promise<number | null> {
  const { text } = await worker.api('GET', '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{connector="${connector}"}`));
  return line === undefined ? null : Number(line.split(' ').pop());
}

/** Writes 50 MB, then checks metric, event and status against PostgreSQL's numbers. */
async function writeAndCompare(state: string, checkStatus: boolean): Promise<void> {
  const before = await postgresNumbers();
  await write50MB();
  await eventually(
    'the retained-WAL metric to take in the 50 MB',
    async () => ((await metric('siphon_source_retained_bytes')) ?? 0) >= before.retained + 50 * mb,
    60000,
  );
  // PostgreSQL's numbers keep moving with other writers, and the metric is a sample taken
  // at some moment since the write: it must lie between the reading before the write plus
  // the 50 MB (nobody reads the slot meanwhile) and a reading taken after it, give or take 5%.
  const retained = (await metric('siphon_source_retained_bytes')) ?? 0;
  const behind = (await metric('siphon_source_postgres_replication_lag_bytes')) ?? 0;
  const high = await postgresNumbers();
  const low = { retained: before.retained + 50 * mb, behind: before.behind + 50 * mb };
  assert.ok(
    retained >= low.retained * 0.95 && retained <= high.retained * 1.05,
    `${state}: retained ${retained} vs ${low.retained}..${high.retained}`,
  );
  assert.ok(
    behind >= low.behind * 0.95 && behind <= high.behind * 1.05,
    `${state}: behind ${behind} vs ${low.behind}..${high.behind}`,
  );
  const [event] = (
    await events.waitFor(
      1,
      (e) =>
        e.data.type === 'retention' &&
        e.data.data?.connectorState === state &&
        Number(e.data.data?.retainedBytes) >= before.retained + 50 * mb,
    )
  ).slice(-1);
  const fromEvent = Number(event?.data.data?.retainedBytes);
  const now = await postgresNumbers();
  assert.ok(
    fromEvent >= before.retained + 50 * mb && fromEvent <= now.retained * 1.05,
    `${state}: event ${fromEvent}`,
  );
  assert.equal(event?.data.data?.holder, slot);
  assert.equal(event?.data.data?.active, false);
  if (checkStatus) {
    const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
      retention?: { retainedBytes: number; holder: string; details: { wal_status: string | null } };
    };
    assert.equal(status.retention?.holder, slot);
    assert.ok((status.retention?.retainedBytes ?? 0) >= before.retained + 50 * mb);
    assert.ok(['reserved', 'extended', 'unreserved'].includes(String(status.retention?.details.wal_status)));
  }
}

test('retained WAL follows PostgreSQL while paused, failed and deleted with the slot kept', async () => {
  const config = connectorConfig(database.name, {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'topic.prefix': names.group,
    'table.include.list': 'public.blob',
    'slot.max.retained.wal.bytes': String(limitBytes),
  });
  slot = config['slot.name'] ?? '';
  const created = await worker.api('POST', '/connectors', { name: connector, config });
  assert.equal(created.status, 201, created.text);
  await eventually(
    'the task streams',
    async () => {
      const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
        tasks: { state: string; progress?: { phase?: string } }[];
      };
      return status.tasks[0]?.progress?.phase === 'streaming';
    },
    60000,
  );

  // PAUSED: nothing reads the slot any more; before the fix the metric froze here.
  assert.equal((await worker.api('PUT', `/connectors/${connector}/pause`)).status, 202);
  await eventually(
    'the slot is released',
    async () => {
      const row = (await admin.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]))
        .rows[0] as { active: boolean };
      return row.active === false;
    },
    30000,
  );
  await writeAndCompare('PAUSED', true);
  const unread = await events.waitFor(
    1,
    (e) => e.data.type === 'alert' && e.data.data?.kind === 'retention.unread',
  );
  assert.equal(unread[0]?.data.data?.status, 'firing');
  assert.equal(unread[0]?.data.data?.connectorState, 'PAUSED');
  const alert = await events.waitFor(
    1,
    (e) => e.data.type === 'alert' && e.data.data?.kind === 'retention' && e.data.data?.status === 'firing',
  );
  assert.match(
    String(alert[0]?.data.data?.message),
    new RegExp(`${slot} retains \\d+ bytes .*over the limit of ${limitBytes}`),
  );

  // FAILED: the publication it needs is missing, so the task fails at start.
  const failing = await worker.api('PUT', `/connectors/${connector}/config`, {
    ...config,
    'publication.name': `missing_${slot}`,
    'publication.autocreate.mode': 'disabled',
  });
  assert.equal(failing.status, 200, failing.text);
  assert.equal((await worker.api('PUT', `/connectors/${connector}/resume`)).status, 202);
  await eventually(
    'the task is FAILED',
    async () => {
      const status = (await worker.api('GET', `/connectors/${connector}/status`)).json as {
        tasks: { state: string }[];
      };
      return status.tasks[0]?.state === 'FAILED';
    },
    60000,
  );
  await writeAndCompare('RUNNING', true);

  // Deleted, slot kept (slot.drop.on.stop=false): still measured until the slot is gone.
  assert.equal((await worker.api('DELETE', `/connectors/${connector}`)).status, 204);
  await writeAndCompare('DELETED', false);
  await dropSlot(admin, slot);
  await eventually(
    'the metric disappears with the slot',
    async () => (await metric('siphon_source_retained_bytes')) === null,
    30000,
  );
});

test('slot.max.retained.wal.action=drop drops a slot nobody reads past the limit; the connector then fails loudly', async () => {
  const name = `${connector}-drop`;
  await database.client.query('CREATE TABLE small (id serial PRIMARY KEY, note text)');
  await database.client.query("INSERT INTO small (note) VALUES ('one row, so offsets exist')");
  const config = connectorConfig(database.name, {
    'connector.class': 'postgres',
    'topic.prefix': `${names.group}-drop`,
    'table.include.list': 'public.small',
    'slot.max.retained.wal.bytes': '1',
    'slot.max.retained.wal.action': 'drop',
  });
  const dropSlot = config['slot.name'] ?? '';
  const stream = await SseStream.open(
    `${worker.url}/events?connector=${encodeURIComponent(name)}&types=alert`,
  );
  try {
    assert.equal((await worker.api('POST', '/connectors', { name, config })).status, 201);
    await eventually(
      'the task streams',
      async () => {
        const status = (await worker.api('GET', `/connectors/${name}/status`)).json as {
          tasks: { progress?: { phase?: string } }[];
        };
        return status.tasks[0]?.progress?.phase === 'streaming';
      },
      60000,
    );
    const slotExists = async () =>
      ((await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [dropSlot])).rowCount ??
        0) > 0;
    assert.ok(await slotExists(), 'read while running: never dropped');
    assert.equal((await worker.api('PUT', `/connectors/${name}/pause`)).status, 202);
    const [released] = await stream.waitFor(1, (e) => e.data.data?.kind === 'retention.released');
    assert.match(String(released?.data.data?.message), new RegExp(`dropped replication slot "${dropSlot}"`));
    assert.equal(await slotExists(), false);
    assert.equal((await worker.api('PUT', `/connectors/${name}/resume`)).status, 202);
    let last = '';
    await eventually(
      'the task fails naming the lost slot',
      async () => {
        const status = (await worker.api('GET', `/connectors/${name}/status`)).json as {
          tasks: { state: string; trace?: string }[];
        };
        last = JSON.stringify(status.tasks);
        return (
          status.tasks[0]?.state === 'FAILED' && /is gone but offsets exist/.test(status.tasks[0].trace ?? '')
        );
      },
      60000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status ${last}`);
    });
  } finally {
    await stream.close();
    await worker.api('DELETE', `/connectors/${name}`);
  }
});
