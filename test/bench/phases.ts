import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { BenchWorker, sleep, type WorkerNames } from './bench-worker.js';
import { measureCommitLatency, type LatencyFigures } from './commit-latency.js';
import { drainWithPgRecvlogical, type DecodeLimit } from './limits.js';
import { ProcessSampler, type PhaseUsage } from './process-sampler.js';
import { sampleRecordSizes, topicRecords, waitUntil, type RecordSizes } from './topic-probe.js';
import { countRows, currentLsn, pgAddress, query, writeChanges } from './workload.js';

/**
 * The measured phases of one format, each in a worker process of its own: the snapshot,
 * streaming then commit latency (one source connector), and the sink.
 */
export type Format = 'json' | 'avro';
export type Phase =
  'snapshot' | 'parallel-snapshot' | 'streaming' | 'sink' | 'latency' | 'incremental-snapshot';

export interface PhaseFigures {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly cpuSeconds: number;
  readonly cpuMicrosPerEvent: number;
  readonly peakRssMib: number;
  readonly steadyRssMib: number;
}

export interface IdleFigures {
  readonly rssMib: number;
  /** CPU of the idle worker in percent of one core. */
  readonly cpuPercent: number;
}

export interface BenchContext {
  readonly root: string;
  readonly id: string;
  readonly rows: number;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly latencySeconds: number;
  readonly latencyEventsPerSecond: number;
  /** Every worker started, so the run's cleanup can stop those a failure left running. */
  readonly workers: Set<BenchWorker>;
  /** The benchmark's own open consumers, likewise: a live member keeps its group from being deleted. */
  readonly consumers: Set<Consumer>;
}

/** Names of one format's databases, topics, slots and groups; every one holds the run id. */
export function formatNames(id: string, format: Format) {
  const base = `siphon_bench_${id}_${format}`;
  const prefix = `bench_${id}_${format}`;
  return {
    source: base,
    target: `${base}_dst`,
    prefix,
    snapshotTopic: `${prefix}.public.items`,
    streamTopic: `${prefix}.public.changes`,
    snapshotSlot: `${base}_snap`,
    streamSlot: `${base}_stream`,
    limitSlot: `${base}_limit`,
    group: (role: string) => `siphon-bench-${id}-${format}-${role}`,
  };
}

export type FormatNames = ReturnType<typeof formatNames>;

const WRITE_TRANSACTION_ROWS = 1000;
const LATENCY_TRANSACTION_ROWS = 10;

export function converterConfig(format: Format): Record<string, string> {
  // Avro is the worker's default converter, with its embedded registry.
  if (format === 'avro') return {};
  return {
    'key.converter': 'json',
    'key.converter.schemas.enable': 'true',
    'value.converter': 'json',
    'value.converter.schemas.enable': 'true',
  };
}

export function sourceConfig(
  format: Format,
  names: FormatNames,
  table: string,
  slot: string,
  snapshotMode: string,
  topicPrefix = names.prefix,
) {
  return {
    'connector.class': 'postgres',
    'database.hostname': pgAddress.host,
    'database.port': String(pgAddress.port),
    'database.user': pgAddress.user,
    'database.dbname': names.source,
    'topic.prefix': topicPrefix,
    'table.include.list': `public.${table}`,
    'slot.name': slot,
    // The streaming connector is paused while the changes are written: its slot must stay (the run's cleanup drops it).
    'slot.drop.on.stop': String(snapshotMode !== 'no_data'),
    'publication.name': slot,
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': snapshotMode,
    ...converterConfig(format),
  };
}

export function phaseTimeoutMs(rows: number): number {
  return 120_000 + rows * 5;
}

export function figures(events: number, startedAt: number, endedAt: number, usage: PhaseUsage): PhaseFigures {
  // At least a millisecond: a tiny run may see every record at its first poll.
  const seconds = Math.max(endedAt - startedAt, 1) / 1000;
  return {
    events,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
    cpuSeconds: Number(usage.cpuSeconds.toFixed(2)),
    cpuMicrosPerEvent: Number(((usage.cpuSeconds / events) * 1e6).toFixed(1)),
    peakRssMib: Math.round(usage.peakRssMib),
    steadyRssMib: Math.round(usage.steadyRssMib),
  };
}

/** The worker with nothing to do: settled for 5 s, then sampled for 5 s. */
export async function idle(pid: number): Promise<IdleFigures> {
  await sleep(5000);
  const sampler = new ProcessSampler(pid);
  await sleep(5000);
  const usage = sampler.stop();
  return { rssMib: Math.round(usage.steadyRssMib), cpuPercent: Number((usage.cpuSeconds * 20).toFixed(1)) };
}

export async function startWorker(context: BenchContext, group: string): Promise<BenchWorker> {
  const names: WorkerNames = { group, schemasTopic: `siphon-bench-${context.id}-schemas` };
  const worker = await BenchWorker.start(context.root, names);
  context.workers.add(worker);
  return worker;
}

export async function stopWorker(context: BenchContext, worker: BenchWorker): Promise<void> {
  await worker.stop();
  context.workers.delete(worker);
}

export interface SnapshotResult {
  readonly snapshot: PhaseFigures;
  readonly idle: IdleFigures;
}

/** A source connector alone, from its creation until the topic holds every row of `items`. */
export async function runSnapshot(
  context: BenchContext,
  format: Format,
  names: FormatNames,
): Promise<SnapshotResult> {
  const worker = await startWorker(context, names.group('snapshot'));
  try {
    const connector = names.group('snapshot-source');
    const sampler = new ProcessSampler(worker.pid);
    const startedAt = performance.now();
    await worker.createConnector(
      connector,
      sourceConfig(format, names, 'items', names.snapshotSlot, 'initial'),
    );
    const endedAt = await waitUntil(
      'snapshot topic',
      () => topicRecords(context.admin, names.snapshotTopic),
      context.rows,
      phaseTimeoutMs(context.rows),
      () => worker.assertNotFailed(connector),
    );
    const snapshot = figures(context.rows, startedAt, endedAt, sampler.stop());
    return { snapshot, idle: await idle(worker.pid) };
  } finally {
    await stopWorker(context, worker);
  }
}

/** The topic prefix of the parallel snapshot run with `threads` threads. */
export function parallelSnapshotPrefix(names: FormatNames, threads: number): string {
  return `${names.prefix}_t${threads}`;
}

/** Issue 17's figures: the same snapshot with snapshot.max.threads 1, 2, 4, … */
export interface ParallelSnapshotResult {
  readonly runs: readonly (PhaseFigures & { readonly threads: number; readonly speedup: number })[];
}

/**
 * The snapshot of `items` once per thread count, each in a worker of its own with its own
 * slot and topics; the speed-up is each run's rate over the one-thread run's.
 */
export async function runParallelSnapshot(
  context: BenchContext,
  format: Format,
  names: FormatNames,
  threads: readonly number[],
): Promise<ParallelSnapshotResult> {
  const runs: (PhaseFigures & { threads: number; speedup: number })[] = [];
  for (const count of threads) {
    const worker = await startWorker(context, names.group(`parallel-${count}`));
    try {
      const connector = names.group(`parallel-source-${count}`);
      const prefix = parallelSnapshotPrefix(names, count);
      const sampler = new ProcessSampler(worker.pid);
      const startedAt = performance.now();
      await worker.createConnector(connector, {
        ...sourceConfig(format, names, 'items', `${names.snapshotSlot}_t${count}`, 'initial_only', prefix),
        'snapshot.max.threads': String(count),
      });
      const endedAt = await waitUntil(
        `snapshot topic with ${count} thread(s)`,
        () => topicRecords(context.admin, `${prefix}.public.items`),
        context.rows,
        phaseTimeoutMs(context.rows),
        () => worker.assertNotFailed(connector),
      );
      const run = figures(context.rows, startedAt, endedAt, sampler.stop());
      const single = runs[0]?.eventsPerSecond ?? run.eventsPerSecond;
      runs.push({ ...run, threads: count, speedup: Number((run.eventsPerSecond / single).toFixed(2)) });
    } finally {
      await stopWorker(context, worker);
    }
  }
  return { runs };
}

export interface StreamingResult {
  readonly streaming?: PhaseFigures & {
    readonly writeSeconds: number;
    readonly rowsPerTransaction: number;
    /** From resuming the connector to its first record in the topic: the task's restart, not in the rate (its CPU is). */
    readonly firstRecordSeconds: number;
  };
  readonly latency?: LatencyFigures & { readonly usage: PhaseFigures };
  readonly pgRecvlogical?: DecodeLimit;
  readonly sizes: RecordSizes;
  readonly idle: IdleFigures;
}

export async function slotActive(database: string, slot: string): Promise<number> {
  const result = await query(database, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [
    slot,
  ]);
  return result.rowCount ?? 0;
}

export async function keyDecoder(
  format: Format,
  worker: BenchWorker,
): Promise<(key: Buffer) => Promise<number>> {
  if (format === 'json') {
    return (key) =>
      Promise.resolve(Number((JSON.parse(key.toString('utf8')) as { payload: { id: number } }).payload.id));
  }
  const registry = new SchemaRegistry({ host: worker.registry });
  return async (key) => Number(((await registry.decode(key)) as { id: number | bigint }).id);
}

/**
 * One streaming source connector on `changes`: `rows` inserts committed while it is
 * paused, drained once it resumes (the streaming phase), then a steady rate for the
 * latency phase. A pgoutput slot created before the inserts is drained by pg_recvlogical
 * afterwards, with the worker stopped.
 */
export async function runStreaming(
  context: BenchContext,
  format: Format,
  names: FormatNames,
  phases: ReadonlySet<Phase>,
): Promise<StreamingResult> {
  const { rows, admin } = context;
  const worker = await startWorker(context, names.group('stream'));
  let result: Omit<StreamingResult, 'pgRecvlogical'>;
  let limit: { endLsn: string } | undefined;
  try {
    const connector = names.group('stream-source');
    await worker.createConnector(
      connector,
      sourceConfig(format, names, 'changes', names.streamSlot, 'no_data'),
    );
    await waitUntil(
      'streaming slot active',
      () => slotActive(names.source, names.streamSlot),
      1,
      120_000,
      () => worker.assertNotFailed(connector),
    );
    let streaming: StreamingResult['streaming'];
    if (phases.has('streaming')) {
      await query(names.source, `CREATE PUBLICATION ${names.limitSlot} FOR TABLE changes`);
      await query(names.source, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [
        names.limitSlot,
      ]);
      // Written while the connector is paused, so that one client's insert rate does not
      // bound the figure: the connector then drains committed changes, as pg_recvlogical does.
      await worker.setPaused(connector, true);
      await waitUntil(
        'streaming slot released',
        async () => 1 - (await slotActive(names.source, names.streamSlot)),
        1,
        60_000,
        () => worker.assertNotFailed(connector),
      );
      const writeStarted = performance.now();
      await writeChanges(names.source, 1, rows, WRITE_TRANSACTION_ROWS);
      const writeSeconds = (performance.now() - writeStarted) / 1000;
      limit = { endLsn: await currentLsn(names.source) };
      const sampler = new ProcessSampler(worker.pid);
      const startedAt = performance.now();
      let firstRecordAt = 0;
      await worker.setPaused(connector, false);
      const endedAt = await waitUntil(
        'streamed topic',
        async () => {
          const records = await topicRecords(admin, names.streamTopic);
          if (records > 0 && firstRecordAt === 0) firstRecordAt = performance.now();
          return records;
        },
        rows,
        phaseTimeoutMs(rows),
        () => worker.assertNotFailed(connector),
      );
      // The task's restart after the resume is not streaming: the rate runs from the first record.
      streaming = {
        ...figures(rows, firstRecordAt, endedAt, sampler.stop()),
        writeSeconds: Number(writeSeconds.toFixed(2)),
        rowsPerTransaction: WRITE_TRANSACTION_ROWS,
        firstRecordSeconds: Number(((firstRecordAt - startedAt) / 1000).toFixed(2)),
      };
    }
    let latency: StreamingResult['latency'];
    if (phases.has('latency')) {
      if (!phases.has('streaming')) {
        // The runtime creates the topic with its first record; the latency consumer needs it to exist.
        await writeChanges(names.source, rows + 1, 1, 1);
        await waitUntil(
          'warm-up record',
          () => topicRecords(admin, names.streamTopic),
          1,
          120_000,
          () => worker.assertNotFailed(connector),
        );
      }
      const sampler = new ProcessSampler(worker.pid);
      const startedAt = performance.now();
      const measured = await measureCommitLatency({
        kafka: context.kafka,
        consumers: context.consumers,
        admin,
        topic: names.streamTopic,
        groupId: names.group('latency-consumer'),
        database: names.source,
        firstId: rows + 2,
        eventsPerSecond: context.latencyEventsPerSecond,
        seconds: context.latencySeconds,
        rowsPerTransaction: LATENCY_TRANSACTION_ROWS,
        keyId: await keyDecoder(format, worker),
      });
      const events = measured.transactions * measured.rowsPerTransaction;
      latency = { ...measured, usage: figures(events, startedAt, performance.now(), sampler.stop()) };
    }
    const idleFigures = await idle(worker.pid);
    const sizes = await sampleRecordSizes(
      context,
      names.streamTopic,
      names.group('size-sample'),
      Math.min(2000, rows),
    );
    result = { streaming, latency, sizes, idle: idleFigures };
  } finally {
    await stopWorker(context, worker);
  }
  if (!limit) return result;
  const pgRecvlogical = await drainWithPgRecvlogical(
    names.source,
    names.limitSlot,
    names.limitSlot,
    limit.endLsn,
    rows,
  );
  await query(names.source, 'SELECT pg_drop_replication_slot($1)', [names.limitSlot]);
  return { ...result, pgRecvlogical };
}

export interface SinkResult {
  readonly sink: PhaseFigures;
  readonly idle: IdleFigures;
}

/** A sink connector alone, upserting the filled snapshot topic into a fresh database until it holds every row. */
export async function runSink(
  context: BenchContext,
  format: Format,
  names: FormatNames,
): Promise<SinkResult> {
  await query('postgres', `CREATE DATABASE ${names.target}`);
  const worker = await startWorker(context, names.group('sink'));
  try {
    const connector = names.group('sink');
    const sampler = new ProcessSampler(worker.pid);
    const startedAt = performance.now();
    await worker.createConnector(connector, {
      'connector.class': 'jdbc',
      topics: names.snapshotTopic,
      'connection.url': `jdbc:postgresql://${pgAddress.host}:${pgAddress.port}/${names.target}`,
      'connection.username': pgAddress.user,
      'insert.mode': 'upsert',
      'delete.enabled': 'true',
      'primary.key.mode': 'record_key',
      'auto.create': 'true',
      'table.name.format': '${source.table}',
      ...converterConfig(format),
    });
    const endedAt = await waitUntil(
      'sink target',
      () => countRows(names.target, 'items'),
      context.rows,
      phaseTimeoutMs(context.rows),
      () => worker.assertNotFailed(connector),
    );
    const sink = figures(context.rows, startedAt, endedAt, sampler.stop());
    return { sink, idle: await idle(worker.pid) };
  } finally {
    await stopWorker(context, worker);
  }
}
