/**
 * Verification throughput: 1M rows in a PostgreSQL source table compared with a
 * PostgreSQL target and a MariaDB target holding the same rows but 10 differing ones
 * (5 updated, 3 deleted, 2 extra), through the same VerificationRun and connector
 * verification code the worker runs. No pipeline runs, so the settle wait of a differing
 * chunk returns at once (the stand-in worker reports every position as applied): the
 * figures are the comparison's own cost. Prints figures (wall time, the worker's CPU time,
 * peak RSS, the load average when it started: the machine may be shared) and one JSON line;
 * exits 1 when a run does not find exactly the 10 injected differences.
 * `npm run bench:verify -- --rows 1000000 --chunk 10000 --targets postgresql,mariadb`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { plugin as sinkPlugin } from '../../connectors/sink-jdbc/index.js';
import { plugin as sourcePlugin } from '../../connectors/source-postgres/index.js';
import { describeErrors, parseConfig } from '../../runtime/config/config-parser.js';
import { createLogger } from '../../runtime/logging/logger.js';
import type { ConnectorPlugin } from '../../runtime/plugin/index.js';
import { VerificationRun } from '../../runtime/verify/verification-run.js';
import type { VerificationHost } from '../../runtime/verify/verification-host.js';
import type { TableReport } from '../../runtime/verify/verify-report.js';
import { connectorConfigDef } from '../../runtime/worker/connector-config.js';

const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    chunk: { type: 'string', default: '10000' },
    targets: { type: 'string', default: 'postgresql,mariadb' },
  },
});
const rows = Number(options.rows);
const chunkSize = Number(options.chunk);
const id = randomBytes(3).toString('hex');
const sourceDb = `siphon_vbench_src_${id}`;
const targetDb = `siphon_vbench_dst_${id}`;
const prefix = `vbench_${id}`;
const pgAddress = { host: '127.0.0.1', port: 5432, user: 'postgres' };

async function pgExec(database: string, sql: string): Promise<void> {
  const client = new pg.Client({ ...pgAddress, database });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const columnsPg = `id bigint PRIMARY KEY, name text, amount numeric(12,2), doc jsonb, created timestamptz, flag boolean`;
const rowsPg = `SELECT i, 'item ' || i, i * 1.25, jsonb_build_object('a', i, 'b', 'x'),
  timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 2 = 0 FROM generate_series(1, ${rows}) AS i`;

/** 5 updated, 3 deleted, 2 extra rows. */
const INJECTED = 10;
const divergences = (table: string, mysqlFlavour: boolean) => [
  ...[11, 22_222, Math.floor(rows / 2), rows - 7, 3].map(
    (k) => `UPDATE ${table} SET name = 'changed' WHERE id = ${k}`,
  ),
  ...[5, Math.floor(rows / 3), rows].map((k) => `DELETE FROM ${table} WHERE id = ${k}`),
  ...[rows + 10, rows + 20].map(
    (k) =>
      `INSERT INTO ${table} (id, name, amount, doc, created, flag) VALUES (${k}, 'extra', 1, '{}', ${mysqlFlavour ? "'2024-01-01 00:00:00'" : "'2024-01-01 00:00:00+00'"}, ${mysqlFlavour ? 0 : false})`,
  ),
];

/**
 * CPU seconds the PostgreSQL backends of the verification used, read from /proc when the
 * server runs on this host (Linux); null otherwise. Unlike wall time it does not depend on
 * what else the machine runs.
 */
class BackendCpu {
  private readonly ticks = new Map<number, number>();
  private available = true;
  private busy = false;

  constructor(
    private readonly client: pg.Client,
    private readonly databases: readonly string[],
  ) {}

  async sample(): Promise<void> {
    if (this.busy || !this.available) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()',
        [this.databases],
      );
      for (const { pid } of rows) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // utime and stime: fields 14 and 15, counted after the parenthesised command name.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        this.ticks.set(pid, Number(fields[11]) + Number(fields[12]));
      }
    } catch {
      this.available = false;
    } finally {
      this.busy = false;
    }
  }

  /** Clock ticks are 1/100 s on Linux. */
  seconds(): number | null {
    if (!this.available) return null;
    return [...this.ticks.values()].reduce((sum, ticks) => sum + ticks, 0) / 100;
  }
}

function parsed(plugin: ConnectorPlugin, raw: Record<string, string>) {
  const { values, errors } = parseConfig(connectorConfigDef(plugin), raw);
  if (errors.size > 0) throw new Error(describeErrors(errors).join('; '));
  return { plugin, config: values, raw };
}

async function measure(target: 'postgresql' | 'mariadb'): Promise<Record<string, number | string>> {
  const url =
    target === 'postgresql'
      ? `jdbc:postgresql://127.0.0.1:5432/${targetDb}?user=postgres`
      : `jdbc:mariadb://127.0.0.1:3306/${targetDb}?user=root`;
  const source = parsed(sourcePlugin, {
    name: 'bench-source',
    'connector.class': sourcePlugin.className,
    'database.hostname': '127.0.0.1',
    'database.user': 'postgres',
    'database.dbname': sourceDb,
    'topic.prefix': prefix,
    'table.include.list': 'public.items',
  });
  const sink = parsed(sinkPlugin, {
    name: 'bench-sink',
    'connector.class': sinkPlugin.className,
    'topics.regex': `${prefix}\\..*`,
    'connection.url': url,
    'delete.enabled': 'true',
    'table.name.format': '${source.table}',
  });
  const host: VerificationHost = {
    connectorNames: () => ['bench-source', 'bench-sink'],
    resolvedConnector: (name) => (name === 'bench-source' ? source : sink),
    activeTopics: (name) => (name === 'bench-source' ? [`${prefix}.public.items`] : []),
    // Every position is "applied": no pipeline runs here.
    offsets: async (name) =>
      name === 'bench-source' ? [{ partition: {}, offset: { lsn: Number.MAX_SAFE_INTEGER } }] : [],
    connectorStatus: () => ({ connector: { state: 'RUNNING' } }),
    kafkaAdmin: null as never,
  };
  const logger = createLogger({ component: 'bench' });
  const verifier = await sinkPlugin.verification!.openVerifier(sink.config, 'bench-sink', logger);
  const tables: TableReport[] = [];
  let peakRss = process.memoryUsage().rss;
  const backends = new BackendCpu(admin, target === 'postgresql' ? [sourceDb, targetDb] : [sourceDb]);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    void backends.sample();
  }, 100);
  const started = Date.now();
  const load = loadavg()[0] ?? 0;
  const cpu = process.cpuUsage();
  try {
    const run = new VerificationRun(
      host,
      {
        sink: 'bench-sink',
        sources: ['bench-source'],
        tables: [],
        repair: false,
        chunkSize,
        maxRowsPerSecond: 0,
        settleTimeoutMs: 1000,
        rechecks: 1,
      },
      {
        signal: new AbortController().signal,
        logger,
        onTable: (t) => tables.push(t),
        onProgress: () => undefined,
        onTablesFound: () => undefined,
      },
      verifier,
    );
    await run.run();
  } finally {
    clearInterval(sampler);
    await backends.sample();
    await verifier.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const [report] = tables;
  return {
    target,
    rows: report?.rows_compared ?? 0,
    seconds: Math.round(seconds * 100) / 100,
    rows_per_second: Math.round((report?.rows_compared ?? 0) / seconds),
    differences_found: report?.differences_total ?? 0,
    comparison: report?.comparison ?? 'none',
    worker_cpu_seconds: Math.round((used.user + used.system) / 10_000) / 100,
    // The source backend only for MariaDB targets (its server is one process for all sessions).
    postgres_backend_cpu_seconds: backends.seconds() ?? 'unknown',
    load_average_at_start: Math.round(load * 100) / 100,
    chunks: report?.chunks ?? 0,
    peak_rss_mb: Math.round(peakRss / 1048576),
  };
}

const admin = new pg.Client({ ...pgAddress, database: 'postgres' });
await admin.connect();
const figures: Record<string, unknown> = { rows, chunk_size: chunkSize };
const results: Record<string, number | string>[] = [];
let maria: mysql.Connection | null = null;
try {
  console.log(`[bench] loading ${rows} rows into ${sourceDb}`);
  await admin.query(`CREATE DATABASE ${sourceDb}`);
  await pgExec(sourceDb, `CREATE TABLE items (${columnsPg}); INSERT INTO items ${rowsPg}; ANALYZE items`);
  for (const target of options.targets.split(',').map((t) => t.trim())) {
    console.log(`[bench] loading the ${target} target`);
    if (target === 'postgresql') {
      await admin.query(`CREATE DATABASE ${targetDb}`);
      await pgExec(
        targetDb,
        `CREATE TABLE items (${columnsPg}); INSERT INTO items ${rowsPg}; ${divergences('items', false).join('; ')}`,
      );
    } else if (target === 'mariadb') {
      maria = await mysql.createConnection({
        host: '127.0.0.1',
        port: 3306,
        user: 'root',
        multipleStatements: true,
      });
      await maria.query(`CREATE DATABASE ${targetDb}`);
      await maria.query(`USE ${targetDb}; SET time_zone = '+00:00';
        CREATE TABLE items (id bigint PRIMARY KEY, name longtext, amount decimal(12,2), doc json, created datetime(6), flag boolean);
        INSERT INTO items SELECT seq, CONCAT('item ', seq), seq * 1.25, JSON_OBJECT('a', seq, 'b', 'x'),
          TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, seq % 2 = 0 FROM seq_1_to_${rows};
        ${divergences('items', true).join('; ')}`);
    } else throw new Error(`unknown target ${target}; use postgresql or mariadb`);
    console.log(`[bench] verifying PostgreSQL → ${target}`);
    const result = await measure(target as 'postgresql' | 'mariadb');
    results.push(result);
    console.log(
      `[bench] PostgreSQL → ${target}: ${result.rows} rows in ${result.seconds} s (${result.rows_per_second} rows/s, ${result.comparison}), ${result.differences_found} differences found (10 injected), ${result.chunks} chunks, worker CPU ${result.worker_cpu_seconds} s, PostgreSQL backends' CPU ${result.postgres_backend_cpu_seconds} s, peak RSS ${result.peak_rss_mb} MB, load average ${result.load_average_at_start}`,
    );
    if (target === 'mariadb') await maria?.query(`DROP DATABASE IF EXISTS ${targetDb}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${targetDb} WITH (FORCE)`);
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${sourceDb} WITH (FORCE)`).catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${targetDb} WITH (FORCE)`).catch(() => undefined);
  await maria?.query(`DROP DATABASE IF EXISTS ${targetDb}`).catch(() => undefined);
  await maria?.end();
  await admin.end();
}
figures.results = results;
console.log(JSON.stringify(figures));
if (results.some((result) => result.differences_found !== INJECTED)) {
  console.error(`[bench] a run did not find exactly the ${INJECTED} injected differences`);
  process.exitCode = 1;
}
