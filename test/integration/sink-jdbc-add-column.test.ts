// schema.evolution=basic adding a column whose source ADD COLUMN … DEFAULT gave the rows that
// already existed a value, against the real PostgreSQL and MariaDB targets: every type a
// default can have arrives exactly in the old rows, and a crash right after the ALTER TABLE
// cannot leave them NULL (PostgreSQL adds and fills in one transaction, MariaDB adds with
// DEFAULT in one statement).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SinkTask } from '../../runtime/plugin/index.js';
import type { Schema } from '../../runtime/record/index.js';
import {
  LogicalName,
  boolean,
  bytes,
  decimal,
  decimalToUnscaled,
  float32,
  float64,
  int16,
  int32,
  int64,
  int8,
  logical,
  optional,
  string,
  struct,
  unscaledToBytes,
} from '../../runtime/record/index.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import { plugin } from '../../connectors/sink-jdbc/index.js';
import { readSinkConfig } from '../../connectors/sink-jdbc/config.js';
import type { SqlConnection } from '../../connectors/sink-jdbc/dialect.js';
import { mysqlDialect } from '../../connectors/sink-jdbc/mysql-dialect.js';
import { postgresDialect } from '../../connectors/sink-jdbc/postgres-dialect.js';
import { RowChangeReader } from '../../connectors/sink-jdbc/row-change.js';
import { TargetTables } from '../../connectors/sink-jdbc/target-tables.js';
import { type FakeSinkTaskContext, quietLogger, uniqueName } from '../support/plugin-test-kit.js';
import { EventFactory, TARGETS, createDatabase, startTask, type TestDatabase } from './sink-jdbc-harness.js';

const keySchema = struct('srv.public.docs.Key', [['id', int32()]]);
const v1 = struct('srv.public.docs.Value', [
  ['id', int32()],
  ['n', optional(int32())],
]);
const withDefault = (schema: Schema, defaultValue: unknown): Schema => ({
  ...optional(schema),
  defaultValue,
});

/** Defaults a source column can carry, with what a quote, a backslash or a rounding would break. */
const DEFAULTS: readonly (readonly [string, Schema, unknown])[] = [
  ['i8', int8(), -128],
  ['i16', int16(), 32767],
  ['i32', int32(), -2147483648],
  ['i64', int64(), 9223372036854775807n],
  ['f32', float32(), Math.fround(0.1)],
  ['f64', float64(), 0.1],
  ['f64_tiny', float64(), -1.2345678901234566e-300],
  ['dec', decimal(10, 30), '-12345678901234567890.0123456789'],
  [
    'vdec',
    logical(LogicalName.VariableScaleDecimal),
    { scale: 7, value: unscaledToBytes(decimalToUnscaled('98765432109876.5432101', 7)) },
  ],
  ['txt', string(), `it's a \\'quote\\' "and" \\\\ back\\slash; é 中文 😀 %_ \n\t end\\`],
  ['yes', boolean(), true],
  ['no', boolean(), false],
  ['day', logical(LogicalName.Date), 18262],
  ['at', logical(LogicalName.MicroTimestamp), 1577934245123456n],
  ['zoned', logical(LogicalName.ZonedTimestamp), '2020-01-02T03:04:05.123456+02:00'],
  ['clock', logical(LogicalName.MicroTime), 45296789012n],
  ['raw', bytes(), Buffer.from([0x00, 0x27, 0x5c, 0x22, 0xff, 0x0a])],
  ['doc', logical(LogicalName.Json), '{"a": "it\'s \\"x\\" \\\\", "b": [1, 2.5]}'],
  ['uid', logical(LogicalName.Uuid), '6f1c2f0e-3b8a-4d2e-9c1a-0b5e8f7d6a43'],
];

const v2 = struct('srv.public.docs.Value', [
  ...v1.fields!.map((field) => [field.name, field.schema] as const),
  ...DEFAULTS.map(([name, schema, value]) => [name, withDefault(schema, value)] as const),
]);

/** Record values as the source sends them: the defaults of every added column. */
function v2Row(id: number): Record<string, unknown> {
  return { id, n: id, ...Object.fromEntries(DEFAULTS.map(([name, , value]) => [name, value])) };
}

for (const target of TARGETS) {
  describe(`added columns with a source default into ${target}`, { concurrency: false }, () => {
    let db: TestDatabase;
    const tasks: { task: SinkTask; context: FakeSinkTaskContext }[] = [];
    const q = (identifier: string) => (target === 'postgresql' ? `"${identifier}"` : `\`${identifier}\``);
    /** One canonical text per column, the same for a value however it was written. */
    const canonical = (column: string) =>
      target === 'postgresql'
        ? column === 'raw'
          ? `encode(${q(column)}, 'hex')`
          : `${q(column)}::text`
        : column === 'raw'
          ? `LOWER(HEX(${q(column)}))`
          : `CAST(${q(column)} AS CHAR)`;
    const table = (prefix: string) => uniqueName(prefix).replaceAll('-', '_');
    const raw = (name: string) => ({
      'connection.url': db.url,
      'auto.create': 'true',
      'schema.evolution': 'basic',
      'table.name.format': name,
    });
    const start = async (name: string) => {
      const started = await startTask(raw(name));
      tasks.push(started);
      return started;
    };
    /** Rows by id, each column as canonical text. */
    const rowsOf = async (name: string) => {
      const columns = ['id', ...DEFAULTS.map(([column]) => column)];
      const rows = await db.query(
        `SELECT ${columns.map((column) => `${canonical(column)} AS ${q(column)}`).join(', ')} FROM ${q(name)} ORDER BY ${q('id')}`,
      );
      return rows.map((row) => columns.map((column) => row[column]));
    };
    /** Two rows written before the column came, through a task that then stops. */
    const oldRows = async (name: string, events: EventFactory) => {
      const { task } = await start(name);
      await task.put([
        events.event('r', { id: 1 }, null, { id: 1, n: 1 }),
        events.event('r', { id: 2 }, null, { id: 2, n: 2 }),
      ]);
    };

    before(async () => {
      db = await createDatabase(target);
    });
    after(async () => {
      for (const { task, context } of tasks) {
        context.stop();
        await task.stop();
      }
      await db.drop();
    });

    it('rows that existed get exactly the default, for every type a default can have', async () => {
      const name = table('added_types');
      const first = new EventFactory(uniqueName('srv.public.docs'), keySchema, v1);
      await oldRows(name, first);
      const later = new EventFactory(first.topic, keySchema, v2);
      const { task, context } = await start(name);
      // The new row carries the defaults as values, bound as parameters: the old rows must read the same.
      await task.put([later.event('c', { id: 3 }, null, v2Row(3))]);
      assert.equal(context.badRecords.length, 0);
      const rows = await rowsOf(name);
      assert.equal(rows.length, 3);
      const written = rows[2]!.slice(1);
      for (const row of rows.slice(0, 2)) {
        DEFAULTS.forEach(([column], index) => {
          assert.notEqual(row[index + 1], null, `old row ${String(row[0])}: ${column} is NULL`);
          assert.equal(row[index + 1], written[index], `old row ${String(row[0])}: ${column}`);
        });
      }
      // And the values themselves, where a text form is the same in both databases.
      const value = (column: string) => written[DEFAULTS.findIndex(([c]) => c === column)];
      assert.equal(value('i64'), '9223372036854775807');
      assert.equal(value('dec'), '-12345678901234567890.0123456789');
      assert.equal(value('vdec'), `98765432109876.5432101${target === 'mariadb' ? '0'.repeat(23) : ''}`);
      assert.equal(value('txt'), DEFAULTS.find(([c]) => c === 'txt')![2]);
      assert.equal(value('raw'), '00275c22ff0a');
      assert.equal(value('uid'), '6f1c2f0e-3b8a-4d2e-9c1a-0b5e8f7d6a43');
      assert.match(String(value('at')), /^2020-01-02[ T]03:04:05\.123456/);
    });

    it('a crash right after the ALTER TABLE leaves no NULL in the rows that existed, after a restart', async () => {
      const name = table('added_crash');
      const first = new EventFactory(uniqueName('srv.public.docs'), keySchema, v1);
      await oldRows(name, first);
      const later = new EventFactory(first.topic, keySchema, v2);
      const reader = new RowChangeReader(
        readSinkConfig(parseConfig(plugin.configDef, raw(name)).values),
        (identifier) => identifier,
      );
      const changes = [reader.read(later.event('c', { id: 3 }, null, v2Row(3)))];
      const dialect = target === 'postgresql' ? postgresDialect : mysqlDialect;
      const settings = readSinkConfig(parseConfig(plugin.configDef, raw(name)).values).connection;
      const options = { autoCreate: true, schemaEvolution: true };

      const crashing = new CrashAfterAlter(await dialect.connect(settings, quietLogger));
      await assert.rejects(new TargetTables(dialect, options, quietLogger).prepare(crashing, changes));
      assert.ok(crashing.crashed, 'the crash was injected right after an ALTER TABLE');

      // The restarted task prepares the same batch on a new connection.
      const connection = await dialect.connect(settings, quietLogger);
      try {
        const prepared = await new TargetTables(dialect, options, quietLogger).prepare(connection, changes);
        assert.equal(prepared.bad.size, 0);
      } finally {
        await connection.close();
      }
      const rows = await rowsOf(name);
      assert.equal(rows.length, 2, 'only the old rows: the batch itself was not written');
      const expected = await defaultsAsStored(name);
      for (const row of rows) {
        DEFAULTS.forEach(([column], index) => {
          assert.notEqual(row[index + 1], null, `old row ${String(row[0])}: ${column} is NULL`);
          assert.equal(row[index + 1], expected[index], `old row ${String(row[0])}: ${column}`);
        });
      }
    });

    it('two tasks adding the column at the same moment both go on, and the old rows get the default', async () => {
      const name = table('added_race');
      const first = new EventFactory(uniqueName('srv.public.docs'), keySchema, v1);
      await oldRows(name, first);
      const later = new EventFactory(first.topic, keySchema, v2);
      const config = readSinkConfig(parseConfig(plugin.configDef, raw(name)).values);
      const reader = new RowChangeReader(config, (identifier) => identifier);
      const changes = [reader.read(later.event('c', { id: 3 }, null, v2Row(3)))];
      const dialect = target === 'postgresql' ? postgresDialect : mysqlDialect;
      const options = { autoCreate: true, schemaEvolution: true };
      const connections = await Promise.all([
        dialect.connect(config.connection, quietLogger),
        dialect.connect(config.connection, quietLogger),
      ]);
      try {
        const prepared = await Promise.all(
          connections.map((connection) =>
            new TargetTables(dialect, options, quietLogger).prepare(connection, changes),
          ),
        );
        assert.deepEqual(
          prepared.map((result) => result.bad.size),
          [0, 0],
        );
      } finally {
        await Promise.all(connections.map((connection) => connection.close()));
      }
      const expected = await defaultsAsStored(name);
      for (const row of await rowsOf(name)) {
        DEFAULTS.forEach(([column], index) => {
          assert.equal(row[index + 1], expected[index], `old row ${String(row[0])}: ${column}`);
        });
      }
    });

    it('a defaulted column widened later keeps its default', async () => {
      const name = table('added_widen');
      const first = new EventFactory(uniqueName('srv.public.docs'), keySchema, v1);
      await oldRows(name, first);
      const amount = (precision: number) =>
        struct('srv.public.docs.Value', [
          ...v1.fields!.map((f) => [f.name, f.schema] as const),
          ['amount', withDefault(decimal(2, precision), '12.50')],
        ]);
      const { task, context } = await start(name);
      await task.put([
        new EventFactory(first.topic, keySchema, amount(6)).event('c', { id: 3 }, null, {
          id: 3,
          n: 3,
          amount: '1.00',
        }),
      ]);
      await task.put([
        new EventFactory(first.topic, keySchema, amount(20)).event('c', { id: 4 }, null, {
          id: 4,
          n: 4,
          amount: '123456789012345678.00',
        }),
      ]);
      assert.equal(context.badRecords.length, 0);
      // A row inserted without the column takes the default the target column still has.
      await db.query(`INSERT INTO ${q(name)} (${q('id')}) VALUES (5)`);
      const rows = await db.query(
        `SELECT ${canonical('id')} AS id, ${canonical('amount')} AS amount FROM ${q(name)} ORDER BY ${q('id')}`,
      );
      assert.deepEqual(
        rows.map((row) => [row.id, row.amount]),
        [
          ['1', '12.50'],
          ['2', '12.50'],
          ['3', '1.00'],
          ['4', '123456789012345678.00'],
          ['5', target === 'mariadb' ? '12.50' : null],
        ],
      );
    });

    /** The defaults as the target stores them: written as a row through a task, then read back. */
    const defaultsAsStored = async (of: string) => {
      const name = table(`${of}_ref`);
      const events = new EventFactory(uniqueName('srv.public.docs'), keySchema, v2);
      const { task } = await start(name);
      await task.put([events.event('c', { id: 9 }, null, v2Row(9))]);
      return (await rowsOf(name))[0]!.slice(1);
    };
  });
}

/**
 * The sink's connection, killed right after its first ALTER TABLE succeeds and before
 * anything else runs on it: what a crash of the worker or a lost connection does there.
 */
class CrashAfterAlter implements SqlConnection {
  crashed = false;

  constructor(private readonly inner: SqlConnection) {}

  async execute(
    sql: string,
    params?: readonly unknown[],
    options?: { readonly reusable?: boolean },
  ): Promise<number> {
    if (this.crashed) throw new Error('connection lost');
    const affected = await this.inner.execute(sql, params, options);
    if (sql.startsWith('ALTER TABLE')) {
      this.crashed = true;
      await this.inner.close();
      throw new Error('crash injected right after ALTER TABLE');
    }
    return affected;
  }

  async select(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]> {
    if (this.crashed) throw new Error('connection lost');
    return this.inner.select(sql, params);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
