// The type-fidelity matrix: a PostgreSQL table with a column of each common type (twice:
// REPLICA IDENTITY DEFAULT and FULL) and a MariaDB table of the MySQL types, captured by
// the real sources (snapshot rows, then the same rows inserted while streaming, updates of
// a non-TOASTed column, deletes), through Avro and Kafka, applied by sink-jdbc into a
// PostgreSQL and a MariaDB target with auto.create. Every column of every row is compared
// with the source, and each type × target cell is one of: exact, a documented
// transformation (the connectors' READMEs say what and why), or rejected with a clear
// error (the dead-letter record names the column). Anything else fails the test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createConverter } from '../../runtime/converters/index.js';
import {
  deleteTopics,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { createDatabase, type Target, type TestDatabase } from './sink-jdbc-harness.js';
import {
  connectorConfig as mysqlConnectorConfig,
  TestDatabase as MysqlSource,
} from './source-mysql-harness.js';
import { connectorConfig as pgConnectorConfig, createTestDatabase } from './source-postgres-harness.js';
import { createTopicAndWait } from '../../runtime/plugin/index.js';

type Reader = (column: string) => string;

interface Case {
  readonly column: string;
  readonly type: string;
  /** SQL literal of the ordinary row. */
  readonly value: string;
  /** SQL literals of edge values; each gets a row of its own (ordinary values elsewhere). */
  readonly edges?: readonly string[];
  /** SQL reading the column as text, where `column::text` / CAST(column AS CHAR) is not it. */
  readonly read?: Partial<Record<'source' | Target, Reader>>;
  /** Applied to source and target text before comparing (formatting only, never the value). */
  readonly norm?: (text: string) => string;
  /** A documented transformation: what the target holds for a source text, and why. */
  readonly transform?: Partial<
    Record<Target, { readonly why: string; readonly to?: (source: string) => string }>
  >;
  /** Edge values (indexes into edges) the target refuses, and what the refusal must say. */
  readonly rejects?: Partial<Record<Target, { readonly edges: readonly number[]; readonly message: RegExp }>>;
  /** Not captured at all (documented), so no target has the column. */
  readonly excluded?: string;
}

const names = uniqueNames('fidelity-matrix');
const prefix = names.group.replaceAll('-', '_');
const TARGETS: readonly Target[] = ['postgresql', 'mariadb'];

const fraction = (text: string) => text.replace(/(\.\d*?)0+(?=$|[+\s])/, '$1').replace(/\.(?=$|[+\s])/, '');
const json = (text: string) => JSON.stringify(JSON.parse(text));
const pgArrayJson = (text: string) =>
  JSON.stringify(
    text
      .replace(/[{}]/g, '')
      .split(',')
      .map((item) => (item === 'NULL' ? null : Number(item))),
  );
const bitsHex = (bits: string) => {
  let n = BigInt(`0b${bits}`);
  const bytes: string[] = [];
  do {
    bytes.push((n & 0xffn).toString(16).padStart(2, '0'));
    n >>= 8n;
  } while (n > 0n);
  return bytes.join('');
};
const outOfMysqlRange = (column: string) =>
  new RegExp(`column "${column}": .*(is outside the years 1 to 9999|has no MySQL/MariaDB)`);
const md5: Partial<Record<'source' | Target, Reader>> = {
  source: (c) => `md5(${c}::text)`,
  postgresql: (c) => `md5(${c}::text)`,
  mariadb: (c) => `MD5(${c})`,
};

const PG_CASES: readonly Case[] = [
  { column: 'c_smallint', type: 'smallint', value: '-32768', edges: ['32767'] },
  { column: 'c_int', type: 'integer', value: '-2147483648' },
  {
    column: 'c_bigint',
    type: 'bigint DEFAULT 5',
    value: '9223372036854775807',
    edges: ['-9223372036854775808'],
  },
  { column: 'c_num', type: 'numeric(12,2) DEFAULT 1.5', value: '-1234567890.12' },
  {
    column: 'c_numv',
    type: 'numeric',
    value: '12345678901234567890.123456789',
    edges: ['1e-20', '1e-40'],
    norm: fraction,
    rejects: {
      mariadb: {
        edges: [1],
        message: /column "c_numv" value 0\.0+1 has 40 digits after the point, more than the scale 30/,
      },
    },
  },
  {
    column: 'c_real',
    type: 'real',
    value: '1.5',
    edges: ["'NaN'", "'Infinity'", "'-Infinity'", "'-0'"],
    transform: { mariadb: { why: '-0 is stored as 0', to: (s) => (s === '-0' ? '0' : s) } },
    rejects: {
      mariadb: {
        edges: [0, 1, 2],
        message: /column "c_real" value (NaN|-?Infinity) has no MySQL\/MariaDB float/,
      },
    },
  },
  {
    column: 'c_double',
    type: 'double precision',
    value: '3.141592653589793',
    edges: ["'NaN'", "'Infinity'", "'-Infinity'", "'-0'"],
    transform: { mariadb: { why: '-0 is stored as 0', to: (s) => (s === '-0' ? '0' : s) } },
    rejects: {
      mariadb: {
        edges: [0, 1, 2],
        message: /column "c_double" value (NaN|-?Infinity) has no MySQL\/MariaDB double/,
      },
    },
  },
  {
    column: 'c_money',
    type: 'money',
    value: '12.34',
    read: { source: (c) => `${c}::numeric::text` },
    transform: {
      postgresql: { why: 'money as numeric (the amount)' },
      mariadb: { why: 'money as decimal (the amount)' },
    },
  },
  {
    column: 'c_bool',
    type: 'boolean DEFAULT true',
    value: 'true',
    edges: ['false'],
    transform: { mariadb: { why: 'boolean is tinyint(1): 1 and 0', to: (s) => (s === 'true' ? '1' : '0') } },
  },
  {
    column: 'c_char',
    type: 'char(5)',
    value: "'ab'",
    transform: {
      postgresql: { why: 'char(n) in a text column keeps its padding', to: (s) => s.padEnd(5) },
      mariadb: { why: 'char(n) in a text column keeps its padding', to: (s) => s.padEnd(5) },
    },
  },
  { column: 'c_varchar', type: 'varchar(20)', value: `'it''s "q"'` },
  {
    column: 'c_text',
    type: 'text',
    value: "'ünïcode 😀 back\\slash \\n'",
    edges: ["repeat('ünïcode 😀 \\ ', 62000)"],
    read: md5,
  },
  {
    column: 'c_bytea',
    type: 'bytea',
    value: "'\\x00ff10'",
    read: {
      source: (c) => `encode(${c}, 'hex')`,
      postgresql: (c) => `encode(${c}, 'hex')`,
      mariadb: (c) => `LOWER(HEX(${c}))`,
    },
  },
  {
    column: 'c_date',
    type: "date DEFAULT '2024-01-01'",
    value: "'2024-02-29'",
    edges: ["'infinity'", "'-infinity'", "'0001-01-01'", "'9999-12-31'", "'0044-03-15 BC'"],
    rejects: { mariadb: { edges: [0, 1, 4], message: outOfMysqlRange('c_date') } },
  },
  {
    column: 'c_ts',
    type: "timestamp(6) DEFAULT '2024-01-01 00:00:00'",
    value: "'2024-02-29 13:14:15.123456'",
    edges: [
      "'infinity'",
      "'-infinity'",
      "'0001-01-01 00:00:00'",
      "'9999-12-31 23:59:59.999999'",
      "'0044-03-15 10:00:00 BC'",
    ],
    norm: fraction,
    rejects: { mariadb: { edges: [0, 1, 4], message: outOfMysqlRange('c_ts') } },
  },
  {
    column: 'c_tstz',
    type: "timestamptz DEFAULT '2024-01-01 00:00:00+00'",
    value: "'2024-02-29 13:14:15.123456+02'",
    edges: ["'infinity'", "'-infinity'", "'0001-01-01 00:00:00+00'", "'0044-03-15 10:00:00+00 BC'"],
    read: {
      source: (c) => `(${c} AT TIME ZONE 'UTC')::text`,
      postgresql: (c) => `(${c} AT TIME ZONE 'UTC')::text`,
    },
    norm: fraction,
    transform: { mariadb: { why: 'datetime(6) in UTC, the offset not kept' } },
    rejects: { mariadb: { edges: [0, 1, 3], message: outOfMysqlRange('c_tstz') } },
  },
  { column: 'c_time', type: 'time(6)', value: "'23:59:59.999999'", edges: ["'24:00:00'"], norm: fraction },
  {
    column: 'c_timetz',
    type: 'timetz',
    value: "'10:15:30.5+02'",
    norm: fraction,
    transform: {
      postgresql: { why: 'ZonedTime is UTC: the same instant at +00', to: () => '08:15:30.5+00' },
      mariadb: { why: 'time(6) in UTC, the offset not kept', to: () => '08:15:30.5' },
    },
  },
  {
    column: 'c_interval',
    type: 'interval',
    value: "'1 year 2 mons 3 days 04:05:06.789'",
    read: {
      source: (c) => `(extract(epoch from ${c}) * 1000000)::bigint::text`,
      postgresql: (c) => `(extract(epoch from ${c}) * 1000000)::bigint::text`,
    },
    transform: {
      postgresql: { why: 'MicroDuration counts a month as 30.4375 days', to: () => '37091106789000' },
      mariadb: {
        why: 'MicroDuration as bigint microseconds, a month = 30.4375 days',
        to: () => '37091106789000',
      },
    },
  },
  { column: 'c_uuid', type: 'uuid', value: "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'" },
  {
    column: 'c_json',
    type: 'json',
    value: `'{"b": 1, "a": [1, 2.50]}'`,
    transform: {
      postgresql: { why: 'json as jsonb (key order, spaces)', to: () => '{"a": [1, 2.50], "b": 1}' },
    },
  },
  { column: 'c_jsonb', type: "jsonb DEFAULT '{}'", value: `'{"b": 1, "a": "x"}'`, norm: json },
  { column: 'c_xml', type: 'xml', value: `'<a x="1">t</a>'` },
  { column: 'c_inet', type: 'inet', value: "'192.168.0.1/24'" },
  { column: 'c_cidr', type: 'cidr', value: "'10.0.0.0/8'" },
  { column: 'c_macaddr', type: 'macaddr', value: "'08:00:2b:01:02:03'" },
  {
    column: 'c_bit',
    type: 'bit(10)',
    value: "B'1010000001'",
    read: { postgresql: (c) => `encode(${c}, 'hex')`, mariadb: (c) => `LOWER(HEX(${c}))` },
    transform: {
      postgresql: { why: 'Bits: bytes, least significant first', to: bitsHex },
      mariadb: { why: 'Bits: bytes, least significant first', to: bitsHex },
    },
  },
  {
    column: 'c_varbit',
    type: 'varbit',
    value: "B'101'",
    read: { postgresql: (c) => `encode(${c}, 'hex')`, mariadb: (c) => `LOWER(HEX(${c}))` },
    transform: {
      postgresql: { why: 'Bits: bytes, least significant first', to: bitsHex },
      mariadb: { why: 'Bits: bytes, least significant first', to: bitsHex },
    },
  },
  { column: 'c_range', type: 'int4range', value: "'[1,10)'" },
  { column: 'c_mood', type: 'mood', value: "'happy'" },
  { column: 'c_domain', type: 'posint', value: '7' },
  {
    column: 'c_int_arr',
    type: 'int[]',
    value: "'{1,NULL,3}'",
    edges: ["'{{1,2},{3,4}}'"],
    transform: {
      postgresql: {
        why: 'multi-dimensional arrays flattened',
        to: (s) => (s.startsWith('{{') ? '{1,2,3,4}' : s),
      },
      mariadb: { why: 'the array as JSON, flattened', to: pgArrayJson },
    },
    norm: (s) => (s.startsWith('[') ? json(s) : s),
  },
  {
    column: 'c_text_arr',
    type: 'text[]',
    value: `'{"a,b","c\\"d",NULL}'`,
    transform: { mariadb: { why: 'the array as JSON', to: () => JSON.stringify(['a,b', 'c"d', null]) } },
    norm: (s) => (s.startsWith('[') ? json(s) : s),
  },
  {
    column: 'c_point',
    type: 'point',
    value: "'(1.5,2)'",
    read: {
      source: (c) => `${c}[0]::text || ',' || ${c}[1]::text`,
      postgresql: (c) => `(${c}->>'x') || ',' || (${c}->>'y')`,
      mariadb: (c) => `CONCAT(JSON_VALUE(${c}, '$.x'), ',', JSON_VALUE(${c}, '$.y'))`,
    },
    transform: {
      postgresql: { why: 'the Debezium Point struct {x, y, wkb, srid} as jsonb' },
      mariadb: { why: 'the Debezium Point struct {x, y, wkb, srid} as JSON' },
    },
  },
  {
    column: 'c_hstore',
    type: 'hstore',
    value: `'"k1"=>"v1", "k 2"=>NULL'`,
    read: { source: (c) => `hstore_to_json(${c})::text` },
    norm: json,
    transform: {
      postgresql: { why: 'hstore as a JSON object (jsonb)' },
      mariadb: { why: 'hstore as a JSON object' },
    },
  },
  {
    column: 'c_gen',
    type: 'integer GENERATED ALWAYS AS (c_int + 1) STORED',
    value: 'DEFAULT',
    excluded: 'generated columns are not captured (pgoutput does not send them)',
  },
  {
    column: 't_text',
    type: 'text',
    value: "(SELECT string_agg(md5(g::text || random()::text), '') FROM generate_series(1, 1300) g)",
    read: md5,
  },
  {
    column: 't_doc',
    type: 'jsonb',
    value: '(SELECT jsonb_agg(md5(g::text || random()::text)) FROM generate_series(1, 1100) g)',
    norm: json,
  },
  {
    column: 't_nums',
    type: 'int[]',
    value: '(SELECT array_agg((random() * 2e9 - 1e9)::int) FROM generate_series(1, 6000))',
    read: {
      source: (c) => `md5(array_to_json(${c})::text)`,
      postgresql: (c) => `md5(array_to_json(${c})::text)`,
      mariadb: (c) => `MD5(${c})`,
    },
    transform: { mariadb: { why: 'the array as JSON' } },
  },
];

const MY_CASES: readonly Case[] = [
  { column: 'm_bool', type: 'TINYINT(1)', value: '1', edges: ['0'] },
  { column: 'm_utiny', type: 'TINYINT UNSIGNED', value: '255' },
  { column: 'm_usmall', type: 'SMALLINT UNSIGNED', value: '65535' },
  { column: 'm_uint', type: 'INT UNSIGNED', value: '4294967295' },
  { column: 'm_ubig', type: 'BIGINT UNSIGNED DEFAULT 7', value: '18446744073709551615', edges: ['0'] },
  { column: 'm_dec', type: 'DECIMAL(30,10) DEFAULT 1.5', value: '12345678901234567890.0123456789' },
  {
    column: 'm_float',
    type: 'FLOAT',
    value: '1.5',
    // Values that need all 9 digits of a float: stored 16777216, the float nearest 0.1, the largest.
    edges: ['16777217', '0.1', '3.4028234e38'],
    // MariaDB prints FLOAT with 6 digits; as DOUBLE it prints the float's value in full.
    read: { source: (c) => `CAST(${c} AS DOUBLE)`, mariadb: (c) => `CAST(${c} AS DOUBLE)` },
    // Each side's text read back as the float it denotes (PostgreSQL's real prints fewer digits).
    norm: (s) => String(Math.fround(Number(s))),
  },
  {
    column: 'm_double',
    type: 'DOUBLE',
    value: '2.25',
    // 17 significant digits, the largest double, the smallest denormal (MariaDB prints these exactly).
    edges: ['0.1e0 + 0.2e0', '1.7976931348623157e308', '4.9e-324', '-123.45678901234567'],
    // 1.7976931348623157e308 (MariaDB) and 1.7976931348623157e+308 (PostgreSQL): one number.
    norm: (s) => String(Number(s)),
  },
  {
    column: 'm_bit',
    type: 'BIT(5)',
    value: "b'10101'",
    read: {
      source: (c) => `LOWER(HEX(${c}))`,
      postgresql: (c) => `encode(${c}, 'hex')`,
      mariadb: (c) => `LOWER(HEX(${c}))`,
    },
    transform: {
      postgresql: { why: 'Bits: bytes, least significant first' },
      mariadb: { why: 'Bits: bytes (longblob)' },
    },
  },
  { column: 'm_char', type: 'CHAR(5)', value: "'ab'" },
  { column: 'm_vc', type: "VARCHAR(50) CHARACTER SET utf8mb4 DEFAULT 'x'", value: "'héllo 😀'" },
  { column: 'm_text', type: 'TEXT', value: "'long ✓ text'" },
  {
    column: 'm_blob',
    type: 'BLOB',
    value: "x'00ff00'",
    read: {
      source: (c) => `LOWER(HEX(${c}))`,
      postgresql: (c) => `encode(${c}, 'hex')`,
      mariadb: (c) => `LOWER(HEX(${c}))`,
    },
  },
  { column: 'm_json', type: 'JSON', value: `'{"k": [1, 2]}'`, norm: json },
  {
    column: 'm_date',
    type: "DATE DEFAULT '2024-01-01'",
    value: "'2024-02-29'",
    edges: ["'1000-01-01'", "'9999-12-31'"],
  },
  {
    column: 'm_dt',
    type: 'DATETIME(6)',
    value: "'2024-02-29 13:14:15.123456'",
    edges: ["'1000-01-01 00:00:00'"],
    norm: fraction,
  },
  {
    column: 'm_ts',
    type: 'TIMESTAMP(3) NULL',
    value: "'2024-02-29 13:14:15.123'",
    read: { postgresql: (c) => `(${c} AT TIME ZONE 'UTC')::text` },
    norm: fraction,
  },
  {
    column: 'm_time',
    type: 'TIME(6)',
    value: "'12:34:56.123456'",
    edges: ["'-12:34:56.123456'", "'838:59:59'", "'-838:59:59'"],
    norm: fraction,
    rejects: {
      postgresql: { edges: [0, 1, 2], message: /column "m_time": time .* is outside 00:00:00 to 24:00:00/ },
    },
  },
  {
    column: 'm_year',
    type: 'YEAR',
    value: '2024',
    edges: ['0'],
    read: { source: (c) => `CAST(${c} + 0 AS CHAR)` },
  },
  { column: 'm_enum', type: "ENUM('small','large')", value: "'large'" },
  { column: 'm_set', type: "SET('a','b','c')", value: "'c,a'" },
  {
    column: 'm_geom',
    type: 'GEOMETRY',
    value: "ST_GeomFromText('POINT(1 2)')",
    read: {
      source: (c) => `LOWER(HEX(ST_AsWKB(${c})))`,
      postgresql: (c) => `encode(decode(${c}->>'wkb', 'base64'), 'hex')`,
      mariadb: (c) => `LOWER(HEX(FROM_BASE64(JSON_VALUE(${c}, '$.wkb'))))`,
    },
    transform: {
      postgresql: { why: 'the Debezium Geometry struct {wkb, srid} as jsonb' },
      mariadb: { why: 'the Debezium Geometry struct {wkb, srid} as JSON' },
    },
  },
  { column: 'm_gen', type: 'BIGINT AS (m_uint + 1) PERSISTENT', value: 'DEFAULT' },
];

interface SourceTable {
  readonly label: string;
  readonly table: string;
  readonly topic: string;
  readonly cases: readonly Case[];
  readonly dialect: 'postgresql' | 'mariadb';
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** Row ids: 1 the ordinary row, then one per edge value; streamed copies at +1000. */
function rowsOf(
  cases: readonly Case[],
): { id: number; values: string[]; edge?: { column: string; index: number } }[] {
  const ordinary = cases.map((c) => c.value);
  const rows: { id: number; values: string[]; edge?: { column: string; index: number } }[] = [
    { id: 1, values: ordinary },
  ];
  cases.forEach((c, at) =>
    (c.edges ?? []).forEach((edge, index) => {
      const values = [...ordinary];
      values[at] = edge;
      rows.push({ id: rows.length + 1, values, edge: { column: c.column, index } });
    }),
  );
  return rows;
}

const DELETED = 2;
let pgSource: Awaited<ReturnType<typeof createTestDatabase>>;
const mySource = new MysqlSource();
const targets = new Map<Target, TestDatabase>();
let worker: WorkerProcess | undefined;
const historyTopic = `${names.group}-history`;

function readerOf(c: Case, where: 'source' | Target, dialect: 'postgresql' | 'mariadb'): string {
  const quoted =
    where === 'mariadb' || (where === 'source' && dialect === 'mariadb')
      ? `\`${c.column}\``
      : `"${c.column}"`;
  const custom = c.read?.[where];
  if (custom) return custom(quoted);
  return where === 'mariadb' || (where === 'source' && dialect === 'mariadb')
    ? `CAST(${quoted} AS CHAR)`
    : `${quoted}::text`;
}

async function insertRows(table: SourceTable, offset: number): Promise<void> {
  const columns = table.cases.map((c) => c.column);
  for (const row of rowsOf(table.cases)) {
    const q = (name: string) => (table.dialect === 'mariadb' ? `\`${name}\`` : `"${name}"`);
    const values = row.values.map((value, at) => (table.cases[at]?.value === 'DEFAULT' ? 'DEFAULT' : value));
    await table.query(
      `INSERT INTO ${q(table.table)} (id, n, ${columns.map(q).join(', ')}) VALUES (${row.id + offset}, 0, ${values.join(', ')})`,
    );
  }
}

before(async () => {
  pgSource = await createTestDatabase();
  await pgSource.client.query('CREATE EXTENSION hstore');
  await pgSource.client.query("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  await pgSource.client.query('CREATE DOMAIN posint AS int CHECK (VALUE > 0)');
  for (const table of ['pg_default', 'pg_full']) {
    await pgSource.client.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, n int, ${PG_CASES.map((c) => `${c.column} ${c.type}`).join(', ')})`,
    );
  }
  await pgSource.client.query('ALTER TABLE pg_full REPLICA IDENTITY FULL');
  await mySource.create();
  await mySource.query("SET SESSION time_zone = '+00:00'");
  await mySource.query(
    `CREATE TABLE ${mySource.name}.my_types (id INT PRIMARY KEY, n INT, ${MY_CASES.map((c) => `${c.column} ${c.type}`).join(', ')})`,
  );
  for (const target of TARGETS) targets.set(target, await createDatabase(target));
  // Wide rows (a 1 MB text) need topics that take them, as a user would configure them.
  const admin = kafka.admin();
  await admin.connect();
  for (const topic of [
    `${prefix}.public.pg_default`,
    `${prefix}.public.pg_full`,
    `${mySource.name}.${mySource.name}.my_types`,
  ]) {
    await createTopicAndWait(admin, {
      topic,
      numPartitions: 1,
      configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }],
    });
  }
  await admin.disconnect();
});

after(async () => {
  if (worker && worker.child.exitCode === null) worker.kill('SIGKILL');
  await deleteTopics(names.group);
  await deleteTopics(prefix);
  await deleteTopics(mySource.name);
  for (const target of targets.values()) await target.drop();
  await pgSource?.drop();
  await mySource.drop([historyTopic]);
});

test(
  'type-fidelity matrix: every column of every row is exact, documented, or rejected with a clear error',
  { timeout: 300_000 },
  async () => {
    const tables: SourceTable[] = [
      ...['pg_default', 'pg_full'].map((table) => ({
        label:
          table === 'pg_default'
            ? 'PostgreSQL (REPLICA IDENTITY DEFAULT)'
            : 'PostgreSQL (REPLICA IDENTITY FULL)',
        table,
        topic: `${prefix}.public.${table}`,
        cases: PG_CASES,
        dialect: 'postgresql' as const,
        query: async (sql: string) => (await pgSource.client.query(sql)).rows as Record<string, unknown>[],
      })),
      {
        label: 'MariaDB',
        table: 'my_types',
        topic: `${mySource.name}.${mySource.name}.my_types`,
        cases: MY_CASES,
        dialect: 'mariadb' as const,
        query: async (sql: string) => {
          const [rows] = (await mySource.connection.query(sql)) as unknown as [Record<string, unknown>[]];
          return rows;
        },
      },
    ];
    await mySource.connection.query(`USE ${mySource.name}`);
    for (const table of tables) await insertRows(table, 0);

    worker = await WorkerProcess.start(names, {
      SIPHON_KEY_CONVERTER: 'avro',
      SIPHON_VALUE_CONVERTER: 'avro',
      SIPHON_SCHEMA_REGISTRY_EMBEDDED: 'true',
      SIPHON_SCHEMA_REGISTRY_PORT: '0',
      SIPHON_SCHEMA_REGISTRY_TOPIC: `${names.group}-schemas`,
    });
    const post = async (name: string, config: Record<string, string>) => {
      const created = await worker!.api('POST', '/connectors', { name: `${names.group}-${name}`, config });
      assert.equal(created.status, 201, created.text);
    };
    await post('pg', {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...pgConnectorConfig(pgSource.name, {
        'topic.prefix': prefix,
        'table.include.list': 'public.pg_default,public.pg_full',
      }),
    });
    await post('my', {
      'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
      ...mysqlConnectorConfig(mySource.name, {
        'schema.history.internal.kafka.topic': historyTopic,
        // Debezium's default (long) wraps values above 2^63-1; precise keeps them.
        'bigint.unsigned.handling.mode': 'precise',
      }),
    });
    for (const target of TARGETS) {
      await post(`sink-${target}`, {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: tables.map((t) => t.topic).join(','),
        'connection.url': targets.get(target)!.url,
        'auto.create': 'true',
        'delete.enabled': 'true',
        'table.name.format': '${source.table}',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': `${names.group}-dlq-${target}`,
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      });
    }

    // Streaming: the same rows again, an update of a non-TOASTed column of every row, deletes.
    await eventually(
      'the snapshots are in the targets',
      async () => {
        for (const target of targets.values()) {
          const count = await target.query('SELECT COUNT(*) AS n FROM my_types').catch(() => [{ n: 0 }]);
          const pgCount = await target.query('SELECT COUNT(*) AS n FROM pg_full').catch(() => [{ n: 0 }]);
          if (Number(count[0]?.n) === 0 || Number(pgCount[0]?.n) === 0) return false;
        }
        return true;
      },
      120_000,
    );
    for (const table of tables) {
      await insertRows(table, 1000);
      await table.query(`UPDATE ${table.table} SET n = n + 1`);
      await table.query(`DELETE FROM ${table.table} WHERE id IN (${DELETED}, ${DELETED + 1000})`);
    }

    const registryUrl = worker.lines
      .map((line) =>
        line.includes('schema registry listening') ? /"url":"(http[^"]+)"/.exec(line)?.[1] : undefined,
      )
      .find((url) => url !== undefined);
    assert.ok(registryUrl);
    const keys = await createConverter('avro', { 'schema.registry.url': registryUrl }, true, {});

    /** Per target: "<topic>/<id>" → dead-letter exception messages. */
    const deadLetters = async (target: Target): Promise<Map<string, string[]>> => {
      const topic = `${names.group}-dlq-${target}`;
      const admin = kafka.admin();
      await admin.connect();
      const end = await admin
        .fetchTopicOffsets(topic)
        .then((offsets) => offsets.reduce((sum, p) => sum + Number(p.high), 0))
        .catch(() => 0)
        .finally(() => admin.disconnect());
      const messages = end === 0 ? [] : await readTopic(topic, (m) => m.length >= end, 60_000);
      const byRow = new Map<string, string[]>();
      for (const message of messages) {
        const topic = message.headers?.['__connect.errors.topic']?.toString() ?? '';
        const key = (await keys.toConnectData(topic, message.key)).value as { id: number };
        const id = `${topic}/${key.id}`;
        byRow.set(id, [
          ...(byRow.get(id) ?? []),
          message.headers?.['__connect.errors.exception.message']?.toString() ?? '',
        ]);
      }
      return byRow;
    };

    const cells = new Map<string, Set<string>>();
    const note = (table: SourceTable, c: Case, target: Target, outcome: string) => {
      const id = `${table.label}\u0000${c.column} ${c.type}\u0000${target}`;
      cells.set(id, (cells.get(id) ?? new Set()).add(outcome));
    };
    const problems: string[] = [];

    const compare = async (): Promise<string[]> => {
      cells.clear();
      const found: string[] = [];
      for (const target of TARGETS) {
        const db = targets.get(target)!;
        const dead = await deadLetters(target);
        for (const table of tables) {
          const rows = rowsOf(table.cases);
          const captured = table.cases.filter((c) => !c.excluded);
          const quote = (name: string) => (table.dialect === 'mariadb' ? `\`${name}\`` : `"${name}"`);
          const sourceRows = await table.query(
            `SELECT id, n, ${captured.map((c) => `${readerOf(c, 'source', table.dialect)} AS ${quote(c.column)}`).join(', ')} FROM ${quote(table.table)} ORDER BY id`,
          );
          const tq = (name: string) => (target === 'mariadb' ? `\`${name}\`` : `"${name}"`);
          const targetColumns = new Set(
            (
              await db.query(
                `SELECT column_name AS c FROM information_schema.columns WHERE table_name = '${table.table}'`,
              )
            ).map((r) => String(r.c)),
          );
          for (const c of table.cases.filter((c) => c.excluded)) {
            if (targetColumns.has(c.column))
              found.push(`${table.label} ${c.column} → ${target}: excluded column exists in the target`);
            else note(table, c, target, `excluded (documented: ${c.excluded})`);
          }
          const targetRows = new Map(
            (
              await db
                .query(
                  `SELECT id, n, ${captured.map((c) => `${readerOf(c, target, table.dialect)} AS ${tq(c.column)}`).join(', ')} FROM ${tq(table.table)}`,
                )
                .catch(() => [])
            ).map((r) => [Number(r.id), r]),
          );
          for (const phase of [0, 1000]) {
            for (const row of rows) {
              const id = row.id + phase;
              const source = sourceRows.find((r) => Number(r.id) === id);
              const stored = targetRows.get(id);
              if (!source) {
                if (stored)
                  found.push(
                    `${table.label} row ${id} → ${target}: deleted in the source, still in the target`,
                  );
                continue;
              }
              const edgeCase = row.edge && table.cases.find((c) => c.column === row.edge!.column);
              const rejection = edgeCase && row.edge ? edgeCase.rejects?.[target] : undefined;
              if (edgeCase && rejection?.edges.includes(row.edge!.index)) {
                const messages = dead.get(`${table.topic}/${id}`) ?? [];
                if (stored)
                  found.push(
                    `${table.label} row ${id} ${edgeCase.column} → ${target}: expected a rejection, the row was written`,
                  );
                else if (!messages.some((m) => rejection.message.test(m)))
                  found.push(
                    `${table.label} row ${id} ${edgeCase.column} → ${target}: no dead-letter record says ${rejection.message} (got ${JSON.stringify(messages)})`,
                  );
                else
                  note(
                    table,
                    edgeCase,
                    target,
                    `rejected: ${messages.find((m) => rejection.message.test(m))!.replace(/^cannot apply record \S+: /, '')}`,
                  );
                continue;
              }
              if (!stored) {
                found.push(
                  `${table.label} row ${id} → ${target}: missing (dead letters: ${JSON.stringify(dead.get(`${table.topic}/${id}`) ?? [])})`,
                );
                continue;
              }
              if (String(stored.n) !== String(source.n))
                found.push(
                  `${table.label} row ${id} → ${target}: n is ${String(stored.n)}, source ${String(source.n)}`,
                );
              for (const c of captured) {
                const raw = source[c.column];
                const held = stored[c.column];
                const norm = c.norm ?? ((text: string) => text);
                const sourceText = raw === null || raw === undefined ? 'NULL' : norm(String(raw));
                const transform = c.transform?.[target];
                const wanted = transform?.to ? norm(transform.to(sourceText)) : sourceText;
                const heldText =
                  held === null || held === undefined
                    ? 'NULL'
                    : norm(
                        typeof held === 'object' && !Buffer.isBuffer(held)
                          ? JSON.stringify(held)
                          : String(held),
                      );
                if (heldText !== wanted) {
                  found.push(
                    `${table.label} row ${id} ${c.column} → ${target}: SILENTLY DIFFERENT: source ${sourceText.slice(0, 80)}, target ${heldText.slice(0, 80)}${transform ? ` (expected ${wanted.slice(0, 80)})` : ''}`,
                  );
                } else {
                  // A transformation that leaves this value as it was is exact for this row.
                  const changed =
                    transform !== undefined && (transform.to === undefined || wanted !== sourceText);
                  note(table, c, target, changed ? `documented: ${transform.why}` : 'exact');
                }
              }
            }
          }
        }
      }
      return found;
    };

    await eventually(
      'every target cell is exact, documented or rejected',
      async () => (await compare()).length === 0,
      120_000,
    ).catch(() => undefined);
    problems.push(...(await compare()));

    const lines = ['', 'type-fidelity matrix (source column type × target → outcome)'];
    for (const [id, outcomes] of cells) {
      const [label, column, target] = id.split('\u0000');
      const shown = [...outcomes].filter((o) => !(o === 'exact' && outcomes.size > 1));
      lines.push(`${label} | ${column} | ${target} | ${shown.join('; ')}`);
    }
    console.log(lines.join('\n'));
    assert.deepEqual(problems, [], 'no cell may be silently different');
  },
);
