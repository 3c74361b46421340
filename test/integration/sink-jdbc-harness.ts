// A harness of the SinkTaskContext contract for the JDBC sink tests: real PostgreSQL and
// MariaDB targets in a fresh database per test run, records built with the record model.
// reportBadRecord behaves as the runtime's errors.tolerance does: `all` keeps the record
// and its reason (the dead-letter path), `none` rejects and so fails the batch.
import pg from 'pg';
import mysql from 'mysql2/promise';
import { plugin } from '../../connectors/sink-jdbc/index.js';
import { parseConfig, describeErrors } from '../../runtime/config/config-parser.js';
import {
  topicPartitionKey,
  type SinkTask,
  type SinkTaskContext,
  type TaskLogger,
  type TopicPartition,
} from '../../runtime/plugin/index.js';
import type { Schema, SinkRecord } from '../../runtime/record/index.js';
import { int64, optional, string, struct } from '../../runtime/record/index.js';
import { localStack } from '../support/local-stack.js';
import { uniqueName } from '../support/unique-name.js';

export type Target = 'postgresql' | 'mariadb';
export const TARGETS: readonly Target[] = ['postgresql', 'mariadb'];

export interface TestDatabase {
  readonly target: Target;
  readonly name: string;
  /** jdbc:postgresql://… or jdbc:mariadb://… for this database. */
  readonly url: string;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

export async function createDatabase(target: Target): Promise<TestDatabase> {
  const name = uniqueName('siphon_t');
  if (target === 'postgresql') {
    const { host, port, user } = localStack.postgres;
    const admin = new pg.Client({ host, port, user, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const client = new pg.Client({ host, port, user, database: name });
    await client.connect();
    return {
      target,
      name,
      url: `jdbc:postgresql://${host}:${port}/${name}?user=${user}`,
      query: async (sql, params) => (await client.query(sql, params)).rows as Record<string, unknown>[],
      drop: async () => {
        await client.end();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const { host, port, user } = localStack.mariadb;
  const connection = await mysql.createConnection({
    host,
    port,
    user,
    password: '',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  await connection.query(`CREATE DATABASE ${name}`);
  await connection.query(`USE ${name}`);
  await connection.query("SET time_zone = '+00:00'");
  return {
    target,
    name,
    url: `jdbc:mariadb://${host}:${port}/${name}?user=${user}`,
    query: async (sql, params) => {
      const [rows] = await connection.query(sql, params);
      return rows as Record<string, unknown>[];
    },
    drop: async () => {
      await connection.query(`DROP DATABASE IF EXISTS ${name}`);
      await connection.end();
    },
  };
}

export const quietLogger: TaskLogger = {
  info: () => undefined,
  debug: () => undefined,
  warn: (message, fields) => {
    if (process.env.SIPHON_TEST_VERBOSE) console.warn(message, fields);
  },
  error: (message, fields) => console.error(message, fields),
};

export class HarnessContext implements SinkTaskContext {
  readonly taskId = 0;
  readonly logger: TaskLogger;
  readonly badRecords: { record: SinkRecord; error: Error }[] = [];
  private readonly abort = new AbortController();
  readonly signal = this.abort.signal;

  constructor(
    readonly connectorName: string,
    readonly config: SinkTaskContext['config'],
    private readonly tolerance: 'all' | 'none',
    logger: TaskLogger = quietLogger,
  ) {
    this.logger = logger;
  }

  /** End offsets per partition as the runtime's consumer would report them (set by the tests). */
  readonly endOffsets = new Map<string, bigint>();

  /** The last progress the task reported, as the runtime shows it in the task's status. */
  progress: Readonly<Record<string, string | number>> = {};

  reportProgress(progress: Readonly<Record<string, string | number>>): void {
    this.progress = { ...progress };
  }

  /** The in-task retries the task reported, as the runtime would show them in the status. */
  readonly retries: { error: unknown; attempt: number }[] = [];

  reportRetrying(error: unknown, attempt: number): void {
    this.retries.push({ error, attempt });
  }

  endOffset(partition: TopicPartition): bigint | undefined {
    return this.endOffsets.get(topicPartitionKey(partition));
  }

  async reportBadRecord(record: SinkRecord, error: Error): Promise<void> {
    if (this.tolerance === 'none') throw error;
    this.badRecords.push({ record, error });
  }

  stop(): void {
    this.abort.abort();
  }
}

/** Parses the config the way the runtime does and starts a task on it. */
export async function startTask(
  raw: Record<string, string>,
  options: { tolerance?: 'all' | 'none'; name?: string } = {},
): Promise<{ task: SinkTask; context: HarnessContext }> {
  const parsed = parseConfig(plugin.configDef, raw);
  if (parsed.errors.size > 0) throw new Error(describeErrors(parsed.errors).join('; '));
  const context = new HarnessContext(
    options.name ?? uniqueName('sink'),
    parsed.values,
    options.tolerance ?? 'none',
  );
  const task = plugin.createTask();
  await task.start(context);
  return { task, context };
}

// ---- records -------------------------------------------------------------------------

export const sourceSchema = struct('io.debezium.connector.postgresql.Source', [
  ['version', string()],
  ['connector', string()],
  ['name', string()],
  ['ts_ms', int64()],
  ['db', string()],
  ['schema', string()],
  ['table', string()],
]);

export function envelopeSchemaFor(rowSchema: Schema): Schema {
  return struct(`${rowSchema.name?.replace(/\.Value$/, '') ?? 'row'}.Envelope`, [
    ['before', optional(rowSchema)],
    ['after', optional(rowSchema)],
    ['source', sourceSchema],
    ['op', string()],
    ['ts_ms', optional(int64())],
  ]);
}

/** Builds Debezium change events for one table, with increasing offsets per partition. */
export class EventFactory {
  private readonly offsets = new Map<number, bigint>();
  readonly envelopeSchema: Schema;

  constructor(
    readonly topic: string,
    readonly keySchema: Schema,
    readonly rowSchema: Schema,
    readonly sourceTable = 'orders',
  ) {
    this.envelopeSchema = envelopeSchemaFor(rowSchema);
  }

  private next(partition: number): bigint {
    const offset = this.offsets.get(partition) ?? 0n;
    this.offsets.set(partition, offset + 1n);
    return offset;
  }

  event(
    op: 'c' | 'u' | 'd' | 'r' | 't' | 'm',
    key: Record<string, unknown> | null,
    before: unknown,
    after: unknown,
    partition = 0,
  ): SinkRecord {
    return {
      topic: this.topic,
      kafkaPartition: partition,
      kafkaOffset: this.next(partition),
      keySchema: key === null ? null : this.keySchema,
      key,
      valueSchema: this.envelopeSchema,
      value: {
        before,
        after,
        source: {
          version: '0.1.0',
          connector: 'postgresql',
          name: 'srv',
          ts_ms: BigInt(Date.now() - 1500),
          db: 'shop',
          schema: 'public',
          table: this.sourceTable,
        },
        op,
        ts_ms: BigInt(Date.now()),
      },
      timestamp: Date.now(),
    };
  }

  tombstone(key: Record<string, unknown>, partition = 0): SinkRecord {
    return {
      topic: this.topic,
      kafkaPartition: partition,
      kafkaOffset: this.next(partition),
      keySchema: this.keySchema,
      key,
      valueSchema: null,
      value: null,
    };
  }
}
