// The JDBC sink tests' harness: real PostgreSQL and MariaDB targets in a fresh database per
// test run, records built with the record model, tasks started on the plugin test kit's
// sink context (whose reportBadRecord behaves as the runtime's errors.tolerance does: `all`
// keeps the record and its reason, the dead-letter path; `none` rejects and so fails the batch).
import pg from 'pg';
import mysql from 'mysql2/promise';
import { plugin } from '../../connectors/sink-jdbc/index.js';
import { parseConfig, describeErrors } from '../../runtime/config/config-parser.js';
import type { SinkTask } from '../../runtime/plugin/index.js';
import type { Schema, SinkRecord } from '../../runtime/record/index.js';
import { int64, optional, string, struct } from '../../runtime/record/index.js';
import { localStack } from '../support/local-stack.js';
import { FakeSinkTaskContext, uniqueName } from '../support/plugin-test-kit.js';

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

/** Parses the config the way the runtime does and starts a task on it. */
export async function startTask(
  raw: Record<string, string>,
  options: { tolerance?: 'all' | 'none'; name?: string } = {},
): Promise<{ task: SinkTask; context: FakeSinkTaskContext }> {
  const parsed = parseConfig(plugin.configDef, raw);
  if (parsed.errors.size > 0) throw new Error(describeErrors(parsed.errors).join('; '));
  const context = new FakeSinkTaskContext({
    connectorName: options.name ?? uniqueName('sink'),
    config: parsed.values,
    tolerance: options.tolerance ?? 'none',
  });
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
