// Verify and repair across engines: a live MariaDB → Kafka → PostgreSQL pipeline under
// write load compares equal (column values of both sides normalised in the worker); an
// updated and a deleted target row are reported exactly and repaired.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { createDatabase, type TestDatabase } from './sink-jdbc-harness.js';
import { connectorConfig, TestDatabase as MariaDatabase } from './source-mysql-harness.js';

const names = uniqueNames('verify-my');
// Sinks consume in group connect-<name>: unique names keep concurrent runs and files apart.
const replica = `replica-${names.group}`;
const replicaMaria = `replica-maria-${names.group}`;
const source = new MariaDatabase();
let target: TestDatabase;
let mariaTarget: TestDatabase;
let worker: WorkerProcess | undefined;
let writing = true;
let writer: Promise<void> = Promise.resolve();
const ROWS = 300;

interface Run {
  state: string;
  tables: {
    table: string;
    comparison: string;
    rows_compared: number;
    differences: { key: string; kind: string; columns?: { column: string }[] }[];
  }[];
}

async function verify(body: Record<string, unknown> = {}, sink = replica): Promise<Run> {
  // A scheduled run may be going (409): wait for it to end.
  const started = await eventually('a verification to start', async () => {
    const response = await worker!.api('POST', `/connectors/${sink}/verify`, body);
    return response.status === 409 ? undefined : response;
  });
  assert.equal(started.status, 202, started.text);
  const id = (started.json as { id: string }).id;
  return eventually(
    'the verification to finish',
    async () => {
      const run = (await worker!.api('GET', `/connectors/${sink}/verify/${id}`)).json as Run;
      return run.state === 'RUNNING' ? undefined : run;
    },
    180_000,
  );
}

before(async () => {
  await source.create();
  target = await createDatabase('postgresql');
  mariaTarget = await createDatabase('mariadb');
  await source.query(`CREATE TABLE ${source.name}.tags (id int PRIMARY KEY, name varchar(40), amount decimal(8,2),
    seen datetime(6), flag tinyint(1) NOT NULL DEFAULT 0)`);
  await source.query(
    `INSERT INTO ${source.name}.tags VALUES ${Array.from(
      { length: 100 },
      (_, i) =>
        `(${i + 1}, 'tag ${i + 1}', ${(i + 1) / 4}, '2024-06-01 00:${String(i % 60).padStart(2, '0')}:00.000001', ${i % 2})`,
    ).join(', ')}`,
  );
  await source.query(`CREATE TABLE ${source.name}.items (id int PRIMARY KEY, price decimal(10,2) NOT NULL,
    label varchar(50), weight double, updated datetime(6) NOT NULL, flag tinyint(1) NOT NULL DEFAULT 0)`);
  const values = Array.from(
    { length: ROWS },
    (_, i) =>
      `(${i + 1}, ${(i + 1) * 1.5}, 'item ${i + 1}', ${i}.25, '2024-05-01 08:00:00.${String(i).padStart(6, '0')}', ${i % 2})`,
  );
  await source.query(`INSERT INTO ${source.name}.items VALUES ${values.join(', ')}`);
  worker = await WorkerProcess.start(names, { SIPHON_KEY_CONVERTER: 'json', SIPHON_VALUE_CONVERTER: 'json' });
  const created = await worker.api('POST', '/connectors', {
    name: 'source',
    config: {
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      ...connectorConfig(source.name, { 'heartbeat.interval.ms': '1000' }),
    },
  });
  assert.equal(created.status, 201, created.text);
  const sink = await worker.api('POST', '/connectors', {
    name: replica,
    config: {
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'topics.regex': `${source.name}\\.${source.name}\\..*`,
      'connection.url': target.url,
      'delete.enabled': 'true',
      'auto.create': 'true',
      'table.name.format': '${source.table}',
      'verify.interval.ms': '4000',
      'verify.max.rows.per.second': '2000',
    },
  });
  assert.equal(sink.status, 201, sink.text);
  const mariaSink = await worker.api('POST', '/connectors', {
    name: replicaMaria,
    config: {
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'topics.regex': `${source.name}\\.${source.name}\\..*`,
      'connection.url': mariaTarget.url,
      'delete.enabled': 'true',
      'auto.create': 'true',
      'table.name.format': '${source.table}',
    },
  });
  assert.equal(mariaSink.status, 201, mariaSink.text);
  await eventually(
    'the snapshot in the target',
    async () => {
      const [items] = await target.query('SELECT count(*)::int AS n FROM items').catch(() => [{ n: 0 }]);
      const [tags] = (await mariaTarget.query('SELECT count(*) AS n FROM tags').catch(() => [{ n: 0 }])) as {
        n: number | string;
      }[];
      return items?.n === ROWS && Number(tags?.n) === 100;
    },
    120_000,
  );
  writer = (async () => {
    let i = 0;
    while (writing) {
      const id = 50 + (i++ % (ROWS - 50));
      await source.query(`UPDATE ${source.name}.items SET price = price + 1, updated = NOW(6) WHERE id = ?`, [
        id,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  })();
});

after(async () => {
  writing = false;
  await writer.catch(() => undefined);
  if (worker) {
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await deleteTopics(names.group);
  await deleteTopics(source.name);
  await source.drop();
  await target?.drop();
  await mariaTarget?.drop();
});

test(
  'MariaDB → PostgreSQL compares equal under writes; divergences are found and repaired',
  { timeout: 300_000 },
  async () => {
    const equal = await verify();
    assert.equal(equal.state, 'EQUAL', JSON.stringify(equal, null, 2));
    assert.equal(equal.tables[0]?.rows_compared, ROWS);
    assert.equal(
      equal.tables[0]?.comparison,
      'texts',
      'MariaDB → PostgreSQL compares column values read from both databases',
    );

    await target.query('UPDATE items SET label = $1 WHERE id = 5', ['changed']);
    await target.query('DELETE FROM items WHERE id = 6');
    const found = await verify();
    assert.equal(found.state, 'DIFFERENT', JSON.stringify(found, null, 2));
    const differences = found.tables[0]?.differences ?? [];
    assert.deepEqual(
      differences.map((d) => [d.key, d.kind, (d.columns ?? []).map((c) => c.column).join(',')]).sort(),
      [
        ['["5"]', 'different', 'label'],
        ['["6"]', 'missing', ''],
      ],
    );
    const repaired = await verify({ repair: true });
    assert.equal(repaired.state, 'EQUAL', JSON.stringify(repaired, null, 2));
    const [five] = await target.query('SELECT label FROM items WHERE id = 5');
    assert.equal(five?.label, 'item 5');
  },
);

test(
  'MariaDB → MariaDB hashes in the databases (tables without floats) and finds a changed row',
  { timeout: 180_000 },
  async () => {
    const equal = await verify({}, replicaMaria);
    assert.equal(equal.state, 'EQUAL', JSON.stringify(equal, null, 2));
    const byTable = Object.fromEntries(equal.tables.map((t) => [t.table.split('.')[1], t]));
    assert.equal(byTable.tags?.comparison, 'hash');
    assert.equal(
      byTable.items?.comparison,
      'texts',
      'a DOUBLE column has no exact text in MariaDB SQL: its values are compared in the worker',
    );
    await mariaTarget.query('UPDATE tags SET amount = 0 WHERE id = 3');
    const found = await verify({ tables: [`${source.name}.tags`] }, replicaMaria);
    assert.equal(found.state, 'DIFFERENT', JSON.stringify(found, null, 2));
    assert.deepEqual(
      found.tables[0]?.differences.map((d) => [
        d.key,
        d.kind,
        (d.columns ?? []).map((c) => c.column).join(','),
      ]),
      [['["3"]', 'different', 'amount']],
    );
  },
);

test(
  'verify.interval.ms runs scheduled verifications and publishes their outcome as metrics',
  { timeout: 120_000 },
  async () => {
    // Scheduled runs also ran during the tests above (and saw their divergences): wait for one started now.
    const since = new Date().toISOString();
    const scheduled = await eventually(
      'a scheduled verification started after the repairs',
      async () => {
        const runs = (await worker!.api('GET', `/connectors/${replica}/verify`)).json as {
          scheduled: boolean;
          state: string;
          started: string;
        }[];
        return runs.find((run) => run.scheduled && run.started > since && run.state !== 'RUNNING');
      },
      90_000,
    );
    assert.equal(scheduled.state, 'EQUAL');
    const metrics = (await worker!.api('GET', '/metrics')).text;
    assert.match(
      metrics,
      new RegExp(`siphon_verify_last_run_timestamp_seconds\\{connector="${replica}",outcome="equal"\\} \\d`),
    );
    assert.match(
      metrics,
      new RegExp(`siphon_verify_rows_compared_total\\{connector="${replica}",table="[^"]+\\.items"\\} \\d+`),
    );
    assert.match(
      metrics,
      new RegExp(`siphon_verify_rows_different\\{connector="${replica}",table="[^"]+\\.items"\\} 0`),
    );
  },
);

test(
  'a requested verification cancels a scheduled one that is going and runs after it',
  { timeout: 180_000 },
  async () => {
    interface Listed {
      id: string;
      scheduled: boolean;
      state: string;
      error?: string;
    }
    const runOf = async (id: string) =>
      (await worker!.api('GET', `/connectors/${replica}/verify/${id}`)).json as Listed;
    const preempted = await eventually(
      'a requested run started while a scheduled one was going',
      async () => {
        const runs = (await worker!.api('GET', `/connectors/${replica}/verify`)).json as Listed[];
        const scheduled = runs.find((run) => run.scheduled && run.state === 'RUNNING');
        if (!scheduled) return undefined;
        const started = await worker!.api('POST', `/connectors/${replica}/verify`, {});
        assert.equal(started.status, 202, `a scheduled run answered ${started.status}: ${started.text}`);
        const id = (started.json as { id: string }).id;
        const requested = await eventually(
          'the requested run to finish',
          async () => {
            const run = await runOf(id);
            return run.state === 'RUNNING' ? undefined : run;
          },
          120_000,
        );
        assert.equal(requested.state, 'EQUAL', JSON.stringify(requested));
        // The scheduled run may have ended just before the request: then try again with the next one.
        const ended = await runOf(scheduled.id);
        return ended.state === 'CANCELLED' ? { ended, id } : undefined;
      },
      150_000,
    );
    assert.match(
      preempted.ended.error ?? '',
      new RegExp(`requested verification ${preempted.id} took precedence`),
    );
  },
);
