/**
 * End-to-end throughput: PostgreSQL → source-postgres → Kafka (Avro) → sink-jdbc →
 * PostgreSQL, through a real worker on the local stack. Prints figures and one JSON
 * line; asserts nothing. `npm run bench -- --rows 100000 --changes 50000`.
 *
 * Phases: startup (connectors created → first row in the target), the snapshot of
 * `--rows` rows, then `--changes` streamed inserts written in transactions of 500; each
 * phase is timed until the target holds every row.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { freePort } from '../support/free-port.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    changes: { type: 'string', default: '50000' },
  },
});
const rows = Number(options.rows);
const changes = Number(options.changes);
const id = randomBytes(3).toString('hex');
const names = {
  source: `siphon_bench_src_${id}`,
  target: `siphon_bench_dst_${id}`,
  group: `siphon-bench-${id}`,
  prefix: `bench_${id}`,
  slot: `siphon_bench_${id}`,
};
const pgAddress = { host: '127.0.0.1', port: 5432, user: 'postgres' };

async function query(database: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ ...pgAddress, database });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function targetCount(): Promise<number> {
  const result = await query(names.target, 'SELECT count(*)::int AS n FROM items').catch(() => null);
  return (result?.rows[0] as { n: number } | undefined)?.n ?? 0;
}

async function waitForTarget(count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await targetCount()) < count) {
    if (Date.now() > deadline) throw new Error(`the target has ${await targetCount()} of ${count} rows`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  await query('postgres', `CREATE DATABASE ${names.source}`);
  await query('postgres', `CREATE DATABASE ${names.target}`);
  await query(
    names.source,
    `CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
     INSERT INTO items (id, name, price) SELECT g, 'item ' || g, (g % 1000) / 10.0 FROM generate_series(1, ${rows}) g`,
  );
  const restPort = await freePort();
  const registryPort = await freePort();
  const worker = spawn(process.execPath, [join(root, 'bin/siphon.js'), 'worker'], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env,
      SIPHON_GROUP_ID: names.group,
      SIPHON_CONFIG_STORAGE_TOPIC: `${names.group}-configs`,
      SIPHON_OFFSET_STORAGE_TOPIC: `${names.group}-offsets`,
      SIPHON_STATUS_STORAGE_TOPIC: `${names.group}-status`,
      SIPHON_REST_PORT: String(restPort),
      SIPHON_SCHEMA_REGISTRY_PORT: String(registryPort),
      SIPHON_SCHEMA_REGISTRY_TOPIC: `${names.group}-schemas`,
      SIPHON_LOG_LEVEL: 'warn',
    },
  });
  const rest = `http://127.0.0.1:${restPort}`;
  const peakRss = { kib: 0 };
  const rssTimer = setInterval(() => {
    void import('node:fs/promises').then(async ({ readFile }) => {
      const status = await readFile(`/proc/${worker.pid}/status`, 'utf8').catch(() => '');
      const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakRss.kib = Math.max(peakRss.kib, kib);
    });
  }, 500);
  try {
    for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 300))) {
      ready = (await fetch(`${rest}/health`).catch(() => null))?.ok === true;
    }
    const post = async (name: string, config: Record<string, string>) => {
      const response = await fetch(`${rest}/connectors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, config }),
      });
      if (response.status !== 201) throw new Error(`${name}: ${await response.text()}`);
    };
    const started = Date.now();
    await post(`${names.group}-source`, {
      'connector.class': 'postgres',
      'database.hostname': pgAddress.host,
      'database.port': String(pgAddress.port),
      'database.user': pgAddress.user,
      'database.dbname': names.source,
      'topic.prefix': names.prefix,
      'slot.name': names.slot,
      'publication.name': names.slot,
      'slot.drop.on.stop': 'true',
    });
    await post(`${names.group}-sink`, {
      'connector.class': 'jdbc',
      'topics.regex': `${names.prefix}\\.public\\..*`,
      'connection.url': `jdbc:postgresql://127.0.0.1:5432/${names.target}`,
      'connection.username': 'postgres',
      'insert.mode': 'upsert',
      'delete.enabled': 'true',
      'primary.key.mode': 'record_key',
      'auto.create': 'true',
      'table.name.format': '${source.table}',
    });
    // Startup (slot, topics, the sink finding them) is timed apart from the copy itself.
    await waitForTarget(1, 120_000);
    const firstRow = Date.now();
    await waitForTarget(rows, 600_000);
    const snapshotSeconds = (Date.now() - firstRow) / 1000;
    const startupSeconds = (firstRow - started) / 1000;

    const streamStart = Date.now();
    const writer = new pg.Client({ ...pgAddress, database: names.source });
    await writer.connect();
    for (let done = 0; done < changes; done += 500) {
      const size = Math.min(500, changes - done);
      await writer.query(
        `INSERT INTO items (id, name, price) SELECT g, 'new ' || g, 1.5 FROM generate_series($1::bigint, $2::bigint) g`,
        [rows + done + 1, rows + done + size],
      );
    }
    await writer.end();
    const writeSeconds = (Date.now() - streamStart) / 1000;
    await waitForTarget(rows + changes, 600_000);
    const streamSeconds = (Date.now() - streamStart) / 1000;

    const figures = {
      benchmark: 'end-to-end postgres→kafka(avro)→postgres',
      startup_seconds: Number(startupSeconds.toFixed(2)),
      snapshot_rows: rows,
      snapshot_seconds: Number(snapshotSeconds.toFixed(2)),
      snapshot_rows_per_second: Math.round(rows / snapshotSeconds),
      streamed_rows: changes,
      write_seconds: Number(writeSeconds.toFixed(2)),
      stream_seconds: Number(streamSeconds.toFixed(2)),
      streamed_rows_per_second: Math.round(changes / streamSeconds),
      worker_peak_rss_mib: Math.round(peakRss.kib / 1024),
    };
    console.log(
      `snapshot   ${rows} rows in ${figures.snapshot_seconds}s → ${figures.snapshot_rows_per_second} rows/s`,
    );
    console.log(
      `streaming  ${changes} inserts (written in ${figures.write_seconds}s) applied after ${figures.stream_seconds}s → ${figures.streamed_rows_per_second} rows/s`,
    );
    console.log(`worker     peak RSS ${figures.worker_peak_rss_mib} MiB`);
    console.log(JSON.stringify(figures));
  } finally {
    clearInterval(rssTimer);
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
    await query(
      'postgres',
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [names.slot],
    );
    await query('postgres', `DROP DATABASE IF EXISTS ${names.source} WITH (FORCE)`);
    await query('postgres', `DROP DATABASE IF EXISTS ${names.target} WITH (FORCE)`);
    const admin = new Kafka({ brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter(
      (t) =>
        t.startsWith(names.prefix) ||
        t.startsWith(names.group) ||
        t === `__debezium-heartbeat.${names.prefix}`,
    );
    if (topics.length) await admin.deleteTopics({ topics });
    await admin.deleteGroups([`connect-${names.group}-sink`]).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.message}`);
  process.exitCode = 1;
});
