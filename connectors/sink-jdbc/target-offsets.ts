import type { TopicPartition } from '../../runtime/plugin/index.js';
import { topicPartitionKey } from '../../runtime/plugin/index.js';
import { int32, int64, string } from '../../runtime/record/index.js';
import type { SqlConnection, SqlDialect } from './dialect.js';
import type { Column } from './row-change.js';
import { createTableStatement, insertStatement, type Statement } from './statements.js';
import type { TableRef } from './table-name.js';

const COLUMNS = {
  connector: 'connector_name',
  topic: 'topic',
  partition: 'kafka_partition',
  next: 'next_offset',
} as const;

/**
 * exactly.once: the next offset to consume per topic partition, kept in a table in the
 * target and written in the same transaction as the rows, so rows and offsets move together.
 */
export class TargetOffsets {
  constructor(
    private readonly dialect: SqlDialect,
    private readonly table: TableRef,
    private readonly connectorName: string,
  ) {}

  static tableRef(name: string): TableRef {
    const dot = name.indexOf('.');
    return dot < 0 ? { schema: null, name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) };
  }

  async ensureTable(connection: SqlConnection): Promise<void> {
    const key = (name: string) => ({ name, type: this.dialect.columnType(string(), true), notNull: true });
    await connection.execute(
      createTableStatement(
        this.dialect,
        this.table,
        [
          key(COLUMNS.connector),
          key(COLUMNS.topic),
          { name: COLUMNS.partition, type: this.dialect.columnType(int32(), true), notNull: true },
          { name: COLUMNS.next, type: this.dialect.columnType(int64(), false), notNull: true },
        ],
        [COLUMNS.connector, COLUMNS.topic, COLUMNS.partition],
      ),
    );
  }

  /** Stored next offsets for these partitions, by topicPartitionKey. */
  async load(connection: SqlConnection, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    const stored = new Map<string, bigint>();
    const q = (name: string) => this.dialect.quote(name);
    const rows = await connection.select(
      `SELECT ${q(COLUMNS.topic)} AS topic, ${q(COLUMNS.partition)} AS kafka_partition, ${q(COLUMNS.next)} AS next_offset FROM ${this.qualified()} WHERE ${q(COLUMNS.connector)} = ${this.dialect.placeholder(1)}`,
      [this.connectorName],
    );
    const wanted = new Set(partitions.map(topicPartitionKey));
    for (const row of rows) {
      const key = topicPartitionKey({ topic: String(row.topic), partition: Number(row.kafka_partition) });
      if (wanted.has(key)) stored.set(key, BigInt(String(row.next_offset)));
    }
    return stored;
  }

  /** Upsert of the next offsets, run inside the batch transaction. */
  saveStatement(next: ReadonlyMap<string, { topic: string; partition: number; offset: bigint }>): Statement {
    const rows: Column[][] = [...next.values()].map((entry) => [
      { name: COLUMNS.connector, schema: string(), value: this.connectorName },
      { name: COLUMNS.topic, schema: string(), value: entry.topic },
      { name: COLUMNS.partition, schema: int32(), value: entry.partition },
      { name: COLUMNS.next, schema: int64(), value: entry.offset },
    ]);
    return insertStatement(this.dialect, this.table, Object.values(COLUMNS), rows, [
      COLUMNS.connector,
      COLUMNS.topic,
      COLUMNS.partition,
    ]);
  }

  private qualified(): string {
    const { schema, name } = this.table;
    return schema === null
      ? this.dialect.quote(name)
      : `${this.dialect.quote(schema)}.${this.dialect.quote(name)}`;
  }
}
