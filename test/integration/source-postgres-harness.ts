import pg from 'pg';
import { plugin } from '../../connectors/source-postgres/index.js';
import { parseConfig, describeErrors } from '../../runtime/config/config-parser.js';
import type { SourceTask } from '../../runtime/plugin/index.js';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { asPlainObjects } from '../support/plain-objects.js';
import { FakeSourceTaskContext, uniqueName } from '../support/plugin-test-kit.js';

/**
 * The PostgreSQL source tests' harness: tasks run on the plugin test kit's source context
 * (a real bounded queue the test drains, committed offsets in a map the test controls;
 * commit = what the runtime does after Kafka acknowledged). Everything else is real PostgreSQL.
 */

export const pgAdmin = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

/** A fresh database siphon_t_<random>; `drop` removes it and any slot in it. */
export async function createTestDatabase(): Promise<{
  name: string;
  client: pg.Client;
  drop(): Promise<void>;
}> {
  const name = uniqueName('siphon_t');
  const admin = new pg.Client(pgAdmin);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const client = new pg.Client({ ...pgAdmin, database: name });
  client.on('error', () => undefined); // dropping the database terminates it
  await client.connect();
  return {
    name,
    client,
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client(pgAdmin);
      await a.connect();
      try {
        for (let attempt = 0; attempt < 20; attempt++) {
          const slots = await a.query<{ slot_name: string; active_pid: number | null }>(
            'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1',
            [name],
          );
          if (slots.rowCount === 0) break;
          for (const s of slots.rows) {
            if (s.active_pid !== null) await a.query('SELECT pg_terminate_backend($1)', [s.active_pid]);
            await a.query('SELECT pg_drop_replication_slot($1)', [s.slot_name]).catch(() => undefined);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export function connectorConfig(
  database: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const slot = uniqueName('slot');
  return {
    'database.hostname': '127.0.0.1',
    'database.port': '5432',
    'database.user': 'postgres',
    'database.dbname': database,
    'topic.prefix': 'it',
    'slot.name': slot,
    'publication.name': `pub_${slot}`,
    'status.update.interval.ms': '1000',
    ...overrides,
  };
}

export class TaskRun {
  readonly context: FakeSourceTaskContext;
  readonly task: SourceTask;
  readonly done: Promise<void>;
  failure: Error | null = null;

  constructor(
    raw: Record<string, string>,
    /** Committed offsets by partition key; shared across runs to model a restart. */
    readonly offsets: Map<string, SourceOffset>,
    queueCapacity = 8192,
  ) {
    const parsed = parseConfig(plugin.configDef, raw);
    if (parsed.errors.size > 0) throw new Error(describeErrors(parsed.errors).join('; '));
    this.context = new FakeSourceTaskContext({
      connectorName: 'pg-it',
      // The runtime merges its own keys into every task config; errors.tolerance is one a task reads.
      config: { ...parsed.values, 'errors.tolerance': raw['errors.tolerance'] ?? 'none' },
      committed: offsets,
      queueCapacity,
    });
    this.task = plugin.createTask();
    this.done = this.task.run(this.context).catch((error: Error) => {
      this.failure = error;
    });
  }

  get queue(): FakeSourceTaskContext['queue'] {
    return this.context.queue;
  }

  /** The last progress the task reported. */
  get progress(): Readonly<Record<string, string | number>> {
    return this.context.progress;
  }

  /** Takes records until `until` returns true or `timeoutMs` passes; commits them when `commit`. */
  async drain(
    until: (all: SourceRecord[]) => boolean,
    { timeoutMs = 30_000, commit = true } = {},
  ): Promise<SourceRecord[]> {
    const taken: SourceRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!until(taken)) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`drain timed out after ${taken.length} records`);
      const batch = await this.queue.take(1024, AbortSignal.timeout(200));
      taken.push(...batch);
      if (commit && batch.length > 0) await this.commit(batch);
    }
    return taken;
  }

  /** Takes (and commits) whatever arrives within `ms`. */
  async drainFor(ms: number): Promise<SourceRecord[]> {
    const end = Date.now() + ms;
    return this.drain(() => Date.now() >= end, { timeoutMs: ms + 5000 });
  }

  /** What the runtime does once records are in Kafka: store offsets, then tell the task. */
  async commit(records: readonly SourceRecord[]): Promise<void> {
    const last = records[records.length - 1];
    if (last === undefined) return;
    this.offsets.set(JSON.stringify(last.sourcePartition), last.sourceOffset);
    await this.task.offsetsCommitted([{ partition: last.sourcePartition, offset: last.sourceOffset }]);
  }

  async stop(): Promise<void> {
    this.context.stop();
    await this.done;
  }
}

/** The change events (not tombstones, heartbeats or transaction records) of a topic. */
export async function connectTo(database: string): Promise<pg.Client> {
  const client = new pg.Client({ ...pgAdmin, database });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export function changeEvents(records: readonly SourceRecord[], topic: string): Record<string, unknown>[] {
  return records
    .filter((r) => r.topic === topic && r.value !== null)
    .map((r) => asPlainObjects(r.value) as Record<string, unknown>);
}
