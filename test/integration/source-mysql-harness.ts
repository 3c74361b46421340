// The MySQL source tests' harness: tasks run on the plugin test kit's source context (a real
// bounded queue the tests drain, committed offsets from a map the tests control). Not a
// mock of MariaDB or Kafka: the task talks to the real servers.
import { randomInt } from 'node:crypto';
import mysql from 'mysql2/promise';
import { plugin } from '../../connectors/source-mysql/index.js';
import { connectedMetric } from '../../connectors/source-mysql/metrics.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import type { SourceOffset, SourceRecord, Struct } from '../../runtime/record/index.js';
import { localKafka, localStack } from '../support/local-stack.js';
import { FakeSourceTaskContext, uniqueName } from '../support/plugin-test-kit.js';
import { asPlainObjects } from '../support/plain-objects.js';

export const mariadbOptions = { ...localStack.mariadb, password: '', multipleStatements: true };

export function connectorConfig(
  database: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    'database.hostname': localStack.mariadb.host,
    'database.port': String(localStack.mariadb.port),
    'database.user': localStack.mariadb.user,
    'database.password': '',
    // A server id no other binlog reader on this server uses.
    'database.server.id': String(randomInt(100_000, 2_000_000_000)),
    'topic.prefix': database,
    'database.include.list': database,
    'schema.history.internal.kafka.topic': `${database}.history`,
    ...overrides,
  };
}

export interface RunningTask {
  readonly context: FakeSourceTaskContext;
  /** Resolves when run() settles: null after a clean stop, the error otherwise. */
  readonly done: Promise<Error | null>;
  /** Records until `predicate` holds for the collected list (or the timeout fails the test). */
  collect(predicate: (records: SourceRecord[]) => boolean, timeoutMs?: number): Promise<SourceRecord[]>;
  /** Resolves once the snapshot is done and the binlog connection is open (changes from now on are read). */
  streaming(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startTask(raw: Record<string, string>, committed?: Map<string, SourceOffset>): RunningTask {
  const { values, errors } = parseConfig(plugin.configDef, raw);
  if (errors.size > 0) throw new Error(`bad test config: ${JSON.stringify([...errors])}`);
  const context = new FakeSourceTaskContext({
    connectorName: raw['topic.prefix'] ?? 'test',
    config: values,
    queueCapacity: 500,
  });
  for (const [key, offset] of committed ?? []) context.committed.set(key, offset);
  const task = plugin.createTask();
  const done = task.run(context).then(
    () => null,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  let settled: Error | null | undefined;
  void done.then((result) => (settled = result));
  const collected: SourceRecord[] = [];
  return {
    context,
    done,
    async collect(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(collected)) {
        if (settled !== undefined) {
          throw new Error(
            `the task ended (${settled?.message ?? 'cleanly'}) after ${collected.length} records`,
          );
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`timed out after ${collected.length} records`);
        const timeout = AbortSignal.timeout(Math.min(remaining, 500));
        collected.push(...(await context.queue.take(1000, timeout)));
      }
      return collected;
    },
    async streaming(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const connected = await context.metrics.value(connectedMetric.name, {
          connector: context.connectorName,
        });
        if (connected === 1) return;
        if (settled !== undefined)
          throw new Error(`the task ended (${settled?.message ?? 'cleanly'}) before streaming`);
        if (Date.now() > deadline) throw new Error('the binlog reader did not connect in time');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      context.stop();
      await done;
    },
  };
}

/** The envelope fields of a change record, as plain objects (struct values are prototype-free). */
export function envelope(record: SourceRecord): {
  op: string;
  before: Struct | null;
  after: Struct | null;
  source: Struct;
} {
  return asPlainObjects(record.value) as {
    op: string;
    before: Struct | null;
    after: Struct | null;
    source: Struct;
  };
}

export function changeRecords(records: readonly SourceRecord[], topic: string): SourceRecord[] {
  return records.filter((record) => record.topic === topic && record.value !== null);
}

export class TestDatabase {
  readonly name = uniqueName('siphon_t_my');
  connection!: mysql.Connection;

  async create(): Promise<void> {
    this.connection = await mysql.createConnection(mariadbOptions);
    await this.connection.query(`CREATE DATABASE ${this.name}`);
  }

  query(sql: string, params?: unknown[]): Promise<unknown> {
    return this.connection.query(sql, params);
  }

  async drop(historyTopics: readonly string[] = []): Promise<void> {
    await this.connection.query(`DROP DATABASE IF EXISTS ${this.name}`);
    await this.connection.end();
    await deleteTopics(historyTopics);
  }
}

export async function deleteTopics(topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = localKafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = [...new Set(topics)].filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}
