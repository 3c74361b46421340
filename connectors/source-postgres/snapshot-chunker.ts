import type pg from 'pg';
import { quoteIdent } from './connection.js';
import type { KeyTexts, PageRange } from './snapshot-plan.js';
import type { ColumnDescriptor } from './table-events.js';

/**
 * Reads one table in primary-key order, `fetchSize` rows per query (keyset pagination:
 * `WHERE (pk) > (last key) ORDER BY pk LIMIT n`), so memory holds one chunk and a resumed
 * snapshot starts after the last committed key. A table without a primary key is read
 * through a cursor in chunks and, if interrupted, re-read from its start. A parallel
 * snapshot reads key ranges (`upTo`) and page ranges (`pageChunks`) of a table, and finds
 * the key boundaries of its ranges (`keyBoundaries`).
 * Runs inside the caller's snapshot transaction; values stay in text form.
 */
export class SnapshotChunker {
  constructor(
    private readonly client: pg.Client,
    private readonly schema: string,
    private readonly table: string,
    private readonly columns: readonly ColumnDescriptor[],
    private readonly primaryKey: readonly string[],
    private readonly fetchSize: number,
  ) {}

  private get qualified(): string {
    return `${quoteIdent(this.schema)}.${quoteIdent(this.table)}`;
  }

  private get selectList(): string {
    return this.columns.map((c) => quoteIdent(c.name)).join(', ');
  }

  /** Positions of the primary key columns in a row. */
  get keyPositions(): number[] {
    return this.primaryKey.map((name) => this.columns.findIndex((c) => c.name === name));
  }

  private get keyList(): string {
    return this.primaryKey.map(quoteIdent).join(', ');
  }

  /**
   * Yields chunks of rows (column texts in `columns` order) after `afterKey` (key texts),
   * up to and including `upToKey` when given.
   */
  async *chunks(
    afterKey: KeyTexts | null,
    upToKey: KeyTexts | null = null,
  ): AsyncGenerator<(string | null)[][]> {
    if (this.primaryKey.length === 0) {
      yield* this.cursorChunks('');
      return;
    }
    const keyList = this.keyList;
    const positions = this.keyPositions;
    const upTo = upToKey === null ? '' : `(${keyList}) <= (${placeholders(upToKey, 1)})`;
    let last = afterKey;
    for (;;) {
      const params: unknown[] = [...(upToKey ?? [])];
      const conditions = upTo === '' ? [] : [upTo];
      if (last !== null) {
        conditions.push(`(${keyList}) > (${placeholders(last, params.length + 1)})`);
        params.push(...last);
      }
      const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
      const sql = `SELECT ${this.selectList} FROM ${this.qualified} ${where} ORDER BY ${keyList} LIMIT ${this.fetchSize}`;
      const result = await this.client.query<(string | null)[]>({
        text: sql,
        values: params,
        rowMode: 'array',
      });
      if (result.rows.length === 0) return;
      yield result.rows;
      const lastRow = result.rows[result.rows.length - 1]!;
      last = positions.map((p) => lastRow[p] ?? null);
      if (result.rows.length < this.fetchSize) return;
    }
  }

  /** Yields chunks of the rows on the heap pages of `range` (a table without a primary key). */
  async *pageChunks(range: PageRange): AsyncGenerator<(string | null)[][]> {
    const from = `ctid >= '(${range.fromPage},0)'::tid`;
    const where = range.toPage === null ? from : `${from} AND ctid < '(${range.toPage},0)'::tid`;
    yield* this.cursorChunks(`WHERE ${where}`);
  }

  /**
   * The last key of every `everyRows` rows after `afterKey`: where a parallel snapshot cuts
   * the table into key ranges. Walks the primary key's index, one query per boundary,
   * yielding each as it is found.
   */
  async *keyBoundaries(afterKey: KeyTexts | null, everyRows: number): AsyncGenerator<KeyTexts> {
    const keyList = this.keyList;
    let last = afterKey;
    for (;;) {
      const where = last === null ? '' : `WHERE (${keyList}) > (${placeholders(last, 1)})`;
      const result = await this.client.query<(string | null)[]>({
        text: `SELECT ${keyList} FROM ${this.qualified} ${where} ORDER BY ${keyList} OFFSET ${everyRows - 1} LIMIT 1`,
        values: last === null ? [] : [...last],
        rowMode: 'array',
      });
      const boundary = result.rows[0];
      if (boundary === undefined) return;
      yield boundary;
      last = boundary;
    }
  }

  private async *cursorChunks(where: string): AsyncGenerator<(string | null)[][]> {
    const cursor = quoteIdent(`siphon_snapshot_${this.table}`.slice(0, 63));
    const select = `SELECT ${this.selectList} FROM ${this.qualified}${where === '' ? '' : ` ${where}`}`;
    await this.client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${select}`);
    try {
      for (;;) {
        const result = await this.client.query<(string | null)[]>({
          text: `FETCH ${this.fetchSize} FROM ${cursor}`,
          rowMode: 'array',
        });
        if (result.rows.length === 0) return;
        yield result.rows;
      }
    } finally {
      await this.client.query(`CLOSE ${cursor}`);
    }
  }
}

/** `$start, $start+1, …` for the texts of a key. */
function placeholders(key: KeyTexts, start: number): string {
  return key.map((_, i) => `$${start + i}`).join(', ');
}
