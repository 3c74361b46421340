import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDdl } from '../../connectors/source-mysql/ddl-parser.js';
import { TableCatalog } from '../../connectors/source-mysql/table-catalog.js';

const all = () => true;

function catalogWith(sql: string): TableCatalog {
  const catalog = new TableCatalog('utf8mb4');
  catalog.applyDdl(sql, 'shop', all);
  return catalog;
}

test('CREATE TABLE: columns as information_schema spells their types, key, charsets, JSON', () => {
  const catalog = catalogWith(`CREATE TABLE IF NOT EXISTS \`orders\` (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    code CHAR(8) CHARACTER SET latin1 NOT NULL COMMENT 'the, code',
    price DEC(10, 2) DEFAULT '0.00',
    flag BOOLEAN,
    doc JSON,
    raw LONGTEXT CHECK (json_valid(raw)),
    kind ENUM('a','b''c') NOT NULL DEFAULT 'a',
    created DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    v INT AS (id * 2) VIRTUAL,
    PRIMARY KEY (id),
    KEY idx_code (code),
    CONSTRAINT c1 CHECK (price >= 0)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 /* trailing */`);
  const orders = catalog.get('shop', 'orders')!;
  assert.deepEqual(orders.primaryKey, ['id']);
  assert.deepEqual(
    orders.columns.map((c) => [c.name, c.columnType, c.nullable, c.charset, c.json]),
    [
      ['id', 'bigint unsigned', false, null, false],
      ['code', 'char(8)', false, 'latin1', false],
      ['price', 'decimal(10,2)', true, null, false],
      ['flag', 'tinyint(1)', true, null, false],
      ['doc', 'longtext', true, 'utf8mb3', true],
      ['raw', 'longtext', true, 'utf8mb3', true],
      ['kind', "enum('a','b''c')", false, 'utf8mb3', false],
      ['created', 'datetime(6)', true, null, false],
      ['v', 'int', true, null, false],
    ],
  );
});

test('ALTER TABLE: add (FIRST / AFTER), drop, change, modify, rename column, primary key, rename table', () => {
  const catalog = catalogWith('CREATE TABLE t (a INT, b VARCHAR(10), c INT)');
  const outcome = catalog.applyDdl(
    'ALTER TABLE shop.t ADD COLUMN z INT FIRST, ADD y TEXT AFTER a, DROP COLUMN c, CHANGE b bee VARCHAR(20) NOT NULL, MODIFY a BIGINT NOT NULL, RENAME COLUMN z TO zed, ADD PRIMARY KEY (a)',
    'other',
    all,
  );
  const t = catalog.get('shop', 't')!;
  assert.deepEqual(
    t.columns.map((c) => `${c.name} ${c.columnType}${c.nullable ? '' : ' not null'}`),
    ['zed int', 'a bigint not null', 'y text', 'bee varchar(20) not null'],
  );
  assert.deepEqual(t.primaryKey, ['a']);
  assert.equal(outcome.changed.length, 1);
  const renamed = catalog.applyDdl('ALTER TABLE t RENAME TO t2', 'shop', all);
  assert.deepEqual(renamed.removed, [{ db: 'shop', table: 't' }]);
  assert.equal(catalog.get('shop', 't2')?.columns.length, 4);
  assert.equal(catalog.get('shop', 't'), undefined);
});

test('RENAME / DROP TABLE, DROP DATABASE, and statements that change no table', () => {
  const catalog = catalogWith('CREATE TABLE a (id INT)');
  catalog.applyDdl('CREATE TABLE b (id INT)', 'shop', all);
  catalog.applyDdl('RENAME TABLE a TO a_old, shop.b TO shop.a', 'shop', all);
  assert.deepEqual(
    catalog
      .all()
      .map((t) => t.table)
      .sort(),
    ['a', 'a_old'],
  );
  assert.deepEqual(catalog.applyDdl('DROP TABLE IF EXISTS a_old', 'shop', all).removed, [
    { db: 'shop', table: 'a_old' },
  ]);
  assert.deepEqual(parseDdl('GRANT SELECT ON *.* TO x'), []);
  assert.deepEqual(parseDdl('CREATE INDEX i ON a (id)'), []);
  assert.deepEqual(parseDdl('CREATE TEMPORARY TABLE tmp (id INT)'), []);
  assert.equal(catalog.applyDdl('DROP DATABASE shop', 'shop', all).removed.length, 1);
  assert.equal(catalog.all().length, 0);
});

test('only captured tables enter the catalog; unmodelled DDL asks for a re-read', () => {
  const catalog = new TableCatalog('utf8mb4');
  catalog.applyDdl('CREATE TABLE skip_me (id INT)', 'shop', (_db, table) => table !== 'skip_me');
  assert.equal(catalog.all().length, 0);
  const outcome = catalog.applyDdl('CREATE TABLE copy AS SELECT * FROM other', 'shop', all);
  assert.deepEqual(outcome.unparsed, [{ db: 'shop', table: 'copy' }]);
  catalog.applyDdl('CREATE TABLE src (id INT PRIMARY KEY, n NATIONAL VARCHAR(5))', 'shop', all);
  catalog.applyDdl('CREATE TABLE dst LIKE src', 'shop', all);
  assert.deepEqual(catalog.get('shop', 'dst')?.primaryKey, ['id']);
  assert.equal(catalog.get('shop', 'dst')?.columns[1]?.charset, 'utf8mb3');
});

test('database and table default character sets reach new text columns', () => {
  const catalog = new TableCatalog('latin1');
  catalog.applyDdl('CREATE DATABASE eu CHARACTER SET = utf8mb4', '', all);
  catalog.applyDdl('CREATE TABLE eu.t (s VARCHAR(5), b VARBINARY(5))', '', all);
  assert.deepEqual(
    catalog.get('eu', 't')!.columns.map((c) => c.charset),
    ['utf8mb4', null],
  );
  catalog.applyDdl('ALTER TABLE eu.t CONVERT TO CHARACTER SET latin1', '', all);
  assert.equal(catalog.get('eu', 't')!.columns[0]!.charset, 'latin1');
});

test('constant column defaults are kept, expressions are not', () => {
  const catalog = catalogWith(`CREATE TABLE d (
    id INT PRIMARY KEY,
    price DEC(10, 2) DEFAULT '0.00',
    n INT NOT NULL DEFAULT -5,
    kind ENUM('a','b') DEFAULT 'a' COMMENT 'x',
    created DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
    nothing INT DEFAULT NULL,
    quoted VARCHAR(10) DEFAULT 'it''s'
  )`);
  catalog.applyDdl('ALTER TABLE d ADD COLUMN score INT DEFAULT 42 AFTER n', 'shop', all);
  assert.deepEqual(
    catalog.get('shop', 'd')!.columns.map((c) => [c.name, c.defaultText]),
    [
      ['id', undefined],
      ['price', '0.00'],
      ['n', '-5'],
      ['score', '42'],
      ['kind', 'a'],
      ['created', undefined],
      ['nothing', undefined],
      ['quoted', "it's"],
    ],
  );
});

test('created: the captured tables CREATE TABLE (and … LIKE) made, not those renamed or left out', () => {
  const catalog = catalogWith('CREATE TABLE a (id INT PRIMARY KEY)');
  const onlyShop = (db: string) => db === 'shop';
  assert.deepEqual(catalog.applyDdl('CREATE TABLE b LIKE a', 'shop', all).created, [
    { db: 'shop', table: 'b' },
  ]);
  assert.deepEqual(catalog.applyDdl('CREATE TABLE other.c (id INT)', 'shop', onlyShop).created, []);
  const renamed = catalog.applyDdl('RENAME TABLE b TO d', 'shop', all);
  assert.deepEqual(renamed.created, []);
  assert.equal(renamed.changed.length, 1);
});
