import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planBatch, type UpsertChange } from '../../connectors/sink-jdbc/batch-plan.js';
import { BatchWriter } from '../../connectors/sink-jdbc/batch-writer.js';
import type { SqlConnection } from '../../connectors/sink-jdbc/dialect.js';
import { readSinkConfig, configDef } from '../../connectors/sink-jdbc/config.js';
import { mysqlDialect } from '../../connectors/sink-jdbc/mysql-dialect.js';
import { postgresDialect } from '../../connectors/sink-jdbc/postgres-dialect.js';
import { BadRecordError, RowChangeReader } from '../../connectors/sink-jdbc/row-change.js';
import {
  addColumnWithDefaultStatement,
  deleteStatement,
  insertStatement,
  chunkRows,
} from '../../connectors/sink-jdbc/statements.js';
import {
  dateLiteral,
  timeLiteral,
  timestampLiteral,
  zonedTimestampLiteral,
} from '../../connectors/sink-jdbc/temporal-values.js';
import { decimalFitProblem } from '../../connectors/sink-jdbc/value-fit.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import type { SinkRecord, Schema } from '../../runtime/record/index.js';
import {
  array,
  boolean,
  bytes,
  decimal,
  float64,
  int32,
  int64,
  logical,
  optional,
  string,
  struct,
  LogicalName,
} from '../../runtime/record/index.js';

const rowSchema = struct('srv.public.orders.Value', [
  ['id', int32()],
  ['status', optional(string())],
  ['total', optional(decimal(2, 10))],
]);
const envelopeSchema = struct('srv.public.orders.Envelope', [
  ['before', optional(rowSchema)],
  ['after', optional(rowSchema)],
  [
    'source',
    struct('source', [
      ['table', string()],
      ['ts_ms', int64()],
    ]),
  ],
  ['op', string()],
]);
const keySchema = struct('srv.public.orders.Key', [['id', int32()]]);

let offset = 0n;
function event(op: string, before: unknown, after: unknown, id: number): SinkRecord {
  return {
    topic: 'srv.public.orders',
    kafkaPartition: 0,
    kafkaOffset: offset++,
    keySchema,
    key: { id },
    valueSchema: envelopeSchema,
    value: { before, after, source: { table: 'orders', ts_ms: 5n }, op },
  };
}

function reader(raw: Record<string, string>) {
  const parsed = parseConfig(configDef, { 'connection.url': 'jdbc:postgresql://h/db', ...raw });
  assert.deepEqual([...parsed.errors], []);
  return new RowChangeReader(readSinkConfig(parsed.values), (name) => name);
}

describe('reading records into row changes', () => {
  it('maps an envelope with a rule: rename, exclude, cast, computed value, soft delete', () => {
    const read = reader({
      'delete.enabled': 'false',
      mappings: JSON.stringify([
        {
          match: { 'source.table': 'orders' },
          table: 'copy_${source.table}',
          exclude: ['status'],
          casts: { total: 'string' },
          rename: { id: 'order_id' },
          values: { synced: '${source.ts_ms}' },
          softDelete: 'deleted',
        },
      ]),
    });
    const upsert = read.read(event('c', null, { id: 1, status: 's', total: '1.50' }, 1));
    assert.equal(upsert.kind, 'upsert');
    if (upsert.kind !== 'upsert') return;
    assert.deepEqual(upsert.table, { schema: null, name: 'copy_orders' });
    assert.deepEqual(
      upsert.columns.map((c) => [c.name, c.value, c.schema?.type]),
      [
        ['order_id', 1, 'int32'],
        ['total', '1.50', 'string'],
        ['synced', 5n, 'int64'],
        ['deleted', false, 'boolean'],
      ],
    );
    const softDelete = read.read(event('d', { id: 1, status: null, total: null }, null, 1));
    assert.equal(softDelete.kind, 'delete');
    if (softDelete.kind === 'delete') assert.equal(softDelete.softDeleteColumn, 'deleted');
  });

  it('filter turns a row that leaves the filtered set into a delete', () => {
    const read = reader({
      'delete.enabled': 'true',
      mappings: JSON.stringify([{ match: { topic: 'srv.public.orders' }, filter: "status = 'paid'" }]),
    });
    assert.equal(read.read(event('u', null, { id: 1, status: 'paid', total: null }, 1)).kind, 'upsert');
    assert.equal(read.read(event('u', null, { id: 1, status: 'open', total: null }, 1)).kind, 'delete');
  });

  it('skips deletes and truncates when disabled, and messages always', () => {
    const read = reader({});
    assert.equal(read.read(event('d', { id: 1 }, null, 1)).kind, 'skip');
    assert.equal(read.read({ ...event('c', null, null, 1), value: null }).kind, 'skip');
    assert.equal(read.read(event('t', null, null, 1)).kind, 'skip');
    assert.equal(read.read(event('m', null, null, 1)).kind, 'skip');
  });

  it('rejects a record with no key under upsert, naming why', () => {
    const read = reader({});
    assert.throws(
      () => read.read({ ...event('c', null, { id: 1, status: null, total: null }, 1), key: null }),
      BadRecordError,
    );
    assert.throws(
      () => read.read({ ...event('c', null, { id: 1, status: null, total: null }, 1), key: null }),
      /has no key/,
    );
  });

  it('record_value and kafka key modes', () => {
    const byValue = reader({ 'primary.key.mode': 'record_value', 'primary.key.fields': 'status' });
    const change = byValue.read(event('u', null, { id: 1, status: 'a', total: null }, 1));
    assert.equal(change.kind === 'upsert' && change.key.map((c) => c.name).join(), 'status');
    const byKafka = reader({ 'primary.key.mode': 'kafka', 'insert.mode': 'upsert' });
    const kafka = byKafka.read(event('c', null, { id: 1, status: 'a', total: null }, 1));
    assert.equal(
      kafka.kind === 'upsert' && kafka.key.map((c) => c.name).join(),
      '__connect_topic,__connect_partition,__connect_offset',
    );
  });
});

describe('config', () => {
  const read = (raw: Record<string, string>) => {
    const parsed = parseConfig(configDef, { 'connection.url': 'jdbc:mysql://h/db', ...raw });
    assert.deepEqual([...parsed.errors], []);
    return readSinkConfig(parsed.values);
  };

  it("accepts the Confluent JDBC sink's names", () => {
    const confluent = read({
      'pk.mode': 'record_value',
      'pk.fields': 'a,b',
      'auto.evolve': 'true',
      'quote.sql.identifiers': 'never',
      'connection.user': 'u',
      'insert.mode': 'UPSERT',
    });
    assert.deepEqual(
      [
        confluent.primaryKeyMode,
        confluent.primaryKeyFields,
        confluent.schemaEvolution,
        confluent.quoteIdentifiers,
        confluent.connection.user,
        confluent.insertMode,
      ],
      ['record_value', ['a', 'b'], true, false, 'u', 'upsert'],
    );
    const defaults = read({});
    assert.deepEqual(
      [defaults.schemaEvolution, defaults.quoteIdentifiers, defaults.batchSize],
      [false, true, 500],
    );
  });

  it('rejects bad values naming the key', () => {
    const parsed = parseConfig(configDef, {
      'connection.url': 'jdbc:db2://h/x',
      'insert.mode': 'merge',
      'batch.size': '0',
      mappings: '[{"match": {}}]',
    });
    assert.deepEqual([...parsed.errors.keys()].sort(), [
      'batch.size',
      'connection.url',
      'insert.mode',
      'mappings',
    ]);
    assert.match(
      parsed.errors.get('mappings')?.[0] ?? '',
      /mappings\[0\] field "match": needs at least one of topic/,
    );
  });
});

describe('collapsing a batch', () => {
  const read = reader({ 'delete.enabled': 'true', 'truncate.enabled': 'true' });
  const row = (id: number, status: string) => ({ id, status, total: null });

  it('keeps the last change per key; delete then insert clears first', () => {
    const plan = planBatch(
      [
        event('c', null, row(1, 'a'), 1),
        event('u', null, row(1, 'b'), 1),
        event('c', null, row(2, 'a'), 2),
        event('d', row(2, 'a'), null, 2),
        event('d', row(3, 'a'), null, 3),
        event('c', null, row(3, 'z'), 3),
      ].map((record) => read.read(record)),
    );
    const [table] = plan.tables;
    assert.ok(table);
    assert.deepEqual(
      table.upserts.map((c) => [c.key[0]?.value, c.columns[1]?.value]),
      [
        [1, 'b'],
        [3, 'z'],
      ],
    );
    assert.deepEqual(
      table.deletes.map((c) => c.key[0]?.value),
      [2],
    );
    assert.deepEqual(
      table.clearFirst.map((c) => c.key[0]?.value),
      [3],
    );
  });

  it('a truncate discards the earlier changes of its table', () => {
    const plan = planBatch(
      [event('c', null, row(1, 'a'), 1), event('t', null, null, 0), event('c', null, row(2, 'a'), 2)].map(
        (r) => read.read(r),
      ),
    );
    assert.equal(plan.truncates.length, 1);
    assert.deepEqual(
      plan.tables[0]?.upserts.map((c) => c.key[0]?.value),
      [2],
    );
  });
});

describe('statements', () => {
  const table = { schema: 'we"ird', name: 'Order Items' };
  const columns = [
    { name: 'id', schema: int64(), value: 1n },
    { name: 'select', schema: optional(string()), value: "x'); drop table t; --" },
  ];

  it('PostgreSQL upsert quotes identifiers and binds every value', () => {
    const statement = insertStatement(postgresDialect, table, ['id', 'select'], [columns, columns], ['id']);
    assert.equal(
      statement.sql,
      'INSERT INTO "we""ird"."Order Items" ("id", "select") VALUES ($1, $2), ($3, $4) ON CONFLICT ("id") DO UPDATE SET "select" = EXCLUDED."select"',
    );
    assert.deepEqual(statement.params, ['1', "x'); drop table t; --", '1', "x'); drop table t; --"]);
  });

  it('MySQL upsert and composite-key delete', () => {
    const statement = insertStatement(
      mysqlDialect,
      { schema: null, name: 'a`b' },
      ['id', 'select'],
      [columns],
      ['id'],
    );
    assert.equal(
      statement.sql,
      'INSERT INTO `a``b` (`id`, `select`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `select` = VALUES(`select`)',
    );
    const key = (a: number, b: string) => [
      { name: 'a', schema: int32(), value: a },
      { name: 'b', schema: string(), value: b },
    ];
    const del = deleteStatement(mysqlDialect, { schema: null, name: 't' }, [key(1, 'x'), key(2, 'y')]);
    assert.equal(del.sql, 'DELETE FROM `t` WHERE (`a`, `b`) IN ((?, ?), (?, ?))');
    const soft = deleteStatement(postgresDialect, { schema: null, name: 't' }, [key(1, 'x')], 'deleted');
    assert.equal(soft.sql, 'UPDATE "t" SET "deleted" = TRUE WHERE ("a", "b") IN (($1, $2))');
  });

  it('PostgreSQL inserts rows as one array per column when every column type allows it', async () => {
    const target = (name: string, udtName: string) =>
      [
        name,
        {
          name,
          dataType: udtName,
          numericPrecision: null,
          numericScale: null,
          characterMaximumLength: null,
          nullable: true,
          columnDefault: null,
          udtName,
        },
      ] as const;
    const upsert = (id: bigint, nums: unknown): UpsertChange => ({
      kind: 'upsert',
      record: event('c', null, null, Number(id)),
      op: 'c',
      context: { record: event('c', null, null, 1), op: 'c', tsMs: null, source: null, sourceSchema: null },
      table,
      key: [{ name: 'id', schema: int64(), value: id }],
      columns: [
        { name: 'id', schema: int64(), value: id },
        { name: 'nums', schema: null, value: nums },
      ],
      unavailable: [],
    });
    const sent = async (
      dialect: typeof postgresDialect,
      types: Record<string, string>,
      changes: UpsertChange[],
    ) => {
      const statements: { sql: string; params: readonly unknown[]; reusable: boolean }[] = [];
      const connection: SqlConnection = {
        execute: async (sql, params = [], options = {}) => {
          statements.push({ sql, params, reusable: options.reusable === true });
          return 1;
        },
        select: async () => [],
        close: async () => undefined,
      };
      const columns = new Map(Object.entries(types).map(([name, udt]) => target(name, udt)));
      const plan = planBatch(changes);
      await new BatchWriter(dialect, 'upsert', 500).apply(connection, plan, () => columns);
      return statements;
    };
    const rows = [upsert(1n, 'a'), upsert(2n, null)];
    assert.deepEqual(await sent(postgresDialect, { id: 'int8', nums: 'text' }, rows), [
      {
        sql: 'INSERT INTO "we""ird"."Order Items" ("id", "nums") SELECT * FROM unnest($1::int8[], $2::text[]) ON CONFLICT ("id") DO UPDATE SET "nums" = EXCLUDED."nums"',
        params: [
          ['1', '2'],
          ['a', null],
        ],
        reusable: true,
      },
    ]);
    // unnest would flatten an array column's values, and an array value bound for another type.
    const arrayColumn = await sent(postgresDialect, { id: 'int8', nums: '_int4' }, rows);
    assert.match(arrayColumn[0]?.sql ?? '', / VALUES \(\$1, \$2\), \(\$3, \$4\)/);
    const arrayValue = await sent(postgresDialect, { id: 'int8', nums: 'jsonb' }, [upsert(1n, [1, 2])]);
    assert.match(arrayValue[0]?.sql ?? '', / VALUES \(\$1, \$2\)/);
    const unknownType = await sent(postgresDialect, { id: 'int8', nums: 'mood' }, rows);
    assert.match(unknownType[0]?.sql ?? '', / VALUES /);
    const mysql = await sent(mysqlDialect, { id: 'int8', nums: 'text' }, rows);
    assert.match(mysql[0]?.sql ?? '', / VALUES \(\?, \?\), \(\?, \?\)/);
  });

  it('chunks rows under the parameter limit', () => {
    assert.deepEqual(
      chunkRows([1, 2, 3, 4, 5], 30000, 65535, 500).map((c) => c.length),
      [2, 2, 1],
    );
  });
});

describe('type mapping and values', () => {
  const cases: [Schema, string, string][] = [
    [decimal(3, 12), 'numeric(12, 3)', 'decimal(12, 3)'],
    [logical(LogicalName.MicroTimestamp), 'timestamp(6)', 'datetime(6)'],
    [logical(LogicalName.ZonedTimestamp), 'timestamptz', 'datetime(6)'],
    [logical(LogicalName.Json), 'jsonb', 'json'],
    [logical(LogicalName.Uuid), 'uuid', 'char(36)'],
    [{ type: 'bytes', optional: false }, 'bytea', 'longblob'],
    [array(int64()), 'bigint[]', 'json'],
    [array(struct('x', [['a', int32()]])), 'jsonb', 'json'],
  ];
  for (const [schema, pg, my] of cases) {
    it(`${schema.name ?? schema.type} → ${pg} / ${my}`, () => {
      assert.equal(postgresDialect.columnType(schema, false), pg);
      assert.equal(mysqlDialect.columnType(schema, false), my);
    });
  }

  it('MySQL key columns use bounded types', () => {
    assert.equal(mysqlDialect.columnType(string(), true), 'varchar(255)');
    assert.equal(mysqlDialect.columnType(string(), false), 'longtext');
  });

  it('binds temporal values exactly', () => {
    assert.equal(timestampLiteral(1_700_000_000_123_456n, 'mysql'), '2023-11-14 22:13:20.123456');
    assert.equal(timestampLiteral(-1n, 'postgresql'), '1969-12-31 23:59:59.999999');
    assert.equal(timeLiteral(45_296_000_001n, 'postgresql'), '12:34:56.000001');
    assert.equal(dateLiteral(19000, 'mysql'), '2022-01-08');
    assert.equal(
      zonedTimestampLiteral('2024-03-01T10:15:30.123456+02:00', 'mysql'),
      '2024-03-01 08:15:30.123456',
    );
    assert.equal(postgresDialect.bind(logical(LogicalName.MicroTimestamp), 0n), '1970-01-01 00:00:00.000000');
    assert.equal(
      mysqlDialect.bind(logical(LogicalName.ZonedTimestamp), '2024-01-01T00:00:00Z'),
      '2024-01-01 00:00:00.000000',
    );
    assert.deepEqual(postgresDialect.bind(array(int64()), [1n, 2n]), ['1', '2']);
    assert.equal(mysqlDialect.bind(array(int64()), [1n, 2n]), '[1,2]');
    assert.equal(
      postgresDialect.bind(
        { type: 'struct', optional: true, name: LogicalName.VariableScaleDecimal },
        { scale: 2, value: Buffer.from([0x04, 0xd2]) },
      ),
      '12.34',
    );
  });
});

describe('values a target cannot hold', () => {
  it('PostgreSQL gets ±infinity and BC dates exactly', () => {
    assert.equal(dateLiteral(2147483647, 'postgresql'), 'infinity');
    assert.equal(dateLiteral(-2147483648, 'postgresql'), '-infinity');
    // 0044-03-15 BC is astronomical year -43.
    assert.equal(dateLiteral(-735160, 'postgresql'), '0044-03-15 BC');
    assert.equal(dateLiteral(-719162, 'postgresql'), '0001-01-01');
    assert.equal(timestampLiteral(9223372036854775807n, 'postgresql'), 'infinity');
    assert.equal(timestampLiteral(-9223372036854775000n, 'postgresql'), '-infinity');
    assert.equal(
      zonedTimestampLiteral('-0043-03-15T10:00:00Z', 'postgresql'),
      '0044-03-15 10:00:00.000000+00 BC',
    );
    assert.equal(zonedTimestampLiteral('infinity', 'postgresql'), 'infinity');
    assert.equal(
      zonedTimestampLiteral('2024-03-01T10:15:30.5+02:00', 'postgresql'),
      '2024-03-01T10:15:30.5+02:00',
    );
  });

  it('MySQL refuses them naming the value, or clamps when asked', () => {
    assert.throws(() => dateLiteral(2147483647, 'mysql'), /infinity has no MySQL\/MariaDB DATE.*clamp/);
    assert.throws(
      () => timestampLiteral(-735160n * 86_400_000_000n, 'mysql'),
      /0044-03-15 00:00:00.000000 BC is outside the years 1 to 9999/,
    );
    assert.equal(dateLiteral(2147483647, 'mysql-clamp'), '9999-12-31');
    assert.equal(timestampLiteral(-735160n * 86_400_000_000n, 'mysql-clamp'), '0001-01-01 00:00:00.000000');
  });

  it('MySQL TIME durations are exact in MySQL and refused by PostgreSQL time', () => {
    const negative = -((12n * 3600n + 34n * 60n + 56n) * 1_000_000n + 123_456n);
    assert.equal(timeLiteral(negative, 'mysql'), '-12:34:56.123456');
    assert.equal(timeLiteral((838n * 3600n + 59n * 60n + 59n) * 1_000_000n, 'mysql'), '838:59:59.000000');
    assert.throws(
      () => timeLiteral(negative, 'postgresql'),
      /time -12:34:56.123456 is outside 00:00:00 to 24:00:00/,
    );
    assert.equal(timeLiteral(86_400_000_000n, 'postgresql'), '24:00:00.000000');
    assert.throws(
      () => mysqlDialect.bind(logical(LogicalName.MicroTime), 900n * 3_600_000_000n),
      /outside MySQL\/MariaDB TIME/,
    );
  });

  it('a decimal that would be rounded does not fit', () => {
    assert.equal(decimalFitProblem('12.34', 12, 2), undefined);
    assert.equal(decimalFitProblem('1e-20', 65, 30), undefined);
    assert.match(
      decimalFitProblem('1e-40', 65, 30) ?? '',
      /40 digits after the point, more than the scale 30/,
    );
    assert.match(decimalFitProblem('12.345', 12, 2) ?? '', /3 digits after the point/);
    assert.match(
      decimalFitProblem('12345678901.5', 12, 2) ?? '',
      /11 digits before the point, more than the 10 allowed/,
    );
    assert.equal(decimalFitProblem('-0.0000', 3, 0), undefined);
    assert.equal(decimalFitProblem('12345678901234567890.123456789', null, null), undefined);
  });
});

describe('MySQL/MariaDB ADD COLUMN with a source default', () => {
  const table = { schema: null, name: 'docs' };
  const add = (schema: Schema, value: unknown) =>
    addColumnWithDefaultStatement(
      mysqlDialect,
      (bound) => mysqlDialect.defaultLiteral!(bound),
      table,
      { name: 'c', type: 'x', notNull: false },
      { name: 'c', schema: optional(schema), value },
    );

  it('renders the default in the ADD itself, text and bytes as hex whatever sql_mode says of backslashes', () => {
    assert.equal(
      add(string(), "it's \\ é"),
      "ALTER TABLE `docs` ADD COLUMN `c` x NULL DEFAULT (CONVERT(X'69742773205c20c3a9' USING utf8mb4))",
    );
    assert.match(add(bytes(), Buffer.from([0, 0x27, 0xff])), / NULL DEFAULT \(X'0027ff'\)$/);
    assert.match(add(int64(), 9223372036854775807n), /DEFAULT \(CONVERT\(X'39323233.*' USING utf8mb4\)\)$/);
    assert.match(add(boolean(), true), / NULL DEFAULT 1$/);
    assert.match(add(int32(), -7), / NULL DEFAULT -7$/);
    // The shortest text that reads back as the same double, as a double literal (not a decimal).
    assert.match(add(float64(), 0.1), / NULL DEFAULT 1e-1$/);
    assert.equal(Number(/DEFAULT (.*)$/.exec(add(float64(), 1 / 3))?.[1]), 1 / 3);
  });

  it('refuses, naming the column, a default it cannot write exactly', () => {
    assert.throws(
      () => add(float64(), Number.NaN),
      (error: Error) =>
        error instanceof BadRecordError &&
        /column "c": a default of NaN cannot be written exactly/.test(error.message),
    );
  });
});
