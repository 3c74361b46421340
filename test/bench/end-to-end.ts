/**
 * Issue 14's benchmark: each phase on `--rows` rows (default 200000) in a worker process
 * of its own, per format (JsonConverter with schemas, Avro with the embedded registry),
 * next to the physical limits measured in the same run: pg_recvlogical draining a slot
 * over the same changes, and Kafka's ProducerPerformance at the same record size and
 * producer settings. Prints figures and one JSON line carrying all of them; asserts nothing.
 *
 *   npm run bench -- --rows 20000 --formats json --phases streaming,latency
 *   npm run bench -- --rows 1000000 --formats json --phases parallel-snapshot --snapshot-threads 1,2,4
 *   npm run bench -- --rows 1000000 --formats json --phases incremental-snapshot --incremental-rate 2000
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { checkLimitTools, runProducerPerformance, type ProducerLimit } from './limits.js';
import {
  formatNames,
  parallelSnapshotPrefix,
  runParallelSnapshot,
  runSink,
  runSnapshot,
  runStreaming,
  type BenchContext,
  type Format,
  type Phase,
  type ParallelSnapshotResult,
  type SinkResult,
  type SnapshotResult,
  type StreamingResult,
} from './phases.js';
import { printReport, type FormatReport } from './report.js';
import { sampleRecordSizes, topicPartitions } from './topic-probe.js';
import { createSource } from './workload.js';
import type { BenchWorker } from './bench-worker.js';
import { removeRun } from './cleanup.js';
import {
  incrementalSnapshotTopic,
  runIncrementalSnapshot,
  type IncrementalSnapshotResult,
} from './incremental-snapshot.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const allPhases: readonly Phase[] = [
  'snapshot',
  'parallel-snapshot',
  'streaming',
  'latency',
  'sink',
  'incremental-snapshot',
];
const allFormats: readonly Format[] = ['json', 'avro'];

function listOption<T extends string>(value: string, allowed: readonly T[], name: string): T[] {
  const picked = value.split(',').map((s) => s.trim());
  const unknown = picked.filter((p) => !allowed.includes(p as T));
  if (unknown.length)
    throw new Error(`--${name}: unknown ${unknown.join(', ')}; choose from ${allowed.join(', ')}`);
  return picked as T[];
}

const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    formats: { type: 'string', default: allFormats.join(',') },
    phases: { type: 'string', default: allPhases.join(',') },
    'latency-seconds': { type: 'string', default: '15' },
    'latency-rate': { type: 'string', default: '2000' },
    'snapshot-threads': { type: 'string', default: '1,2,4' },
    'incremental-rate': { type: 'string', default: '2000' },
  },
});
const rows = Number(options.rows);
if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows ${options.rows}: a positive whole number`);
const formats = listOption(options.formats, allFormats, 'formats');
const phases = new Set(listOption(options.phases, allPhases, 'phases'));
// The sink reads the snapshot's topic.
if (phases.has('sink')) phases.add('snapshot');
const snapshotThreads = options['snapshot-threads'].split(',').map((t) => {
  const threads = Number(t);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`--snapshot-threads ${t}: a positive whole number`);
  return threads;
});
const incrementalRate = Number(options['incremental-rate']);
if (!(incrementalRate > 0))
  throw new Error(`--incremental-rate ${options['incremental-rate']}: changes per second`);
const id = randomBytes(3).toString('hex');

async function runFormat(context: BenchContext, format: Format): Promise<FormatReport> {
  const names = formatNames(context.id, format);
  await createSource(names.source, rows);
  let snapshot: SnapshotResult | undefined;
  let streaming: StreamingResult | undefined;
  let sink: SinkResult | undefined;
  let parallelSnapshot: ParallelSnapshotResult | undefined;
  let incrementalSnapshot: IncrementalSnapshotResult | undefined;
  if (phases.has('snapshot')) {
    snapshot = await runSnapshot(context, format, names);
    progress(format, 'snapshot', snapshot.snapshot);
  }
  if (phases.has('parallel-snapshot')) {
    parallelSnapshot = await runParallelSnapshot(context, format, names, snapshotThreads);
    progress(format, 'parallel-snapshot', parallelSnapshot.runs);
  }
  if (phases.has('streaming') || phases.has('latency')) {
    streaming = await runStreaming(context, format, names, phases);
    if (streaming.streaming) progress(format, 'streaming', streaming.streaming);
    if (streaming.latency) progress(format, 'latency', streaming.latency);
  }
  if (phases.has('sink')) {
    sink = await runSink(context, format, names);
    progress(format, 'sink', sink.sink);
  }
  // Last: it updates, inserts and deletes rows of `items`, which the other phases read.
  if (phases.has('incremental-snapshot')) {
    incrementalSnapshot = await runIncrementalSnapshot(context, format, names, incrementalRate);
    progress(format, 'incremental-snapshot', incrementalSnapshot);
  }
  // The streamed values are what the streaming ratio is about; the snapshot's are the same columns with op=r.
  const snapshotTopic = snapshot
    ? names.snapshotTopic
    : parallelSnapshot
      ? `${parallelSnapshotPrefix(names, snapshotThreads[0]!)}.public.items`
      : incrementalSnapshotTopic(names);
  const sizes =
    streaming?.sizes ??
    (await sampleRecordSizes(context, snapshotTopic, names.group('size-sample'), Math.min(2000, rows)));
  const sizeTopic = streaming ? names.streamTopic : snapshotTopic;
  const producerTopic = `${names.prefix}_producer_performance`;
  await createTopicAndWait(context.admin, {
    topic: producerTopic,
    numPartitions: await topicPartitions(context.admin, sizeTopic),
  });
  const producerPerformance: ProducerLimit = await runProducerPerformance(
    root,
    producerTopic,
    rows,
    sizes.valueBytes,
  );
  return {
    format,
    snapshot,
    parallelSnapshot,
    streaming,
    sink,
    incrementalSnapshot,
    sizes,
    producerPerformance,
  };
}

/** A phase's figures on stderr as soon as it ends, so a long or failing run shows where it is. */
function progress(format: Format, phase: Phase, figures: object): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${format} ${phase}: ${JSON.stringify(figures)}`);
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  checkLimitTools(root);
  const kafka = new Kafka({
    clientId: `siphon-bench-${id}`,
    brokers: ['127.0.0.1:9092'],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const context: BenchContext = {
    root,
    id,
    rows,
    kafka,
    admin,
    latencySeconds: Number(options['latency-seconds']),
    latencyEventsPerSecond: Number(options['latency-rate']),
    workers: new Set<BenchWorker>(),
    consumers: new Set<Consumer>(),
  };
  const conditions = {
    started: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    loadavg_start: loadavg().map((l) => Number(l.toFixed(2))),
    loadavg_end: [] as number[],
  };
  console.log(
    `siphon bench ${id}: ${rows} rows, formats ${formats.join(',')}, phases ${[...phases].join(',')} ` +
      `(${conditions.cpus} CPUs, load ${conditions.loadavg_start.join(' ')})`,
  );
  // An interrupted run still removes what it created and stops its workers; once, even
  // when the interrupted phase then fails and reaches the finally below.
  let removal: Promise<void> | undefined;
  const removeOnce = () => (removal ??= removeRun(context));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: cleaning up`);
      void removeOnce().finally(() => process.exit(130));
    });
  }
  const reports: FormatReport[] = [];
  try {
    for (const format of formats) reports.push(await runFormat(context, format));
  } finally {
    await removeOnce();
    await admin.disconnect();
  }
  conditions.loadavg_end = loadavg().map((l) => Number(l.toFixed(2)));
  printReport({ rows, phases: [...phases], conditions, reports });
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
