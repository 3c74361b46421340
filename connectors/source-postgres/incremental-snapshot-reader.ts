import type pg from 'pg';
import {
  chunkKeyColumns,
  chunkQuery,
  epochMicrosNow,
  maxKeyQuery,
  type ChunkKey,
  type ChunkQuery,
  type ChunkQueryDialect,
  type ChunkQueryTable,
  type IncrementalTableReader,
  type WatermarkKind,
} from '../../runtime/cdc/index.js';
import { DataError, type SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import { capturedTables, estimatedRows } from './catalog.js';
import type { ChangeRecords } from './change-records.js';
import { quoteIdent } from './connection.js';
import type { StreamPosition } from './lsn-offset.js';
import { keyTexts, prepareSnapshotTable, type SnapshotTable } from './snapshot.js';
import { ColumnValueError, type TableEventOptions } from './table-events.js';
import type { TypeRegistry } from './type-registry.js';

/** A table of an incremental snapshot is found, and its chunks read, on the catalog connection. */
export async function incrementalTableReader(
  client: pg.Client,
  registry: TypeRegistry,
  schemaOptions: TableEventOptions,
  records: ChangeRecords,
  context: Pick<SourceTaskContext, 'logger'>,
  /** The stream's position: the `source` block's LSN of the rows read. */
  position: () => StreamPosition,
  dataCollection: string,
  surrogateKey: string | null,
): Promise<IncrementalTableReader | string> {
  const ref = (await capturedTables(client, schemaOptions.filter)).find(
    (t) => `${t.schema}.${t.table}` === dataCollection,
  );
  if (ref === undefined)
    return 'it is not a captured table (check the name, <schema>.<table>, and the filters)';
  const table = await prepareSnapshotTable(client, registry, ref, schemaOptions);
  if (table === null) return 'its event schema cannot be built (see the uncaptured tables in the status)';
  const key = chunkKeyColumns(
    table.schema.keyColumnNames,
    surrogateKey,
    (name) => table.columns.find((c) => c.name === name)?.name,
  );
  if (typeof key === 'string') return key;
  return new PostgresChunkReader(client, table, key, schemaOptions, records, context, position);
}

const postgresDialect: ChunkQueryDialect = {
  quote: quoteIdent,
  placeholder: (n) => `$${n}`,
  rowComparison: true,
};

/** Reads one table's chunks by its chunk key (keyset: after a key, up to the largest key, a limit). */
class PostgresChunkReader implements IncrementalTableReader {
  private readonly keyPositions: number[];
  private readonly sql: ChunkQueryTable;

  constructor(
    private readonly client: pg.Client,
    private readonly table: SnapshotTable,
    key: readonly string[],
    private readonly schemaOptions: TableEventOptions,
    private readonly records: ChangeRecords,
    private readonly context: Pick<SourceTaskContext, 'logger'>,
    private readonly position: () => StreamPosition,
  ) {
    this.keyPositions = key.map((name) => table.columns.findIndex((c) => c.name === name));
    this.sql = {
      from: `${quoteIdent(table.ref.schema)}.${quoteIdent(table.ref.table)}`,
      columns: table.columns.map((c) => quoteIdent(c.name)).join(', '),
      keyColumns: key.map(quoteIdent).join(', '),
      key,
    };
  }

  get topic(): string {
    return this.table.schema.topic;
  }

  estimatedRows(): Promise<number> {
    return estimatedRows(this.client, this.table.ref.oid);
  }

  async maxKey(filter: string | null): Promise<ChunkKey | null> {
    const result = await this.query(maxKeyQuery(postgresDialect, this.sql, filter));
    return result.rows[0] ?? null;
  }

  async readChunk(
    after: ChunkKey | null,
    upTo: ChunkKey,
    limit: number,
    filter: string | null,
  ): Promise<{ records: SourceRecord[]; lastKey: ChunkKey } | null> {
    const result = await this.query(chunkQuery(postgresDialect, this.sql, { after, upTo, filter }, limit));
    const last = result.rows[result.rows.length - 1];
    if (last === undefined) return null;
    const records: SourceRecord[] = [];
    for (const row of result.rows) {
      const record = this.record(row);
      if (record !== null) records.push(record);
    }
    return { records, lastKey: keyTexts(last, this.keyPositions) };
  }

  private query({ sql, params }: ChunkQuery): Promise<pg.QueryResult<(string | null)[]>> {
    return this.client.query<(string | null)[]>({ text: sql, values: [...params], rowMode: 'array' });
  }

  /** One row as an `r` record (its offset is set when it is emitted); null when skipped (errors.tolerance=all). */
  private record(row: readonly (string | null)[]): SourceRecord | null {
    const events = this.table.schema;
    const now = epochMicrosNow();
    try {
      return this.records.change(events, 'r', events.keyValue(row), null, events.rowValue(row), {
        tsMs: Number(now / 1000n),
        tsUs: now,
        origin: null,
        snapshot: 'incremental',
        txId: null,
        lsn: this.position().lsn,
        lastCommitLsn: null,
        transaction: null,
        offset: {},
      });
    } catch (error) {
      if (!(error instanceof ColumnValueError)) throw error;
      const key = keyTexts(row, this.keyPositions);
      const where = `${events.dataCollection} (incremental snapshot, key ${JSON.stringify(key)})`;
      if (!this.schemaOptions.skipBadValues)
        throw new DataError(`${where}: ${error.message}`, { cause: error });
      this.context.logger.warn('skipping a row with a value that cannot be captured (errors.tolerance=all)', {
        table: events.dataCollection,
        column: error.column,
        key,
        error: error.message,
      });
      return null;
    }
  }
}

/** Inserts a watermark row into the signal table `<schema>.<table>` (autocommit: committed at once). */
export async function writeWatermark(
  client: pg.Client,
  signalTable: string,
  kind: WatermarkKind,
  id: string,
  data: string,
): Promise<void> {
  const [schema, table] = signalTable.split('.') as [string, string];
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table)} (id, type, data) VALUES ($1, $2, $3)`,
    [id, kind, data],
  );
}
