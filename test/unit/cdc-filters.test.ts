import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageKeyColumns } from '../../runtime/cdc/message-key-columns.js';
import { parseRegexList } from '../../runtime/cdc/regex-list.js';
import { TableFilter } from '../../runtime/cdc/table-filter.js';
import { parseSkippedOperations } from '../../runtime/cdc/cdc-config.js';

const noLists = {
  namespaceInclude: null,
  namespaceExclude: null,
  namespaceKeys: ['schema.include.list', 'schema.exclude.list'] as const,
  tableInclude: null,
  tableExclude: null,
  columnInclude: null,
  columnExclude: null,
};

describe('regex lists (Debezium semantics)', () => {
  it('matches the whole identifier, case-insensitively', () => {
    const [p] = parseRegexList('table.include.list', 'public.orders');
    assert.ok(p?.test('public.orders'));
    assert.ok(p?.test('PUBLIC.Orders'));
    assert.ok(!p?.test('public.orders_archive'));
    assert.ok(!p?.test('xpublic.orders'));
  });
  it('keeps commas inside quantifiers and escaped commas', () => {
    const list = parseRegexList('t', 'public.a{1,2}, public\\,b ,inventory\\..*');
    assert.deepEqual(
      list.map((r) => r.source),
      ['^(?:public.a{1,2})$', '^(?:public,b)$', '^(?:inventory\\..*)$'],
    );
  });
  it('names the key and the expression on an invalid regex', () => {
    assert.throws(
      () => parseRegexList('table.include.list', 'public.(orders'),
      /table\.include\.list: "public\.\(orders"/,
    );
  });
});

describe('TableFilter', () => {
  it('applies schema and table include lists together', () => {
    const f = new TableFilter({
      ...noLists,
      namespaceInclude: 'inv.*',
      tableInclude: 'inv\\.orders,inventory\\..*',
    });
    assert.ok(f.includesTable('inv', 'orders'));
    assert.ok(f.includesTable('inventory', 'customers'));
    assert.ok(!f.includesTable('public', 'orders'));
    assert.ok(!f.includesTable('inv', 'orders2'));
  });
  it('applies exclude lists', () => {
    const f = new TableFilter({
      ...noLists,
      tableExclude: 'public\\.audit_.*',
      columnExclude: 'public\\.users\\.password',
    });
    assert.ok(!f.includesTable('public', 'audit_log'));
    assert.ok(f.includesTable('public', 'users'));
    assert.ok(!f.includesColumn('public', 'users', 'password'));
    assert.ok(f.includesColumn('public', 'users', 'name'));
  });
  it('rejects an include list together with its exclude list', () => {
    assert.throws(
      () => new TableFilter({ ...noLists, tableInclude: 'a\\.b', tableExclude: 'a\\.c' }),
      /table\.include\.list and table\.exclude\.list cannot be used together/,
    );
  });
});

describe('message.key.columns', () => {
  it('maps table regexes to key columns', () => {
    const k = MessageKeyColumns.parse('public.orders:customer_id,order_no;inv\\..*:code');
    assert.deepEqual(k.columnsFor('public', 'orders'), ['customer_id', 'order_no']);
    assert.deepEqual(k.columnsFor('inv', 'parts'), ['code']);
    assert.equal(k.columnsFor('public', 'other'), undefined);
  });
  it('rejects an entry without columns', () => {
    assert.throws(
      () => MessageKeyColumns.parse('public.orders'),
      /message\.key\.columns: "public\.orders" is not of the form/,
    );
  });
});

describe('skipped.operations', () => {
  it('parses lists and none', () => {
    assert.deepEqual([...parseSkippedOperations('c, t')], ['c', 't']);
    assert.equal(parseSkippedOperations('none').size, 0);
    assert.throws(() => parseSkippedOperations('x'), /skipped\.operations: "x" is not an operation/);
  });
});
