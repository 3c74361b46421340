import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chunkKeyColumns,
  chunkQuery,
  maxKeyQuery,
  noChunkKeyReason,
  type ChunkQueryTable,
} from '../../runtime/cdc/index.js';

describe('incremental snapshot chunk queries', () => {
  const table: ChunkQueryTable = { from: 't', columns: '*', keyColumns: 'a, b', key: ['a', 'b'] };
  const postgres = {
    quote: (n: string) => `"${n}"`,
    placeholder: (n: number) => `$${n}`,
    rowComparison: true,
  };
  const mysql = { quote: (n: string) => `\`${n}\``, placeholder: () => '?', rowComparison: false };

  it('PostgreSQL: keys compared as rows, parameters in the order they appear', () => {
    assert.deepEqual(chunkQuery(postgres, table, { after: [1, 'x'], upTo: [9, 'z'], filter: 'v > 0' }, 50), {
      sql: 'SELECT * FROM t WHERE ((t."a", t."b") <= ($1, $2)) AND ((t."a", t."b") > ($3, $4)) AND (v > 0) ORDER BY t."a", t."b" LIMIT 50',
      params: [9, 'z', 1, 'x'],
    });
  });

  it('MySQL: keys spelled out for the range optimizer; the first chunk has no lower bound', () => {
    assert.deepEqual(chunkQuery(mysql, table, { after: null, upTo: [9, 'z'], filter: null }, 10), {
      sql: 'SELECT * FROM t WHERE ((t.`a` < ?) OR (t.`a` = ? AND t.`b` <= ?)) ORDER BY t.`a`, t.`b` LIMIT 10',
      params: [9, 9, 'z'],
    });
  });

  it('the largest key leaves NULL keys out, with or without a filter', () => {
    assert.equal(
      maxKeyQuery(postgres, table, 'v > 0').sql,
      'SELECT a, b FROM t WHERE t."a" IS NOT NULL AND t."b" IS NOT NULL AND (v > 0) ORDER BY t."a" DESC, t."b" DESC LIMIT 1',
    );
  });

  it('chunks by the event key, or by the surrogate-key column when the table has an event key', () => {
    const columnNamed = (name: string) => (name === 'seq' ? 'seq' : undefined);
    assert.deepEqual(chunkKeyColumns(['id'], null, columnNamed), ['id']);
    assert.deepEqual(chunkKeyColumns(['id'], 'seq', columnNamed), ['seq']);
    assert.match(String(chunkKeyColumns(['id'], 'nope', columnNamed)), /no column "nope"/);
    assert.equal(chunkKeyColumns([], null, columnNamed), noChunkKeyReason);
    assert.match(String(chunkKeyColumns([], 'seq', columnNamed)), /set message\.key\.columns/);
  });
});
