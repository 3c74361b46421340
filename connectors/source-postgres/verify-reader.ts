import type pg from 'pg';
import type {
  RangeHash,
  SourceChunk,
  TextChunk,
  SourcePosition,
  SourceRowReader,
  SourceVerification,
  TaskLogger,
  TargetHashPlan,
  VerifiableTable,
} from '../../runtime/plugin/index.js';
import { NotFoundError, textChunk } from '../../runtime/plugin/index.js';
import type { SourceOffset, SourceRecord } from '../../runtime/record/index.js';
import { epochMicrosNow, UncapturedTables } from '../../runtime/cdc/index.js';
import {
  capturedTables,
  columnDefaults,
  notNullColumns,
  primaryKey,
  tableColumns,
  type TableRef,
} from './catalog.js';
import { ChangeRecords } from './change-records.js';
import { readPostgresOptions, tableFilterOf, type PostgresOptions } from './config.js';
import { connect, quoteIdent } from './connection.js';
import { formatLsn, lsnToNumber, parseLsn } from './lsn.js';
import { initialPosition, sourcePartition, toSourceOffset } from './lsn-offset.js';
import { TableEvents, type TableEventOptions } from './table-events.js';
import { TypeRegistry } from './type-registry.js';

/**
 * Reads captured tables for a verification: one connection, each chunk in its own
 * `REPEATABLE READ READ ONLY` transaction (no locks; MVCC), rows in primary-key order and
 * converted exactly as the snapshot converts them, so a record compares like the one the
 * connector emitted. The position is `pg_current_wal_lsn()` inside the transaction: every
 * change the snapshot sees committed below it.
 */
class PostgresRowReader implements SourceRowReader {
  readonly engine = 'postgresql';
  private readonly schemas = new Map<
    string,
    { schema: TableEvents; selectList: string; keyPositions: number[]; integerKey: boolean }
  >();
  private readonly records: ChangeRecords;
  private readonly schemaOptions: TableEventOptions;
  private position: SourcePosition | null = null;

  constructor(
    private readonly client: pg.Client,
    private readonly options: PostgresOptions,
    private readonly registry: TypeRegistry,
    logger: TaskLogger,
  ) {
    this.records = new ChangeRecords(
      options.topicPrefix,
      options.dbname,
      sourcePartition(options.topicPrefix),
    );
    // A table whose schema cannot be built fails its verification when read (schemaOf throws);
    // a verification has no task status to list uncaptured tables in.
    const uncaptured = new UncapturedTables({ logger, reportProgress: () => undefined });
    this.schemaOptions = { ...options, filter: tableFilterOf(options), logger, uncaptured };
  }

  async tables(): Promise<VerifiableTable[]> {
    const refs = await capturedTables(this.client, this.schemaOptions.filter);
    const tables: VerifiableTable[] = [];
    for (const ref of refs) {
      const schema = await this.schemaOf(ref);
      tables.push({
        id: `${ref.schema}.${ref.table}`,
        keyColumns: schema.schema.keyColumnNames,
        integerKey: schema.integerKey,
      });
    }
    return tables;
  }

  async begin(): Promise<SourcePosition> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await this.client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const lsn = parseLsn(result.rows[0]?.lsn ?? '0/0');
    this.position = { description: `LSN ${formatLsn(lsn)}`, value: { lsn: lsnToNumber(lsn) } };
    return this.position;
  }

  async end(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async readChunk(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
  ): Promise<SourceChunk> {
    const entry = this.schemas.get(table.id);
    if (!entry) throw new NotFoundError(`table ${table.id} is not captured by this source`);
    const range = keyRange(table, after, upTo, limit);
    const result = await this.client.query<(string | null)[]>({
      text: `SELECT ${entry.selectList} FROM ${range.from} ORDER BY ${range.order}${range.limit}`,
      values: range.params,
      rowMode: 'array',
    });
    const lsn = this.position === null ? null : BigInt(this.position.value.lsn ?? 0);
    // One record built in full; the others share its source block and envelope fields (rows differ only).
    const [firstRow] = result.rows;
    const template =
      firstRow === undefined
        ? null
        : this.records.change(entry.schema, 'r', null, null, null, {
            tsMs: Date.now(),
            tsUs: epochMicrosNow(),
            origin: null,
            snapshot: 'true',
            txId: null,
            lsn,
            lastCommitLsn: null,
            transaction: null,
            offset: toSourceOffset({
              position: initialPosition,
              snapshot: { inProgress: false, completed: true, table: null, lastKey: null },
            }),
          });
    const records: SourceRecord[] = template
      ? result.rows.map((row) => ({
          ...template,
          keySchema: entry.schema.keySchema,
          key: entry.schema.keyValue(row),
          value: { ...(template.value as Record<string, unknown>), after: entry.schema.rowValue(row) },
        }))
      : [];
    const last = result.rows[result.rows.length - 1];
    return { records, lastKey: last ? entry.keyPositions.map((p) => last[p] ?? null) : null };
  }

  async hashRange(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<RangeHash> {
    const range = keyRange(table, after, upTo, limit);
    const row = plan.columns.map((column) => column.sql(quoteIdent(column.source))).join(', ');
    const descending = table.keyColumns.map((name) => `${quoteIdent(name)} DESC`).join(', ');
    // The last key of the range, as text (the form readChunk's bounds take); max() for one column.
    const [single] = table.keyColumns;
    const lastKey =
      table.keyColumns.length === 1 && single !== undefined
        ? `max(${quoteIdent(single)})::text AS k0`
        : table.keyColumns
            .map((name, i) => `(array_agg(${quoteIdent(name)}::text ORDER BY ${descending}))[1] AS k${i}`)
            .join(', ');
    const sql =
      `SELECT count(*)::text AS n, coalesce(sum(h), 0)::text AS hash, ${lastKey} FROM (` +
      `SELECT ${range.order}, ${plan.rowHash(row)} AS h FROM ${range.from} ORDER BY ${range.order}${range.limit}) AS s`;
    const result = await this.client.query<Record<string, string | null>>({
      text: sql,
      values: range.params,
    });
    const found = result.rows[0] ?? {};
    const count = Number(found.n ?? 0);
    return {
      count,
      hash: String(found.hash ?? '0'),
      lastKey: count === 0 ? null : table.keyColumns.map((_, i) => found[`k${i}`] ?? null),
    };
  }

  async rowHashes(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<TextChunk> {
    const range = keyRange(table, after, upTo, limit);
    const row = plan.columns.map((column) => column.sql(quoteIdent(column.source))).join(', ');
    // Aliased: ORDER BY "id" must name the column, not its text.
    const keys = table.keyColumns.map((name, i) => `${quoteIdent(name)}::text AS k${i}`).join(', ');
    const result = await this.client.query<(string | null)[]>({
      text: `SELECT ${keys}, (${plan.rowHash(row)})::text FROM ${range.from} ORDER BY ${range.order}${range.limit}`,
      values: range.params,
      rowMode: 'array',
    });
    return textChunk(result.rows, table.keyColumns.length);
  }

  async readTexts(
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    columns: readonly string[],
  ): Promise<TextChunk> {
    const range = keyRange(table, after, upTo, limit);
    // The session's text output (UTC, ISO dates, hex bytea) is what the snapshot converts too.
    const result = await this.client.query<(string | null)[]>({
      text: `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${range.from} ORDER BY ${range.order}${range.limit}`,
      values: range.params,
      rowMode: 'array',
    });
    return textChunk(result.rows, table.keyColumns.length);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async schemaOf(ref: TableRef) {
    const id = `${ref.schema}.${ref.table}`;
    const known = this.schemas.get(id);
    if (known) return known;
    const columns = await tableColumns(this.client, ref.oid);
    for (const column of columns) await this.registry.resolve(column.typeOid);
    const pk = await primaryKey(this.client, ref.oid);
    const schema = TableEvents.build(
      ref.schema,
      ref.table,
      columns,
      pk,
      await notNullColumns(this.client, ref.oid),
      this.registry,
      this.schemaOptions,
      await columnDefaults(this.client, ref.oid),
    );
    const keyPositions = schema.keyColumnNames.map((name) => columns.findIndex((c) => c.name === name));
    const entry = {
      schema,
      selectList: columns.map((c) => quoteIdent(c.name)).join(', '),
      keyPositions,
      integerKey:
        keyPositions.length > 0 && keyPositions.every((p) => integerTypes.has(columns[p]?.typeOid ?? 0)),
    };
    this.schemas.set(id, entry);
    return entry;
  }
}

/** smallint, integer, bigint. */
const integerTypes = new Set([21, 23, 20]);

/** A table's rows after `after` and up to `upTo` (row comparison of the key), as SQL parts. */
interface KeyRangeSql {
  /** `"schema"."table" WHERE …` */
  readonly from: string;
  /** The key columns, for ORDER BY. */
  readonly order: string;
  /** ` LIMIT n`, or nothing for an unlimited range. */
  readonly limit: string;
  readonly params: unknown[];
}

function keyRange(
  table: VerifiableTable,
  after: readonly unknown[] | null,
  upTo: readonly unknown[] | null,
  limit: number,
): KeyRangeSql {
  const order = table.keyColumns.map(quoteIdent).join(', ');
  const params: unknown[] = [];
  const bound = (key: readonly unknown[], operator: string) => {
    const slots = key.map((value) => {
      params.push(value);
      return `$${params.length}`;
    });
    return `(${order}) ${operator} (${slots.join(', ')})`;
  };
  const where = [after ? bound(after, '>') : null, upTo ? bound(upTo, '<=') : null].filter(Boolean);
  const [schemaName, tableName] = splitId(table.id);
  return {
    from: `${quoteIdent(schemaName)}.${quoteIdent(tableName)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
    order,
    limit: Number.isFinite(limit) ? ` LIMIT ${Math.max(1, Math.floor(limit))}` : '',
    params,
  };
}

function splitId(id: string): [string, string] {
  const dot = id.indexOf('.');
  return [id.slice(0, dot), id.slice(dot + 1)];
}

/** The furthest position a stored offset proves was read: its flushable LSN, else its last event's. */
function offsetLsn(offset: SourceOffset): number {
  const candidates = [offset.lsn_flush, offset.lsn_commit, offset.lsn].map((v) => Number(v ?? 0));
  return Math.max(0, ...candidates.filter((v) => Number.isFinite(v)));
}

export const postgresVerification: SourceVerification = {
  async openRowReader(config, logger) {
    const options = readPostgresOptions(config);
    const client = await connect(options, 'siphon-verify');
    try {
      const registry = new TypeRegistry(client);
      await registry.load();
      return new PostgresRowReader(client, options, registry, logger);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  },
  reached(offset, position) {
    return offsetLsn(offset) >= Number(position.value.lsn ?? Number.POSITIVE_INFINITY);
  },
};
