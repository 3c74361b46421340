import type { ProducerLimit } from './limits.js';
import type {
  Format,
  ParallelSnapshotResult,
  PhaseFigures,
  SinkResult,
  SnapshotResult,
  StreamingResult,
} from './phases.js';
import type { IncrementalSnapshotResult } from './incremental-snapshot.js';
import type { RecordSizes } from './topic-probe.js';

export interface FormatReport {
  readonly format: Format;
  readonly snapshot?: SnapshotResult;
  readonly parallelSnapshot?: ParallelSnapshotResult;
  readonly streaming?: StreamingResult;
  readonly sink?: SinkResult;
  readonly incrementalSnapshot?: IncrementalSnapshotResult;
  readonly sizes: RecordSizes;
  readonly producerPerformance: ProducerLimit;
}

export interface BenchReport {
  readonly rows: number;
  readonly phases: readonly string[];
  readonly conditions: Record<string, unknown>;
  readonly reports: readonly FormatReport[];
}

/** Issue 14's targets, printed next to the figures for reading them; nothing is asserted. */
const targets: Record<Format, { snapshot: number; streaming: number; sink: number }> = {
  json: { snapshot: 20_000, streaming: 20_000, sink: 25_000 },
  avro: { snapshot: 50_000, streaming: 40_000, sink: 35_000 },
};

function ratio(numerator: number, denominator: number | undefined): number | undefined {
  return denominator ? Number((numerator / denominator).toFixed(3)) : undefined;
}

function ratios(report: FormatReport) {
  const pp = report.producerPerformance.recordsPerSecond;
  const streaming = report.streaming?.streaming?.eventsPerSecond;
  return {
    streamingVsPgRecvlogical:
      streaming === undefined
        ? undefined
        : ratio(streaming, report.streaming?.pgRecvlogical?.eventsPerSecond),
    streamingVsProducerPerformance: streaming === undefined ? undefined : ratio(streaming, pp),
    snapshotVsProducerPerformance:
      report.snapshot === undefined ? undefined : ratio(report.snapshot.snapshot.eventsPerSecond, pp),
  };
}

function phaseLine(name: string, unit: string, f: PhaseFigures, extra: string): string {
  return (
    `  ${name.padEnd(10)} ${f.events} ${unit} in ${f.seconds} s → ${f.eventsPerSecond} ${unit}/s, ` +
    `CPU ${f.cpuMicrosPerEvent} µs/event, RSS peak ${f.peakRssMib} / steady ${f.steadyRssMib} MiB${extra}`
  );
}

const times = (value: number | undefined) => (value === undefined ? 'n/a' : `${value}×`);

function printFormat(report: FormatReport): void {
  const target = targets[report.format];
  const r = ratios(report);
  const pp = report.producerPerformance;
  console.log(
    `\n${report.format}: records of ${report.sizes.keyBytes} B key + ${report.sizes.valueBytes} B value on average`,
  );
  if (report.snapshot) {
    const s = report.snapshot.snapshot;
    console.log(phaseLine('snapshot', 'rows', s, ''));
    console.log(
      `  ${''.padEnd(10)} ${times(r.snapshotVsProducerPerformance)} ProducerPerformance (target ≥ ${target.snapshot} rows/s)`,
    );
  }
  for (const run of report.parallelSnapshot?.runs ?? []) {
    console.log(
      phaseLine(
        `${run.threads} thread${run.threads === 1 ? '' : 's'}`,
        'rows',
        run,
        `, ${run.speedup}× one thread (target ≥ 1.7× with 2+ threads)`,
      ),
    );
  }
  const streamed = report.streaming?.streaming;
  if (streamed) {
    console.log(
      phaseLine(
        'streaming',
        'events',
        streamed,
        ` (written paused in ${streamed.writeSeconds} s; first record ${streamed.firstRecordSeconds} s after resume)`,
      ),
    );
    console.log(
      `  ${''.padEnd(10)} ${times(r.streamingVsPgRecvlogical)} pg_recvlogical, ${times(r.streamingVsProducerPerformance)} ` +
        `ProducerPerformance (target ≥ ${target.streaming} ev/s and ≥ 0.8× ProducerPerformance)`,
    );
  }
  const latency = report.streaming?.latency;
  if (latency) {
    console.log(
      `  ${'latency'.padEnd(10)} commit → Kafka at ${latency.achievedEventsPerSecond} ev/s ` +
        `(${latency.transactions} transactions of ${latency.rowsPerTransaction}): p50 ${latency.p50Ms} ms, ` +
        `p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms, ${latency.missing} missing (target p99 ≤ 50 ms)`,
    );
    console.log(
      `  ${''.padEnd(10)} from PostgreSQL's commit timestamp (the record's timestamp): ` +
        `p50 ${latency.fromServerCommitP50Ms} ms, p99 ${latency.fromServerCommitP99Ms} ms`,
    );
    console.log(
      `  ${''.padEnd(10)} CPU ${latency.usage.cpuMicrosPerEvent} µs/event, ` +
        `RSS peak ${latency.usage.peakRssMib} / steady ${latency.usage.steadyRssMib} MiB`,
    );
  }
  if (report.sink)
    console.log(phaseLine('sink', 'rows', report.sink.sink, ` (target ≥ ${target.sink} rows/s)`));
  const incremental = report.incrementalSnapshot;
  if (incremental) {
    const { snapshot: s, changes: c, lag, lagBefore: before, check } = incremental;
    console.log(
      phaseLine(
        'increment.',
        'rows',
        s,
        ` (incremental: ${s.readRecords} reads, rows_done last polled from the status ${s.rowsDoneReported}; ` +
          `RSS ${incremental.rssBeforeMib} MiB before; CPU and RSS include the streaming)`,
      ),
    );
    console.log(
      `  ${''.padEnd(10)} while ${c.duringSnapshotPerSecond} changes/s streamed (target ${c.targetPerSecond}, ` +
        `${c.achievedPerSecond} over the writer's ${c.writeSeconds} s, ${c.changesPerTransaction} per transaction): ` +
        `commit → Kafka p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms over ${lag.transactions} ` +
        `transactions, ${lag.missing} missing; before the snapshot p50 ${before.p50Ms} ms, p99 ${before.p99Ms} ms`,
    );
    console.log(
      `  ${''.padEnd(10)} check ${check.ok ? 'ok' : 'FAILED'}: ${check.keysRead} keys read, ${check.tableRows} rows at the end, ` +
        `${check.notRead} not read (${check.notReadWithoutChange} of them without a streamed change), ` +
        `${check.mismatched} keys where the topic's events applied in order differ from the table`,
    );
  }
  const idle = [
    report.snapshot &&
      `snapshot worker ${report.snapshot.idle.rssMib} MiB (${report.snapshot.idle.cpuPercent} % CPU)`,
    report.streaming &&
      `streaming worker ${report.streaming.idle.rssMib} MiB (${report.streaming.idle.cpuPercent} % CPU)`,
    report.sink && `sink worker ${report.sink.idle.rssMib} MiB (${report.sink.idle.cpuPercent} % CPU)`,
  ].filter(Boolean);
  if (idle.length)
    console.log(`  ${'idle'.padEnd(10)} ${idle.join(', ')} (targets: idle ≤ 100 MiB, under load ≤ 200 MiB)`);
  const decode = report.streaming?.pgRecvlogical;
  if (decode) {
    console.log(
      `  ${'limit'.padEnd(10)} pg_recvlogical drained the same ${decode.events} changes in ${decode.seconds} s → ` +
        `${decode.eventsPerSecond} ev/s (${decode.mibPerSecond} MiB/s of pgoutput)`,
    );
  }
  console.log(
    `  ${'limit'.padEnd(10)} ProducerPerformance ${pp.records} × ${pp.recordBytes} B → ${pp.recordsPerSecond} records/s ` +
      `(${pp.mibPerSecond} MiB/s, ${pp.avgLatencyMs} ms avg latency; ${pp.producerProps.join(' ')})`,
  );
}

function snakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCase(v)]),
  );
}

export function printReport(bench: BenchReport): void {
  for (const report of bench.reports) printFormat(report);
  const json = {
    benchmark:
      'siphon issues 14 and 17: snapshot, parallel and incremental snapshots, streaming, sink, commit latency, next to pg_recvlogical and ProducerPerformance',
    rows: bench.rows,
    phases: bench.phases,
    conditions: bench.conditions,
    formats: Object.fromEntries(
      bench.reports.map((r) => [r.format, { ...r, format: undefined, ratios: ratios(r) }]),
    ),
  };
  console.log(JSON.stringify(snakeCase(json)));
}
