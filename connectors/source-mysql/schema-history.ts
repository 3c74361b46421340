import type { DurableLog } from '../../runtime/plugin/index.js';
import { compareBinlogFiles } from './binlog-offset.js';
import type { TableCatalog } from './table-catalog.js';
import type { TableStructure } from './table-structure.js';

export interface HistoryPosition {
  readonly file: string;
  readonly pos: number;
  readonly gtids: string | null;
}

export interface TableChange {
  readonly type: 'CREATE' | 'ALTER' | 'DROP';
  readonly id: string;
  readonly table: TableStructure | null;
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

/**
 * The schema history: every DDL the connector read, with the table structures it left
 * behind, in a one-partition Kafka topic (Debezium's `schema.history.internal.kafka.topic`).
 * After a restart the catalog is rebuilt from the entries at or before the resume
 * position, so binlog rows written before a later ALTER decode with their own columns.
 *
 * An entry is JSON in Debezium's shape — `{source, position, ts_ms, databaseName, ddl,
 * tableChanges}` — whose `tableChanges[].table` holds Siphon's TableStructure. Applying an
 * entry sets the structures it lists, so entries written twice (a restart before the
 * offsets caught up) are harmless. A `snapshot` entry starts a new snapshot's catalog.
 *
 * The history's entries as JSON lines in the task's durable log (the runtime's Kafka
 * topic, so it inherits the worker's TLS and SASL settings).
 */
export class KafkaSchemaHistory {
  constructor(private readonly log: DurableLog) {}

  async start(): Promise<void> {
    await this.log.open();
  }

  /** Reads every entry up to the end of the topic as it is now, in order. */
  async readAll(): Promise<HistoryEntry[]> {
    return (await this.log.readAll()).map((line) => JSON.parse(line) as HistoryEntry);
  }

  /** Appends entries and waits until Kafka has them (acks=all). */
  async record(entries: readonly HistoryEntry[]): Promise<void> {
    await this.log.append(entries.map((entry) => JSON.stringify(entry)));
  }

  async stop(): Promise<void> {
    await this.log.close();
  }
}
