import type pg from 'pg';
import { quoteIdent } from './connection.js';
import type { ColumnDescriptor } from './table-events.js';

/**
 * Reads one table in primary-key order, `fetchSize` rows per query (keyset pagination:
 * `WHERE (pk) > (last key) ORDER BY pk LIMIT n`), so memory holds one chunk and a resumed
 * snapshot starts after the last committed key. A table without a primary key is read
 * through a cursor in chunks and, if interrupted, re-read from its start.
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

  /** Yields chunks of rows (column texts in `columns` order) after `afterKey` (key texts). */
  async *chunks(afterKey: readonly (string | null)[] | null): AsyncGenerator<(string | null)[][]> {
    if (this.primaryKey.length === 0) {
      yield* this.cursorChunks();
      return;
    }
    const keyList = this.primaryKey.map(quoteIdent).join(', ');
    const positions = this.keyPositions;
    let last = afterKey;
    for (;;) {
      const params: unknown[] = [];
      let where = '';
      if (last !== null) {
        params.push(...last);
        where = `WHERE (${keyList}) > (${last.map((_, i) => `$${i + 1}`).join(', ')})`;
      }
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

  private async *cursorChunks(): AsyncGenerator<(string | null)[][]> {
    const cursor = quoteIdent(`siphon_snapshot_${this.table}`.slice(0, 63));
    await this.client.query(
      `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${this.selectList} FROM ${this.qualified}`,
    );
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
