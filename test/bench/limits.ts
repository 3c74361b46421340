import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PRODUCE_REQUEST_MAX_BYTES } from '../../runtime/worker/produce-requests.js';
import { pgAddress } from './workload.js';

/**
 * The physical limits Siphon's figures are divided by: PostgreSQL decoding a slot with
 * no consumer work (pg_recvlogical), and the broker taking records from Kafka's own Java
 * producer (ProducerPerformance) at Siphon's record size and producer settings.
 */

/** Says what is missing before a run spends minutes on the phases; the limits are part of every run. */
export function checkLimitTools(root: string): void {
  if (spawnSync('pg_recvlogical', ['--version']).status !== 0) {
    throw new Error('pg_recvlogical not found: install postgresql-client');
  }
  const libs = join(root, '.cache/kafka-libs');
  const jars = existsSync(libs) ? readdirSync(libs) : [];
  if (!jars.some((jar) => /^kafka-tools-\d/.test(jar))) {
    throw new Error(
      'kafka-tools is not in .cache/kafka-libs: run bash deploy/local/stack.sh up (npm run bench does)',
    );
  }
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: number;
  readonly seconds: number;
}

function runTool(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  keepStdout: boolean,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (keepStdout) stdout += chunk.toString('utf8');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, stdoutBytes, seconds: (performance.now() - started) / 1000 });
    });
  });
}

export interface DecodeLimit {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly mibPerSecond: number;
}

/**
 * Drains `slot` (pgoutput, created before the changes were written) up to `endLsn` with
 * pg_recvlogical, writing the protocol's bytes to a counter: the rate at which PostgreSQL
 * alone decodes and sends those changes.
 */
export async function drainWithPgRecvlogical(
  database: string,
  slot: string,
  publication: string,
  endLsn: string,
  events: number,
): Promise<DecodeLimit> {
  const result = await runTool(
    'pg_recvlogical',
    [
      ...['-h', pgAddress.host, '-p', String(pgAddress.port), '-U', pgAddress.user, '-d', database],
      ...['--start', '-S', slot, '--endpos', endLsn, '--no-loop', '-F', '0', '-f', '-'],
      ...['-o', 'proto_version=1', '-o', `publication_names=${publication}`],
    ],
    300_000,
    false,
  );
  if (result.code !== 0) throw new Error(`pg_recvlogical exited with ${result.code}: ${result.stderr}`);
  return {
    events,
    seconds: Number(result.seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / result.seconds),
    mibPerSecond: Number((result.stdoutBytes / 1048576 / result.seconds).toFixed(1)),
  };
}

export interface ProducerLimit {
  readonly records: number;
  readonly recordBytes: number;
  readonly recordsPerSecond: number;
  readonly mibPerSecond: number;
  readonly avgLatencyMs: number;
  readonly producerProps: readonly string[];
}

/**
 * Siphon's data producer, spelled in the Java client's terms: idempotent, acks=all, five
 * requests in flight, no compression (the worker's default), and batches of up to one
 * produce request's size, since kafkajs sends a whole queue batch as one record batch.
 */
export const siphonProducerProps = [
  'acks=all',
  'enable.idempotence=true',
  'max.in.flight.requests.per.connection=5',
  'compression.type=none',
  'linger.ms=0',
  `batch.size=${PRODUCE_REQUEST_MAX_BYTES}`,
] as const;

/** Kafka's ProducerPerformance (kafka-tools, fetched with the broker's jars into .cache/kafka-libs). */
export async function runProducerPerformance(
  root: string,
  topic: string,
  records: number,
  recordBytes: number,
): Promise<ProducerLimit> {
  const producerProps = ['bootstrap.servers=127.0.0.1:9092', ...siphonProducerProps];
  const result = await runTool(
    'java',
    [
      '-Xmx512m',
      `-Dlog4j.configuration=file:${join(root, 'deploy/local/kafka-log4j.properties')}`,
      '-cp',
      join(root, '.cache/kafka-libs/*'),
      'org.apache.kafka.tools.ProducerPerformance',
      ...['--topic', topic, '--num-records', String(records), '--record-size', String(recordBytes)],
      ...['--throughput', '-1', '--producer-props', ...producerProps],
    ],
    300_000,
    true,
  );
  // The last progress line is the summary: "N records sent, R records/sec (M MB/sec), L ms avg latency, …".
  const summary =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(
      result.stdout
        .split('\n')
        .filter((line) => line.includes('records sent'))
        .at(-1) ?? '',
    );
  if (result.code !== 0 || !summary) {
    throw new Error(
      `ProducerPerformance exited with ${result.code}: ${result.stderr || result.stdout.slice(-2000)}`,
    );
  }
  return {
    records: Number(summary[1]),
    recordBytes,
    recordsPerSecond: Math.round(Number(summary[2])),
    // ProducerPerformance's "MB" is 1024 * 1024 bytes.
    mibPerSecond: Number(summary[3]),
    avgLatencyMs: Number(summary[4]),
    producerProps: siphonProducerProps,
  };
}
