/**
 * The quick-start demo (`npm run quickstart`): a worker with the embedded schema
 * registry, a PostgreSQL source on `inventory`, JDBC sinks into PostgreSQL and MariaDB
 * `replica` databases, a writer making changes, and a live line of throughput and lag.
 * Ctrl-C (or --duration) stops the writer, waits until both replicas equal the source,
 * says so, and stops the worker. Exit code 1 when the replicas did not converge.
 *
 * Options: --duration <s> (default: until Ctrl-C), --rate <changes/s> (20),
 * --rest-port (8083), --registry-port (8081), --suffix <name> (names everything apart,
 * for tests), --cleanup (drop the demo's databases, topics and slot at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { dropDemoDatabases, dropDemoSlot, pgAddress, resetDemoDatabases } from './demo-databases.js';
import { demoNames, type DemoNames } from './demo-names.js';
import { InventoryWriter } from './inventory-writer.js';
import { compareReplicas } from './replica-check.js';
import { WorkerMetrics } from './worker-metrics.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: options } = parseArgs({
  options: {
    duration: { type: 'string' },
    rate: { type: 'string', default: '20' },
    'rest-port': { type: 'string', default: '8083' },
    'registry-port': { type: 'string', default: '8081' },
    suffix: { type: 'string', default: '' },
    cleanup: { type: 'boolean', default: false },
  },
});
if (!/^[a-z0-9_]*$/.test(options.suffix)) {
  throw new Error(`--suffix "${options.suffix}": use lower-case letters, digits and _ only`);
}
const names = demoNames(options.suffix);
const restUrl = `http://127.0.0.1:${options['rest-port']}`;
const registryUrl = `http://127.0.0.1:${options['registry-port']}`;
const kafka = new Kafka({
  clientId: 'siphon-quickstart',
  brokers: ['127.0.0.1:9092'],
  logLevel: logLevel.NOTHING,
});
const storeTopics = ['configs', 'offsets', 'status'].map((t) => `${names.workerGroup}-${t}`);
const registryTopic = options.suffix ? `_schemas-${options.suffix}` : '_schemas';
const say = (message: string) => console.log(`[quickstart] ${message}`);

async function portAnswers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );
}

/** Removes what an earlier run of the demo left in Kafka, so each run starts clean. */
async function deleteDemoTopics(andRegistry: boolean): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    const ours = existing.filter(
      (t) =>
        t.startsWith(`${names.topicPrefix}.`) ||
        t === `__debezium-heartbeat.${names.topicPrefix}` ||
        storeTopics.includes(t) ||
        (andRegistry && t === registryTopic),
    );
    if (ours.length) await admin.deleteTopics({ topics: ours });
    const groups = [names.postgresSink, names.mariadbSink].map((n) => `connect-${n}`);
    await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

function startWorker(logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: 'w' });
  const worker = spawn(process.execPath, [join(root, 'bin/siphon.js'), 'worker'], {
    cwd: root,
    // Its own process group: a terminal's Ctrl-C goes to the whole foreground group, and
    // the worker must keep running until the replicas caught up; the demo stops it then.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SIPHON_GROUP_ID: names.workerGroup,
      SIPHON_CONFIG_STORAGE_TOPIC: storeTopics[0],
      SIPHON_OFFSET_STORAGE_TOPIC: storeTopics[1],
      SIPHON_STATUS_STORAGE_TOPIC: storeTopics[2],
      SIPHON_REST_PORT: options['rest-port'],
      SIPHON_SCHEMA_REGISTRY_PORT: options['registry-port'],
      SIPHON_SCHEMA_REGISTRY_TOPIC: registryTopic,
      SIPHON_OFFSET_FLUSH_INTERVAL_MS: '1000',
      // The demo needs no secrets; a connector config may reference only these.
      SIPHON_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN: 'PG_PASSWORD|MYSQL_PASSWORD|SINK_PASSWORD',
      SIPHON_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS: '/etc/siphon/secrets',
    },
  });
  worker.stdout?.pipe(log);
  worker.stderr?.pipe(log);
  // However the demo ends, the worker it started does not outlive it.
  process.once('exit', () => {
    if (worker.exitCode === null) worker.kill('SIGTERM');
  });
  return worker;
}

async function waitForWorker(worker: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (worker.exitCode !== null)
      throw new Error(`the worker exited with ${worker.exitCode}; see ${logFile}`);
    const health = await fetch(`${restUrl}/health`).catch(() => undefined);
    if (health?.ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the worker was not ready within 60s; see ${logFile}`);
}

function connectorConfigs(demo: DemoNames): { name: string; config: Record<string, string> }[] {
  const sink = {
    'topics.regex': `${demo.topicPrefix}\\.public\\..*`,
    'insert.mode': 'upsert',
    'delete.enabled': 'true',
    'primary.key.mode': 'record_key',
    'auto.create': 'true',
    'schema.evolution': 'basic',
    'table.name.format': '${source.table}',
  };
  return [
    {
      name: demo.sourceConnector,
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'database.hostname': pgAddress.host,
        'database.port': String(pgAddress.port),
        'database.user': pgAddress.user,
        'database.dbname': demo.sourceDatabase,
        'topic.prefix': demo.topicPrefix,
        'plugin.name': 'pgoutput',
        'slot.name': demo.slot,
        'publication.name': demo.publication,
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public.customers,public.products,public.orders',
        'snapshot.mode': 'initial',
      },
    },
    {
      name: demo.postgresSink,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        'connection.url': `jdbc:postgresql://${pgAddress.host}:${pgAddress.port}/${demo.replicaDatabase}`,
        'connection.username': pgAddress.user,
        ...sink,
      },
    },
    {
      name: demo.mariadbSink,
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        'connection.url': `jdbc:mariadb://127.0.0.1:3306/${demo.replicaDatabase}`,
        'connection.username': 'root',
        ...sink,
        // Two mapping rules: the MariaDB copy keeps cancelled orders (soft delete) and
        // leaves customers' e-mail addresses behind.
        mappings: JSON.stringify([
          { name: 'orders', match: { 'source.table': 'orders' }, softDelete: 'deleted' },
          {
            name: 'customers',
            match: { 'source.table': 'customers' },
            exclude: ['email'],
            rename: { name: 'customer_name' },
            values: { synced_at_ms: '${source.ts_ms}' },
          },
        ]),
      },
    },
  ];
}

async function createConnectors(): Promise<void> {
  for (const connector of connectorConfigs(names)) {
    const response = await fetch(`${restUrl}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(connector),
    });
    if (response.status !== 201) {
      throw new Error(`creating ${connector.name} failed (${response.status}): ${await response.text()}`);
    }
    say(`connector ${connector.name} created`);
  }
}

function printWhereThingsRun(logFile: string): void {
  console.log(`
  Console             ${restUrl}/ui   (open it: the pipeline live; pause the source and watch its slot grow)
  PostgreSQL source   postgres://postgres@127.0.0.1:5432/${names.sourceDatabase}  (customers, products, orders)
  Kafka               127.0.0.1:9092, topics ${names.topicPrefix}.public.*  (Avro, schemas in ${registryUrl})
  Siphon worker       ${restUrl}  (log: ${logFile})
  PostgreSQL replica  postgres://postgres@127.0.0.1:5432/${names.replicaDatabase}
  MariaDB replica     mysql://root@127.0.0.1:3306/${names.replicaDatabase}  (orders soft-deleted, customers without e-mail)

  How to look, from another terminal:
    npx siphon connectors list --url ${restUrl}
    npx siphon events --url ${restUrl}
    curl -s ${restUrl}/connectors/${names.sourceConnector}/status
    curl -s ${restUrl}/metrics | grep -E 'siphon_(sink_jdbc_end_to_end_lag|source_lag)_seconds'
    curl -s ${registryUrl}/subjects
    psql -h 127.0.0.1 -U postgres ${names.replicaDatabase} -c 'SELECT count(*) FROM orders'
`);
}

/** One line every two seconds: changes written, events read, rows applied, lag. */
function startLiveLine(writer: InventoryWriter): () => void {
  let last = { at: Date.now(), written: 0, read: 0, pg: 0, maria: 0 };
  const timer = setInterval(() => {
    void WorkerMetrics.fetch(restUrl)
      .then((m) => {
        const now = {
          at: Date.now(),
          written: writer.changes,
          read: m.sum('siphon_source_change_events_total', names.sourceConnector),
          pg: m.sum('siphon_sink_jdbc_records_applied_total', names.postgresSink),
          maria: m.sum('siphon_sink_jdbc_records_applied_total', names.mariadbSink),
        };
        const seconds = (now.at - last.at) / 1000;
        const rate = (a: number, b: number) => ((a - b) / seconds).toFixed(0).padStart(4);
        // Lag of the freshest row applied: a table nobody writes to keeps an old
        // last-applied time, so the per-partition maximum would only say how quiet it is.
        const lag = (connector: string) => {
          const value = m.min('siphon_sink_jdbc_end_to_end_lag_seconds', connector);
          return value === undefined ? '   -  ' : `${value.toFixed(2).padStart(5)}s`;
        };
        console.log(
          `[live] writes ${rate(now.written, last.written)}/s | source ${rate(now.read, last.read)} ev/s | ` +
            `postgres replica ${rate(now.pg, last.pg)} rows/s, lag ${lag(names.postgresSink)} | ` +
            `mariadb replica ${rate(now.maria, last.maria)} rows/s, lag ${lag(names.mariadbSink)}`,
        );
        last = now;
      })
      .catch((error: Error) => console.log(`[live] metrics unavailable: ${error.message}`));
  }, 2000);
  return () => clearInterval(timer);
}

async function waitForConvergence(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const comparison = await compareReplicas(names);
    if (comparison.differences.length === 0) {
      say(
        `both replicas equal the source: ${comparison.sourceOrders} orders in ${names.sourceDatabase}, ` +
          `${comparison.postgresOrders} in PostgreSQL ${names.replicaDatabase}, ${comparison.mariadbOrders} live in MariaDB ${names.replicaDatabase}`,
      );
      return true;
    }
    if (Date.now() > deadline) {
      say(`replicas still differ after ${timeoutMs / 1000}s: ${comparison.differences.join(', ')}`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null) return;
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGTERM');
  await exited;
}

async function main(): Promise<number> {
  for (const url of [restUrl, registryUrl]) {
    if (await portAnswers(url)) {
      throw new Error(
        `${url} is already in use (another worker?); stop it or pass --rest-port/--registry-port`,
      );
    }
  }
  const logDir = join(root, '.cache/quickstart');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `worker${options.suffix ? `-${options.suffix}` : ''}.log`);

  say(`creating ${names.sourceDatabase} (PostgreSQL) and empty ${names.replicaDatabase} databases`);
  await resetDemoDatabases(names);
  await deleteDemoTopics(false);
  say('starting a Siphon worker with the embedded schema registry');
  const worker = startWorker(logFile);
  let stopLiveLine = () => {};
  let writer: InventoryWriter | undefined;
  try {
    await waitForWorker(worker, logFile);
    await createConnectors();
    printWhereThingsRun(logFile);
    writer = await InventoryWriter.connect({ ...pgAddress, database: names.sourceDatabase });
    writer.start(Number(options.rate));
    say(
      `writing about ${options.rate} changes a second; ` +
        (options.duration ? `stopping in ${options.duration}s` : 'press Ctrl-C to stop'),
    );
    stopLiveLine = startLiveLine(writer);

    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
      if (options.duration) setTimeout(done, Number(options.duration) * 1000);
    });
    console.log();
    say('stopping the writer, waiting for the replicas to catch up');
    await writer.stop();
    writer = undefined;
    return (await waitForConvergence(60_000)) ? 0 : 1;
  } finally {
    stopLiveLine();
    await writer?.stop().catch(() => undefined);
    say('stopping the worker (SIGTERM: tasks drain, offsets commit)');
    await stopWorker(worker);
    // A slot left behind would make PostgreSQL keep WAL forever.
    await dropDemoSlot(names);
    if (options.cleanup) {
      await deleteDemoTopics(true);
      await dropDemoDatabases(names);
      say('removed the demo databases and topics');
    } else {
      say(`the databases stay for you to look at; \`npm run quickstart\` again starts afresh`);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`[quickstart] FAILED: ${error.message}`);
    process.exit(1);
  },
);
