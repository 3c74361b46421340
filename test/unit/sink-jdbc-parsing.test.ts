import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConnectionUrl, redactUrl } from '../../connectors/sink-jdbc/connection-url.js';
import { RowFilter } from '../../connectors/sink-jdbc/filter-expression.js';
import { parseMappingRules } from '../../connectors/sink-jdbc/mapping-rules.js';
import type { RecordContext } from '../../connectors/sink-jdbc/record-context.js';
import { TableNameFormat } from '../../connectors/sink-jdbc/table-name.js';
import { int64, string, struct } from '../../runtime/record/index.js';

const context = (overrides: Partial<RecordContext> = {}): RecordContext => ({
  record: {
    topic: 'srv.public.orders',
    kafkaPartition: 1,
    kafkaOffset: 9n,
    keySchema: null,
    key: null,
    valueSchema: null,
    value: null,
  },
  op: 'u',
  tsMs: 1000n,
  source: { schema: 'public', table: 'orders', ts_ms: 990n, db: 'shop' },
  sourceSchema: struct('source', [
    ['schema', string()],
    ['table', string()],
    ['ts_ms', int64()],
    ['db', string()],
  ]),
  ...overrides,
});

describe('connection.url', () => {
  it('parses PostgreSQL URLs with parameters', () => {
    const settings = parseConnectionUrl(
      'jdbc:postgresql://db.example:6543/shop?user=app&password=s%26cret&sslmode=require&currentSchema=sales&foo=bar',
    );
    assert.equal(settings.dialect, 'postgresql');
    assert.equal(settings.host, 'db.example');
    assert.equal(settings.port, 6543);
    assert.equal(settings.database, 'shop');
    assert.equal(settings.user, 'app');
    assert.equal(settings.password, 's&cret');
    assert.equal(settings.ssl, 'no-verify');
    assert.equal(settings.currentSchema, 'sales');
    assert.deepEqual(settings.ignoredParameters, ['foo']);
  });

  it('parses MySQL and MariaDB URLs, default ports, IPv6 and multi-host', () => {
    const mysql = parseConnectionUrl('jdbc:mysql://[::1]/inventory?connectTimeout=2500&useSSL=false');
    assert.deepEqual(
      [mysql.dialect, mysql.host, mysql.port, mysql.connectTimeoutMs, mysql.ssl],
      ['mysql', '::1', 3306, 2500, 'disable'],
    );
    const maria = parseConnectionUrl('jdbc:mariadb://a:3307,b:3308/db');
    assert.deepEqual([maria.dialect, maria.host, maria.port], ['mysql', 'a', 3307]);
    assert.equal(parseConnectionUrl('jdbc:postgresql://h/db?connectTimeout=3').connectTimeoutMs, 3000);
  });

  it('rejects bad URLs naming the problem, without showing the password', () => {
    assert.throws(() => parseConnectionUrl('postgres://h/db'), /is not a JDBC URL/);
    assert.throws(() => parseConnectionUrl('jdbc:oracle://h/db'), /uses "oracle"; use jdbc:postgresql/);
    assert.throws(() => parseConnectionUrl('jdbc:postgresql://h:99999/db'), /not 1-65535/);
    assert.throws(() => parseConnectionUrl('jdbc:mysql://h'), /names no database/);
    assert.throws(
      () => parseConnectionUrl('jdbc:mysql://h:x/db?password=topsecret'),
      (error: Error) => !error.message.includes('topsecret'),
    );
    assert.equal(
      redactUrl('jdbc:mysql://h/db?user=a&password=x&z=1'),
      'jdbc:mysql://h/db?user=a&password=********&z=1',
    );
  });
});

describe('table.name.format', () => {
  it('replaces placeholders, dots in values become underscores, a literal dot is the schema', () => {
    assert.deepEqual(TableNameFormat.parse('${topic}').resolve(context()), {
      schema: null,
      name: 'srv_public_orders',
    });
    assert.deepEqual(TableNameFormat.parse('archive.${source.table}_copy').resolve(context()), {
      schema: 'archive',
      name: 'orders_copy',
    });
    assert.throws(() => TableNameFormat.parse('${nope}'), /unknown placeholder \$\{nope\}/);
    assert.throws(() => TableNameFormat.parse('a.b.c'), /more than one literal dot/);
  });
});

describe('row filter expressions', () => {
  const row = { status: 'paid', total: '12.50', qty: 3n, note: null, flag: true, 'odd name': 'x' };
  const cases: [string, boolean][] = [
    ["status = 'paid'", true],
    ["status != 'paid'", false],
    ['total > 10 and qty >= 3', true],
    ['total > 12.5', false],
    ['qty in (1, 2, 3)', true],
    ['qty not in (1, 2)', true],
    ['note is null', true],
    ['note is not null', false],
    ["note = 'x'", false],
    ["not note = 'x'", false],
    ["note = 'x' or flag", true],
    ['not (qty < 2 or total < 1)', true],
    ["\"odd name\" = 'x' and ${op} = 'u' and ${source.ts_ms} = 990", true],
    ["${source.table} in ('orders', 'items')", true],
    ["status = 'it''s'", false],
  ];
  for (const [source, expected] of cases) {
    it(`${source} → ${expected}`, () => {
      assert.equal(RowFilter.parse(source).matches(row, context()), expected);
    });
  }

  it('rejects bad syntax with the position', () => {
    assert.throws(() => RowFilter.parse("status = 'open"), /unterminated string/);
    assert.throws(() => RowFilter.parse('a = = 1'), /expected a value or column|unexpected "="/);
    assert.throws(() => RowFilter.parse('a is 1'), /expected "null" after "is" at position 6/);
    assert.throws(() => RowFilter.parse('a; drop table x'), /unexpected character ";"/);
    assert.throws(() => RowFilter.parse('${secret}'), /unknown placeholder/);
    assert.throws(() => RowFilter.parse(''), /empty/);
  });

  it('fails a row whose values cannot be compared or lack the column', () => {
    assert.throws(() => RowFilter.parse('flag > 1').matches(row, context()), /compares a boolean/);
    assert.throws(() => RowFilter.parse('missing = 1').matches(row, context()), /column "missing"/);
  });
});

describe('mapping rules', () => {
  it('parses a full rule', () => {
    const [rule] = parseMappingRules(
      JSON.stringify([
        {
          name: 'orders',
          match: { 'source.table': 'orders' },
          table: 'sales.${source.table}',
          exclude: ['secret'],
          casts: { total: 'float64' },
          rename: { total: 'order_total' },
          values: { synced_at: '${source.ts_ms}', origin: 'eu', version: 2 },
          filter: "status != 'draft'",
          key: ['id'],
          softDelete: 'deleted',
        },
      ]),
    );
    assert.ok(rule);
    assert.equal(rule.label, 'mappings[0] ("orders")');
    assert.equal(rule.casts.get('total'), 'float64');
    assert.deepEqual(
      rule.values.map((value) => [value.column, value.compute(context()).value]),
      [
        ['synced_at', 990n],
        ['origin', 'eu'],
        ['version', 2n],
      ],
    );
  });

  it('reports every problem naming rule and field', () => {
    let message = '';
    try {
      parseMappingRules(
        JSON.stringify([
          { match: { topic: 't' }, casts: { a: 'flaot64' } },
          {
            name: 'second',
            match: { 'topic.regex': '(' },
            filter: 'a ==',
            include: ['a'],
            exclude: ['b'],
            colour: 'red',
          },
          { table: 'x' },
        ]),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    assert.match(message, /mappings\[0\] field "casts": "a" has unknown type "flaot64"/);
    assert.match(message, /mappings\[1\] \("second"\) field "colour": is not a rule field/);
    assert.match(
      message,
      /mappings\[1\] \("second"\) field "match": topic.regex "\(" is not a valid regular expression/,
    );
    assert.match(message, /mappings\[1\] \("second"\) field "filter"/);
    assert.match(message, /mappings\[1\] \("second"\) field "exclude": cannot be combined with include/);
    assert.match(message, /mappings\[2\] field "match": is required/);
    assert.throws(() => parseMappingRules('{'), /not valid JSON/);
    assert.throws(() => parseMappingRules('{}'), /must be a JSON array/);
  });
});
