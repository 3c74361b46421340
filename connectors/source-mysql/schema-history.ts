import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { createTopicAndWait, type TaskLogger } from '../../runtime/plugin/index.js';
import { compareBinlogFiles } from './binlog-offset.js';
import type { TableCatalog } from './table-catalog.js';
import type { TableSchema } from './table-schema.js';

/**
 * The schema history: every DDL the connector read, with the table structures it left
 * behind, in a one-partition Kafka topic (Debezium's `schema.history.internal.kafka.topic`).
 * After a restart the catalog is rebuilt from the entries at or before the resume
 * position, so binlog rows written before a later ALTER decode with their own columns.
 *
 * An entry is JSON in Debezium's shape — `{source, position, ts_ms, databaseName, ddl,
 * tableChanges}` — whose `tableChanges[].table` holds Siphon's TableSchema. Applying an
 * entry sets the structures it lists, so entries written twice (a restart before the
 * offsets caught up) are harmless. A `snapshot` entry starts a new snapshot's catalog.
 */
export interface HistoryPosition {
  readonly file: string;
  readonly pos: number;
  readonly gtids: string | null;
}

export interface TableChange {
  readonly type: 'CREATE' | 'ALTER' | 'DROP';
  readonly id: string;
  readonly table: TableSchema | null;
}

export interface HistoryEntry {
  readonly source: { readonly server: string };
  readonly position: HistoryPosition;
  readonly ts_ms: number;
  readonly databaseName: string;
  readonly ddl: string;
  readonly tableChanges: readonly TableChange[];
  /** Set on the first entry of a snapshot: entries before it describe an older catalog. */
  readonly snapshot?: true;
}

export function positionAtOrBefore(entry: HistoryPosition, resume: { file: string; pos: number }): boolean {
  const files = compareBinlogFiles(entry.file, resume.file);
  return files < 0 || (files === 0 && entry.pos <= resume.pos);
}

/** Rebuilds `catalog` from entries at or before `resume`; returns how many were applied. */
export function applyHistory(
  catalog: TableCatalog,
  entries: Iterable<HistoryEntry>,
  resume: { file: string; pos: number },
): number {
  let applied = 0;
  for (const entry of entries) {
    if (!positionAtOrBefore(entry.position, resume)) continue;
    if (entry.snapshot) for (const table of catalog.all()) catalog.remove(table.db, table.table);
    for (const change of entry.tableChanges) {
      if (change.table === null) {
        const [db, table] = splitId(change.id);
        catalog.remove(db, table);
      } else {
        catalog.put(change.table);
      }
    }
    applied++;
  }
  return applied;
}

export function tableId(db: string, table: string): string {
  return JSON.stringify([db, table]);
}

function splitId(id: string): [string, string] {
  const parsed = JSON.parse(id) as [string, string];
  return parsed;
}

export class KafkaSchemaHistory {
  private readonly kafka: Kafka;
  private admin: Admin | null = null;
  private producer: Producer | null = null;

  constructor(
    private readonly topic: string,
    brokers: readonly string[],
    private readonly logger: TaskLogger,
  ) {
    this.kafka = new Kafka({
      clientId: `siphon-schema-history-${topic}`,
      brokers: [...brokers],
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }) => {
          const { message, ...fields } = log;
          if (level <= logLevel.WARN) logger.warn(`schema history kafka: ${message}`, fields);
        },
    });
  }

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    if ((await this.admin.listTopics()).includes(this.topic)) return;
    // Not kafkajs's createTopics({ waitForLeaders }): it rejects on KRaft's transient
    // UNKNOWN_TOPIC_OR_PARTITION right after the creation, which failed the task.
    const created = await createTopicAndWait(this.admin, {
      topic: this.topic,
      numPartitions: 1,
      // The history must outlive every binlog position a connector may resume from.
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: '-1' },
        { name: 'retention.bytes', value: '-1' },
      ],
    });
    if (created) this.logger.info('created the schema history topic', { topic: this.topic });
  }

  /** True when the topic holds at least one entry. */
  async exists(): Promise<boolean> {
    const offsets = await this.requireAdmin().fetchTopicOffsets(this.topic);
    return offsets.some((p) => BigInt(p.high) > BigInt(p.low));
  }

  /** Reads every entry up to the end of the topic as it is now, in order. */
  async readAll(): Promise<HistoryEntry[]> {
    const admin = this.requireAdmin();
    const ends = await admin.fetchTopicOffsets(this.topic);
    const end = ends.find((p) => p.partition === 0);
    if (!end || BigInt(end.high) <= BigInt(end.low)) return [];
    const high = BigInt(end.high);
    const entries: HistoryEntry[] = [];
    // A throwaway group: history reads never commit offsets.
    const groupId = `siphon-schema-history-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              if (message.value) entries.push(JSON.parse(message.value.toString('utf8')) as HistoryEntry);
              if (BigInt(message.offset) + 1n >= high) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      // Best effort: the throwaway group committed nothing and is of no further use.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return entries;
  }

  /** Appends entries and waits until Kafka has them (acks=all). */
  async record(entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (!this.producer) throw new Error('the schema history is not started');
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: entries.map((entry) => ({ value: JSON.stringify(entry) })),
    });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    await this.admin?.disconnect();
    this.producer = null;
    this.admin = null;
  }

  private requireAdmin(): Admin {
    if (!this.admin) throw new Error('the schema history is not started');
    return this.admin;
  }
}
