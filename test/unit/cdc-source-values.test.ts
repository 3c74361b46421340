import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresSourceSchema, postgresSourceValue } from '../../connectors/source-postgres/source-info.js';
import { mysqlSourceSchema, mysqlSourceValue } from '../../connectors/source-mysql/source-info.js';
import { validateValue, type Schema, type Struct } from '../../runtime/record/index.js';
import { siphonVersion } from '../../runtime/siphon-version.js';

/** The source block literals must list their fields in the schema's order, as the converters write them. */
function assertSchemaOrder(schema: Schema, value: Struct): void {
  assert.deepEqual(
    Object.keys(value),
    schema.fields!.map((f) => f.name),
  );
  validateValue(schema, value);
}

describe('source block values', () => {
  it('PostgreSQL: fields in schema order, times and LSNs exact', () => {
    const value = postgresSourceValue({
      serverName: 'p',
      db: 'd',
      schema: 'public',
      table: 't',
      tsUs: -1n,
      snapshot: 'first',
      txId: 7,
      lsn: 9007199254740993n,
      lastCommitLsn: null,
      origin: { name: 'pg_1', lsn: 5n },
    });
    assertSchemaOrder(postgresSourceSchema, value);
    assert.deepEqual(
      { ...value },
      {
        version: siphonVersion,
        connector: 'postgresql',
        name: 'p',
        // Floor: one microsecond before 1970 is in millisecond -1.
        ts_ms: -1n,
        snapshot: 'first',
        db: 'd',
        sequence: '[null,"9007199254740993"]',
        ts_us: -1n,
        ts_ns: -1000n,
        schema: 'public',
        table: 't',
        txId: 7n,
        lsn: 9007199254740993n,
        xmin: null,
        origin: 'pg_1',
        origin_lsn: 5n,
      },
    );
  });

  it('MySQL: fields in schema order', () => {
    const value = mysqlSourceValue({
      name: 'm',
      tsMs: 1709288130123.9,
      snapshot: 'false',
      db: 'd',
      table: null,
      serverId: 1,
      gtid: null,
      file: 'binlog.000001',
      pos: 4,
      row: 0,
      thread: 12,
      query: null,
    });
    assertSchemaOrder(mysqlSourceSchema, value);
    assert.equal(value.ts_ms, 1709288130123n);
    assert.equal(value.ts_ns, 1709288130123000000n);
    assert.equal(value.thread, 12n);
  });
});
